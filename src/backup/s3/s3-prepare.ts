import { createHash } from 'node:crypto';
import { rename, rm } from 'node:fs/promises';
import { DucklingError, errorMessage } from '../../errors/index.js';
import type { Logger } from '../../logging/index.js';
import type { S3Settings } from '../../registry/index.js';
import { decryptObjectInPlace, openEncryptedObject } from '../encryption/decrypt-file.js';
import { BackupIntegrityError, BackupKeyUnknownError } from '../encryption/errors.js';
import { keyFingerprintHex } from '../encryption/keys.js';
import { verifyManifestHmac } from '../encryption/manifest-mac.js';
import { StreamingObjectHmac } from '../encryption/object-hmac.js';
import { fsyncFile } from '../image.js';
import { parseManifest, type BackupManifest } from '../manifest.js';
import type { PrepareImage } from '../service.js';
import type { VerifyCheck } from '../verify.js';
import { manifestObjectKey, type BackupObjectKey } from './object-keys.js';
import { allEncryptionKeys } from './s3-settings-changes.js';
import type { S3ObjectStore } from './s3-object-store.js';

export interface S3PrepareOptions {
  store: S3ObjectStore;
  settings: S3Settings;
  databaseId: string;
  key: string;
  parsedKey: BackupObjectKey;
  /** `restore` throws 422 DUCKLING_BACKUP_KEY_UNKNOWN for an unknown key; `verify` reports it as a failed `key` check. */
  purpose: 'verify' | 'restore';
  logger: Logger;
  /** Called as bytes arrive, with the object size from the manifest. */
  onDownloadProgress?: (downloadedBytes: number, totalBytes: number | null) => void;
}

/** Digests computed in the single pass over the downloaded bytes. */
interface DownloadDigests {
  size: number;
  sha256: string;
  /** Whole-object HMAC of a `client-aes256` object whose key is known, else null. */
  hmac: StreamingObjectHmac | null;
}

/**
 * Builds the `prepare` step of a verification or restore from S3. It downloads the data object
 * beside the destination, hashing it on the way, and checks its size and SHA-256 against the
 * manifest. For `client-aes256` it then checks the manifest MAC, the key fingerprint and the
 * whole-object HMAC (computed during the download) before decrypting any byte, then decrypts chunk
 * by chunk over the downloaded file and renames it to the destination. The downloaded object is
 * always removed, and a failed decryption leaves no plaintext behind.
 */
export function prepareFromS3(options: S3PrepareOptions): PrepareImage {
  return async (destinationPath) => {
    const checks: VerifyCheck[] = [];
    const downloadPath = `${destinationPath}.download`;
    try {
      const manifest = await readManifest(options, checks);
      if (!manifest) return { manifest, checks };

      const masterKey = manifest.encryption ? findMasterKey(options, manifest.encryption.keyFingerprint) : null;
      const digests = await download(options, downloadPath, masterKey, manifest.object.size, checks);
      if (!digests || !digestChecks(manifest, digests, checks)) return { manifest, checks };

      if (manifest.encryption === null) {
        const plaintextMatches = manifest.plaintext.size === manifest.object.size && manifest.plaintext.sha256 === manifest.object.sha256;
        if (!plaintextMatches || options.parsedKey.encrypted) {
          checks.push({ name: 'decrypt', ok: false, detail: 'the manifest records no client-side encryption, but the object name or plaintext digest says otherwise' });
          return { manifest, checks };
        }
        // The file becomes the replica, so it must be on disk before the restore journal names it.
        await fsyncFile(downloadPath);
        await rename(downloadPath, destinationPath);
        return { manifest, checks };
      }

      if (!masterKey) {
        checks.push({ name: 'key', ok: false, detail: `no key with fingerprint ${manifest.encryption.keyFingerprint} is the current key or in the keyring` });
        return { manifest, checks };
      }
      await decryptStages(manifest, masterKey, digests.hmac!, downloadPath, destinationPath, checks);
      return { manifest, checks };
    } finally {
      await rm(downloadPath, { force: true });
    }
  };
}

/** Reads and parses the manifest object; a missing or malformed one fails stage `download`. */
async function readManifest(options: S3PrepareOptions, checks: VerifyCheck[]): Promise<BackupManifest | null> {
  const manifestKey = manifestObjectKey(options.settings.pathPrefix, options.parsedKey.name);
  const text = await readOrThrow502(options, () => options.store.getText(manifestKey));
  if (text === null) {
    checks.push({ name: 'download', ok: false, detail: `manifest ${manifestKey} is missing, so the backup is incomplete` });
    return null;
  }
  try {
    return parseManifest(text);
  } catch (error) {
    checks.push({ name: 'download', ok: false, detail: `manifest ${manifestKey}: ${errorMessage(error)}` });
    return null;
  }
}

/**
 * Picks the master key of a fingerprint from the current key and the keyring. For a restore an
 * unknown fingerprint throws 422 DUCKLING_BACKUP_KEY_UNKNOWN before anything is downloaded.
 */
