/**
 * Conversions of the `s3` block: a `PUT /api/databases/:id/s3` body into the stored block, and the
 * stored block into its response form with every secret masked.
 */
import { keyFingerprintHex } from '../encryption/keys.js';
import type { RetiredEncryptionKey, S3EncryptionMode, S3Settings } from '../../registry/index.js';

/** Shown in place of every secret in responses. A request may send it back to keep the stored value. */
export const MASKED_SECRET = '***';

/** Body of `PUT /api/databases/:id/s3`. */
export interface S3SettingsInput {
  enabled?: boolean;
  bucket: string;
  region: string;
  accessKeyId: string;
  /** Required on the first save; omitted or `***` keeps the stored one. */
  secretAccessKey?: string;
  endpoint?: string;
  forcePathStyle?: boolean;
  pathPrefix?: string;
  encryption?: S3EncryptionMode;
  kmsKeyId?: string;
  /** Omitted or `***` keeps the stored key; null retires it to the keyring; a new key retires the old one. */
  encryptionKey?: string | null;
  s3BackupRetentionDays?: number;
}

/** The `s3` block as responses show it: secrets replaced by `***`, key fingerprints added. */
export interface MaskedS3Settings {
  enabled: boolean;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  endpoint?: string;
  forcePathStyle?: boolean;
  pathPrefix: string;
  encryption: S3EncryptionMode;
  kmsKeyId?: string;
  encryptionKey?: string;
  encryptionKeyFingerprint?: string;
  keyring: Array<{ fingerprint: string; key: string; addedAt: string; retiredAt: string }>;
  s3BackupRetentionDays?: number;
}

/**
 * Builds the next `s3` block from the stored one and a PUT body. Fields other than the secrets
 * take the body's value or their default, so a PUT describes the whole block. A replaced or removed
 * `encryptionKey` moves to the keyring, so backups written with it still restore. The result is
 * not validated here.
 */
export function applyS3Input(databaseId: string, current: S3Settings | undefined, input: S3SettingsInput, now: Date): S3Settings {
  const nowText = now.toISOString();
  const next: S3Settings = {
    enabled: input.enabled ?? true,
    bucket: input.bucket,
    region: input.region,
    accessKeyId: input.accessKeyId,
    secretAccessKey: keptSecret(input.secretAccessKey, current?.secretAccessKey) ?? '',
    pathPrefix: input.pathPrefix ?? current?.pathPrefix ?? `${databaseId}/`,
    encryption: input.encryption ?? 'none',
  };
  if (input.endpoint !== undefined) next.endpoint = input.endpoint;
  if (input.forcePathStyle !== undefined) next.forcePathStyle = input.forcePathStyle;
  if (input.kmsKeyId !== undefined) next.kmsKeyId = input.kmsKeyId;
  if (input.s3BackupRetentionDays !== undefined) next.s3BackupRetentionDays = input.s3BackupRetentionDays;

  const keyring = [...(current?.keyring ?? [])];
  const currentKey = current?.encryptionKey;
  const requestedKey = input.encryptionKey === null ? undefined : keptSecret(input.encryptionKey, currentKey);
  const keyChanged = normalizeKey(requestedKey) !== normalizeKey(currentKey);

  if (keyChanged && currentKey !== undefined) {
    keyring.push(retire(currentKey, current?.encryptionKeySetAt ?? nowText, nowText));
  }
  if (requestedKey !== undefined) {
    next.encryptionKey = requestedKey;
    next.encryptionKeySetAt = keyChanged ? nowText : (current?.encryptionKeySetAt ?? nowText);
  }

  // A key that becomes current again leaves the keyring, so each key is stored once.
  const activeFingerprint = requestedKey === undefined ? null : fingerprintOf(requestedKey);
  const remaining = keyring.filter((retired) => retired.fingerprint !== activeFingerprint);
  if (remaining.length > 0) next.keyring = dedupeByFingerprint(remaining);
  return next;
}

/** Returns the block with every secret replaced by `***` and the fingerprints of the keys. */
export function maskS3Settings(settings: S3Settings): MaskedS3Settings {
  const masked: MaskedS3Settings = {
    enabled: settings.enabled,
    bucket: settings.bucket,
    region: settings.region,
    accessKeyId: settings.accessKeyId,
    secretAccessKey: MASKED_SECRET,
    pathPrefix: settings.pathPrefix,
    encryption: settings.encryption,
    keyring: (settings.keyring ?? []).map((retired) => ({ fingerprint: retired.fingerprint, key: MASKED_SECRET, addedAt: retired.addedAt, retiredAt: retired.retiredAt })),
  };
  if (settings.endpoint !== undefined) masked.endpoint = settings.endpoint;
  if (settings.forcePathStyle !== undefined) masked.forcePathStyle = settings.forcePathStyle;
  if (settings.kmsKeyId !== undefined) masked.kmsKeyId = settings.kmsKeyId;
  if (settings.encryptionKey !== undefined) {
    masked.encryptionKey = MASKED_SECRET;
    masked.encryptionKeyFingerprint = fingerprintOf(settings.encryptionKey) ?? 'invalid';
  }
  if (settings.s3BackupRetentionDays !== undefined) masked.s3BackupRetentionDays = settings.s3BackupRetentionDays;
  return masked;
}

/** Returns every master key a restore may need: the current one first, then the keyring. */
export function allEncryptionKeys(settings: S3Settings | undefined): Buffer[] {
  if (!settings) return [];
  const keys = [settings.encryptionKey, ...(settings.keyring ?? []).map((retired) => retired.key)];
  return keys.filter((key): key is string => typeof key === 'string' && /^[0-9a-fA-F]{64}$/.test(key)).map((key) => Buffer.from(key, 'hex'));
}

function keptSecret(requested: string | undefined, stored: string | undefined): string | undefined {
  if (requested === undefined || requested === MASKED_SECRET) return stored;
  return requested;
}

function retire(key: string, addedAt: string, retiredAt: string): RetiredEncryptionKey {
  return { fingerprint: fingerprintOf(key) ?? 'invalid', key, addedAt, retiredAt };
}

function fingerprintOf(key: string): string | null {
  return /^[0-9a-fA-F]{64}$/.test(key) ? keyFingerprintHex(Buffer.from(key, 'hex')) : null;
}

function normalizeKey(key: string | undefined): string | undefined {
  return key?.toLowerCase();
}

function dedupeByFingerprint(keyring: RetiredEncryptionKey[]): RetiredEncryptionKey[] {
  const seen = new Set<string>();
  return keyring.filter((retired) => {
    if (seen.has(retired.fingerprint)) return false;
    seen.add(retired.fingerprint);
    return true;
  });
}
