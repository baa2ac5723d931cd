import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

/** A binlog position of the source: file and byte offset (authoritative) and GTID text (informational). */
const PositionSchema = Type.Object({
  file: Type.String(),
  offset: Type.Number(),
  gtid: Type.Union([Type.String(), Type.Null()]),
});

const TableEntrySchema = Type.Object({
  name: Type.String(),
  rows: Type.Number(),
  /** See `tableChecksumSql` in image-facts.ts for how it is computed. */
  checksum: Type.String(),
});

const EncryptionSchema = Type.Object({
  mode: Type.String(),
  algorithm: Type.String(),
  chunkSize: Type.Number(),
  keyFingerprint: Type.String(),
  hmacSha256: Type.String(),
});

/** Size and SHA-256 (hex) of a file or object. */
const DigestSchema = Type.Object({ size: Type.Number(), sha256: Type.String() });

export const ManifestSchema = Type.Object({
  format: Type.Literal('duckling-backup'),
  version: Type.Literal(1),
  /** The backup name, `backup-<id>-<timestamp>`. */
  backupId: Type.String(),
  databaseId: Type.String(),
  createdAt: Type.String(),
  ducklingVersion: Type.String(),
  duckdbVersion: Type.String(),
  /** Storage format number from the DuckDB file header; null when the header could not be read. */
  duckdbStorageVersion: Type.Union([Type.Number(), Type.Null()]),
  source: Type.Object({
    host: Type.Union([Type.String(), Type.Null()]),
    port: Type.Union([Type.Number(), Type.Null()]),
    schema: Type.Union([Type.String(), Type.Null()]),
    flavour: Type.Union([Type.String(), Type.Null()]),
    /** SHA-256 identity of the source server as `_duckling.meta` records it; null before the first sync. */
    identity: Type.Union([Type.String(), Type.Null()]),
    position: Type.Union([PositionSchema, Type.Null()]),
    watermarks: Type.Record(Type.String(), Type.Object({ timestamp: Type.Union([Type.String(), Type.Null()]), key: Type.Unknown() })),
  }),
  tables: Type.Array(TableEntrySchema),
  schemaHash: Type.String(),
  /** The stored object: for a local backup the image file itself, relative to BACKUP_PATH. */
  object: Type.Object({ key: Type.String(), size: Type.Number(), sha256: Type.String() }),
  plaintext: DigestSchema,
  encryption: Type.Union([EncryptionSchema, Type.Null()]),
  status: Type.Literal('complete'),
  manifestHmac: Type.Optional(Type.String()),
});

export type BackupManifest = Static<typeof ManifestSchema>;
export type ManifestTable = Static<typeof TableEntrySchema>;

/**
 * Manifest of a consistent image before it is stored anywhere: the manifest without `object`,
 * `encryption`, `status` and `manifestHmac`, which the store fills in.
 */
export type ImageManifest = Omit<BackupManifest, 'object' | 'encryption' | 'status' | 'manifestHmac'>;

/** Completes an image manifest with where and how the image was stored. */
export function completeManifest(
  image: ImageManifest,
  object: BackupManifest['object'],
  encryption: BackupManifest['encryption'],
): BackupManifest {
  return { ...image, object, encryption, status: 'complete' };
}

/**
 * Parses manifest JSON text. Throws an Error naming the first invalid field when the text is not
 * JSON or does not have the manifest's shape.
 */
export function parseManifest(text: string): BackupManifest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`manifest is not valid JSON: ${(error as Error).message}`);
  }
  if (Value.Check(ManifestSchema, value)) return value;
  const first = Value.Errors(ManifestSchema, value).First();
  throw new Error(`manifest field ${first?.path || '/'} is invalid: ${first?.message ?? 'unexpected shape'}`);
}
