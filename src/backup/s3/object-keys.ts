import { DucklingError } from '../../errors/index.js';
import { backupNamePattern, parseBackupName } from '../names.js';

/** Suffix of a plaintext data object (`none`, `sse-s3`, `sse-kms`). */
export const PLAIN_SUFFIX = '.db';
/** Suffix of a `client-aes256` data object. */
export const ENCRYPTED_SUFFIX = '.db.enc';
export const MANIFEST_SUFFIX = '.manifest.json';

/** One object under a database's prefix, classified by its key. */
export interface BackupObjectKey {
  /** `backup-<id>-<timestamp>`. */
  name: string;
  databaseId: string;
  createdAt: Date;
  kind: 'data' | 'manifest';
  encrypted: boolean;
}

/** Key of a backup's data object: `<prefix><name>.db`, or `.db.enc` when Duckling encrypted it. */
export function dataObjectKey(pathPrefix: string, name: string, encrypted: boolean): string {
  return `${pathPrefix}${name}${encrypted ? ENCRYPTED_SUFFIX : PLAIN_SUFFIX}`;
}

/** Key of a backup's manifest object, `<prefix><name>.manifest.json`. */
export function manifestObjectKey(pathPrefix: string, name: string): string {
  return `${pathPrefix}${name}${MANIFEST_SUFFIX}`;
}

/** Classifies a listed key; null for keys that are no backup object directly under the prefix. */
export function parseObjectKey(pathPrefix: string, key: string): BackupObjectKey | null {
  if (!key.startsWith(pathPrefix)) return null;
  const rest = key.slice(pathPrefix.length);

  for (const [suffix, kind, encrypted] of [
    [ENCRYPTED_SUFFIX, 'data', true],
    [PLAIN_SUFFIX, 'data', false],
    [MANIFEST_SUFFIX, 'manifest', false],
  ] as const) {
    if (!rest.endsWith(suffix)) continue;
    const parsed = parseBackupName(rest.slice(0, -suffix.length));
    if (!parsed) return null;
    return { name: rest.slice(0, -suffix.length), databaseId: parsed.databaseId, createdAt: parsed.createdAt, kind, encrypted };
  }
  return null;
}

/**
 * Checks a data object key from a request: it must be `<pathPrefix>backup-<id>-<timestamp>.db` or
 * `.db.enc` for this database. Throws 400 DUCKLING_INVALID_IDENTIFIER otherwise.
 */
export function checkDataObjectKey(key: string, pathPrefix: string, databaseId: string): BackupObjectKey {
  const parsed = parseObjectKey(pathPrefix, key);
  const valid = parsed !== null && parsed.kind === 'data' && backupNamePattern(databaseId).test(parsed.name);
  if (!valid) {
    throw new DucklingError('DUCKLING_INVALID_IDENTIFIER', {
      kind: 'S3 backup key',
      value: key.slice(0, 300),
      reason: `expected ${pathPrefix}backup-${databaseId}-<UTC time as YYYY-MM-DDTHH-MM-SS-mmmZ>.db or .db.enc under the prefix of database "${databaseId}"; GET /api/backups lists the keys`,
    });
  }
  return parsed;
}
