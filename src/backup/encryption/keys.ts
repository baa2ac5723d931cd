import { hkdfSync } from 'node:crypto';

/** Length of a master key, of the HKDF salt and of each derived key, in bytes. */
export const KEY_BYTES = 32;

const ZERO_SALT = Buffer.alloc(KEY_BYTES);
const INFO_ENCRYPTION = 'duckling-backup-v1 encryption';
const INFO_MAC = 'duckling-backup-v1 mac';
const INFO_FINGERPRINT = 'duckling-backup-v1 fingerprint';
const INFO_MANIFEST = 'duckling-backup-v1 manifest';

const HEX_KEY_PATTERN = /^[0-9a-fA-F]{64}$/;

/** The per-backup keys: `encryption` for AES-256-GCM, `mac` for the whole-object HMAC-SHA256. */
export interface BackupKeys {
  encryption: Buffer;
  mac: Buffer;
}

/** True for a master key written as 64 hexadecimal characters (32 bytes). */
export function isHexKey(value: unknown): value is string {
  return typeof value === 'string' && HEX_KEY_PATTERN.test(value);
}

/** Decodes a 64-hex master key; throws a message naming the expected form, never the value. */
export function parseHexKey(hex: string): Buffer {
  if (!isHexKey(hex)) throw new Error('an encryption key must be 64 hexadecimal characters (32 bytes); generate one with "duckling gen-key"');
  return Buffer.from(hex, 'hex');
}

/** Derives `K_enc` and `K_mac` from the master key with HKDF-SHA256 and the backup's random salt. */
export function deriveBackupKeys(masterKey: Buffer, salt: Buffer): BackupKeys {
  return {
    encryption: hkdf(masterKey, salt, INFO_ENCRYPTION, KEY_BYTES),
    mac: hkdf(masterKey, salt, INFO_MAC, KEY_BYTES),
  };
}

/** Returns the 8-byte key fingerprint: HKDF-SHA256 of the master key with an all-zero salt. */
export function keyFingerprint(masterKey: Buffer): Buffer {
  return hkdf(masterKey, ZERO_SALT, INFO_FINGERPRINT, 8);
}

/** Returns the fingerprint as the 16 hex characters shown in headers, manifests and API responses. */
export function keyFingerprintHex(masterKey: Buffer): string {
  return keyFingerprint(masterKey).toString('hex');
}

/** Derives the key of the manifest MAC, which does not depend on a backup's salt. */
export function deriveManifestKey(masterKey: Buffer): Buffer {
  return hkdf(masterKey, ZERO_SALT, INFO_MANIFEST, KEY_BYTES);
}

function hkdf(masterKey: Buffer, salt: Buffer, info: string, length: number): Buffer {
  return Buffer.from(hkdfSync('sha256', masterKey, salt, info, length));
}
