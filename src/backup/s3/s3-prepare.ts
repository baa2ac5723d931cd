import { rename, rm } from 'node:fs/promises';
import { DucklingError, errorMessage } from '../../errors/index.js';
import type { Logger } from '../../logging/index.js';
import type { S3Settings } from '../../registry/index.js';
import { decryptObjectToFile, openEncryptedObject, verifyObjectHmac } from '../encryption/decrypt-file.js';
import { BackupIntegrityError, BackupKeyUnknownError } from '../encryption/errors.js';
import { keyFingerprintHex } from '../encryption/keys.js';
import { verifyManifestHmac } from '../encryption/manifest-mac.js';
import { parseManifest, type BackupManifest } from '../manifest.js';
import type { PrepareImage } from '../service.js';
import { checkPlaintextDigest, type VerifyCheck } from '../verify.js';
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
  onDownloadProgress?: (downloadedBytes: number) => void;
}

/**
 * Builds the `prepare` step of a verification or restore from S3. It downloads the data object
 * beside the destination and checks its size and SHA-256 against the manifest. For
 * `client-aes256` it then checks the manifest MAC, the key fingerprint and the whole-object HMAC
 * before decrypting any byte, and decrypts chunk by chunk into the destination. The downloaded
 * object is always removed; a failed decryption leaves no plaintext behind.
 */
export function prepareFromS3(options: S3PrepareOptions): PrepareImage {
  return async (destinationPath) => {
    const checks: VerifyCheck[] = [];
    const downloadPath = `${destinationPath}.download`;
    try {
      const manifest = await downloadStage(options, downloadPath, checks);
      if (!manifest || checks.some((check) => !check.ok)) return { manifest, checks };

      checks.push(...(await checkPlaintextDigest(downloadPath, manifest.object)));
      if (checks.some((check) => !check.ok)) return { manifest, checks };

      if (manifest.encryption === null) {
        const plaintextMatches = manifest.plaintext.size === manifest.object.size && manifest.plaintext.sha256 === manifest.object.sha256;
        if (!plaintextMatches || options.parsedKey.encrypted) {
          checks.push({ name: 'decrypt', ok: false, detail: 'the manifest records no client-side encryption, but the object name or plaintext digest says otherwise' });
          return { manifest, checks };
        }
        await rename(downloadPath, destinationPath);
        return { manifest, checks };
      }

      await decryptStages(options, manifest, downloadPath, destinationPath, checks);
      return { manifest, checks };
    } finally {
      await rm(downloadPath, { force: true });
    }
  };
}

/** Reads the manifest and downloads the data object: stage `download`. Returns null without a usable manifest. */
async function downloadStage(options: S3PrepareOptions, downloadPath: string, checks: VerifyCheck[]): Promise<BackupManifest | null> {
  const { store, settings, key, parsedKey } = options;
  const manifestKey = manifestObjectKey(settings.pathPrefix, parsedKey.name);

  const text = await readOrThrow502(options, () => store.getText(manifestKey));
  if (text === null) {
    checks.push({ name: 'download', ok: false, detail: `manifest ${manifestKey} is missing, so the backup is incomplete` });
    return null;
  }
  let manifest: BackupManifest;
  try {
    manifest = parseManifest(text);
  } catch (error) {
    checks.push({ name: 'download', ok: false, detail: `manifest ${manifestKey}: ${errorMessage(error)}` });
    return null;
  }

  const size = await readOrThrow502(options, () => store.downloadToFile(key, downloadPath, options.onDownloadProgress));
  if (size === null) {
    checks.push({ name: 'download', ok: false, detail: `data object ${key} is missing although its manifest exists` });
    return manifest;
  }
  checks.push({ name: 'download', ok: true, detail: `downloaded ${size} bytes of ${key}` });
  return manifest;
}

/** Stages `manifest_mac`, `key`, `hmac` and `decrypt` of a `client-aes256` object. */
async function decryptStages(
  options: S3PrepareOptions,
  manifest: BackupManifest,
  downloadPath: string,
  destinationPath: string,
  checks: VerifyCheck[],
): Promise<void> {
  const encryption = manifest.encryption!;
  const fingerprint = encryption.keyFingerprint;
  const masterKey = allEncryptionKeys(options.settings).find((candidate) => keyFingerprintHex(candidate) === fingerprint);
  if (!masterKey) {
    if (options.purpose === 'restore') {
      options.logger.warn({ databaseId: options.databaseId, objectKey: options.key, fingerprint }, 'no key for the backup\'s fingerprint; nothing restored');
      throw new DucklingError('DUCKLING_BACKUP_KEY_UNKNOWN', { name: options.parsedKey.name, fingerprint, db: options.databaseId });
    }
    checks.push({ name: 'key', ok: false, detail: `no key with fingerprint ${fingerprint} is the current key or in the keyring` });
    return;
  }

  try {
    verifyManifestHmac(manifest as unknown as Record<string, unknown>, masterKey);
    checks.push({ name: 'manifest_mac', ok: true, detail: 'manifest MAC matches' });

    const opened = await openEncryptedObject(downloadPath, [masterKey]);
    checks.push({ name: 'key', ok: true, detail: `key fingerprint ${opened.keyFingerprint}` });

    await verifyObjectHmac(opened, encryption.hmacSha256);
    checks.push({ name: 'hmac', ok: true, detail: 'whole-object HMAC matches' });

    const result = await decryptObjectToFile(opened, destinationPath);
    if (result.plaintextSize !== manifest.plaintext.size || result.plaintextSha256 !== manifest.plaintext.sha256) {
      await rm(destinationPath, { force: true });
      checks.push({ name: 'decrypt', ok: false, detail: `plaintext has ${result.plaintextSize} bytes and SHA-256 ${result.plaintextSha256}, the manifest records ${manifest.plaintext.size} and ${manifest.plaintext.sha256}` });
      return;
    }
    checks.push({ name: 'decrypt', ok: true, detail: `${result.plaintextSize} plaintext bytes, every chunk authenticated` });
  } catch (error) {
    if (error instanceof BackupIntegrityError) {
      checks.push({ name: error.stage === 'header' ? 'key' : error.stage, ok: false, detail: error.message });
      return;
    }
    if (error instanceof BackupKeyUnknownError) {
      // The manifest names one key and the header another: the header was changed.
      checks.push({ name: 'key', ok: false, detail: `object header names key fingerprint ${error.fingerprint}, the manifest ${fingerprint}` });
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
    throw new DucklingError('DUCKLING_S3_UNAVAILABLE', { db: options.databaseId, detail: errorMessage(error) }, { cause: error });
  }
}