function findMasterKey(options: S3PrepareOptions, fingerprint: string): Buffer | null {
  const masterKey = allEncryptionKeys(options.settings).find((candidate) => keyFingerprintHex(candidate) === fingerprint) ?? null;
  if (masterKey || options.purpose !== 'restore') return masterKey;

  options.logger.warn({ databaseId: options.databaseId, objectKey: options.key, fingerprint }, 'no key for the backup\'s fingerprint; nothing restored');
  throw new DucklingError('DUCKLING_BACKUP_KEY_UNKNOWN', { name: options.parsedKey.name, fingerprint, db: options.databaseId });
}

/** Downloads the data object, computing its SHA-256 and, with a key, its HMAC in the same pass: stage `download`. */
async function download(options: S3PrepareOptions, downloadPath: string, masterKey: Buffer | null, totalBytes: number, checks: VerifyCheck[]): Promise<DownloadDigests | null> {
  const sha256 = createHash('sha256');
  const hmac = masterKey ? new StreamingObjectHmac(masterKey) : null;
  const size = await readOrThrow502(options, () =>
    options.store.downloadToFile(options.key, downloadPath, (data, downloadedBytes) => {
      sha256.update(data);
      hmac?.update(data);
      options.onDownloadProgress?.(downloadedBytes, totalBytes);
    }),
  );
  if (size === null) {
    checks.push({ name: 'download', ok: false, detail: `data object ${options.key} is missing although its manifest exists` });
    return null;
  }
  checks.push({ name: 'download', ok: true, detail: `downloaded ${size} bytes of ${options.key}` });
  return { size, sha256: sha256.digest('hex'), hmac };
}

/** Stages `size` and `sha256` of the downloaded object; returns false at the first failure. */
function digestChecks(manifest: BackupManifest, digests: DownloadDigests, checks: VerifyCheck[]): boolean {
  if (digests.size !== manifest.object.size) {
    checks.push({ name: 'size', ok: false, detail: `object has ${digests.size} bytes, the manifest records ${manifest.object.size}` });
    return false;
  }
  checks.push({ name: 'size', ok: true, detail: `${digests.size} bytes` });
  if (digests.sha256 !== manifest.object.sha256) {
    checks.push({ name: 'sha256', ok: false, detail: `object SHA-256 ${digests.sha256} differs from the manifest's ${manifest.object.sha256}` });
    return false;
  }
  checks.push({ name: 'sha256', ok: true, detail: digests.sha256 });
  return true;
}

/** Stages `manifest_mac`, `key`, `hmac` and `decrypt` of a `client-aes256` object. */
async function decryptStages(
  manifest: BackupManifest,
  masterKey: Buffer,
  objectHmac: StreamingObjectHmac,
  downloadPath: string,
  destinationPath: string,
  checks: VerifyCheck[],
): Promise<void> {
  const encryption = manifest.encryption!;
  try {
    verifyManifestHmac(manifest as unknown as Record<string, unknown>, masterKey);
    checks.push({ name: 'manifest_mac', ok: true, detail: 'manifest MAC matches' });

    const opened = await openEncryptedObject(downloadPath, [masterKey]);
    checks.push({ name: 'key', ok: true, detail: `key fingerprint ${opened.keyFingerprint}` });

    objectHmac.verify(encryption.hmacSha256);
    checks.push({ name: 'hmac', ok: true, detail: 'whole-object HMAC matches' });

    // Decrypting over the download writes and flushes one file instead of two. The download path is
    // removed in every outcome, so a plaintext that fails the check below does not stay on disk.
    const result = await decryptObjectInPlace(opened);
    if (result.plaintextSize !== manifest.plaintext.size || result.plaintextSha256 !== manifest.plaintext.sha256) {
      checks.push({ name: 'decrypt', ok: false, detail: `plaintext has ${result.plaintextSize} bytes and SHA-256 ${result.plaintextSha256}, the manifest records ${manifest.plaintext.size} and ${manifest.plaintext.sha256}` });
      return;
    }
    await rename(downloadPath, destinationPath);
    checks.push({ name: 'decrypt', ok: true, detail: `${result.plaintextSize} plaintext bytes, every chunk authenticated` });
  } catch (error) {
    if (error instanceof BackupIntegrityError) {
      checks.push({ name: error.stage === 'header' ? 'key' : error.stage, ok: false, detail: error.message });
      return;
    }
    if (error instanceof BackupKeyUnknownError) {
      // The manifest names one key and the header another: the header was changed.
      checks.push({ name: 'key', ok: false, detail: `object header names key fingerprint ${error.fingerprint}, the manifest ${encryption.keyFingerprint}` });
      return;
    }
    throw error;
  }
}

async function readOrThrow502<T>(options: S3PrepareOptions, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    options.logger.warn({ err: error, databaseId: options.databaseId, objectKey: options.key }, 's3 download failed');
    throw new DucklingError('DUCKLING_S3_FAILED', { db: options.databaseId, detail: errorMessage(error) }, { cause: error });
  }
}
