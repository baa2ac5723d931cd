import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Transform, pipeline, type Readable, type TransformCallback } from 'node:stream';
import { EncryptingStream } from '../encryption/encrypt-stream.js';
import { computeManifestHmac } from '../encryption/manifest-mac.js';
import { parseHexKey } from '../encryption/keys.js';
import { completeManifest, type BackupManifest, type ImageManifest } from '../manifest.js';
import type { S3Settings } from '../../registry/index.js';
import { dataObjectKey, manifestObjectKey } from './object-keys.js';
import { serverSideEncryptionOf } from './open-store.js';
import type { S3ObjectStore } from './s3-object-store.js';

/** Result of an upload: the data and manifest keys, the object size and the manifest written. */
export interface UploadedBackup {
  key: string;
  manifestKey: string;
  size: number;
  manifest: BackupManifest;
}

/** The manifest's extra field for objects encrypted by the store, which `encryption` (client-side only) leaves null. */
export type StoredManifest = BackupManifest & { serverSideEncryption?: 'sse-s3' | 'sse-kms' };

/** Counts and hashes the bytes that pass, so the object's size and SHA-256 come from the upload pass itself. */
class DigestingStream extends Transform {
  private readonly hash: Hash = createHash('sha256');
  sizeBytes = 0;

  override _transform(data: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(data);
    this.sizeBytes += data.length;
    callback(null, data);
  }

  digestHex(): string {
    return this.hash.digest('hex');
  }
}

/**
 * Uploads a consistent image and then its manifest. The image is read once: encrypted for
 * `client-aes256`, hashed and streamed as a multipart upload. A HEAD must then show exactly the
 * uploaded byte count before the manifest, which marks the backup complete, is written.
 * Throws on any failure; a data object left without a manifest counts as incomplete and retention
 * removes it after a day.
 */
export async function uploadImage(options: {
  store: S3ObjectStore;
  settings: S3Settings;
  name: string;
  imagePath: string;
  image: ImageManifest;
  onProgress?: (uploadedBytes: number) => void;
}): Promise<UploadedBackup> {
  const { store, settings, name, imagePath, image } = options;
  const encrypted = settings.encryption === 'client-aes256';
  const key = dataObjectKey(settings.pathPrefix, name, encrypted);
  const masterKey = encrypted ? parseHexKey(settings.encryptionKey ?? '') : null;
  const sse = serverSideEncryptionOf(settings);

  const encryption = masterKey ? new EncryptingStream(masterKey) : null;
  const digest = new DigestingStream();
  const stages: Array<Readable | Transform> = encryption ? [createReadStream(imagePath), encryption, digest] : [createReadStream(imagePath), digest];
  // pipeline destroys every stage on the first error, so a failed read also fails the upload.
  const body = pipeline(stages as [Readable, ...Transform[]], () => undefined) as unknown as Readable;
  await store.upload(key, body, sse, options.onProgress);

  const size = digest.sizeBytes;
  const head = await store.head(key);
  if (head?.sizeBytes !== size) {
    throw new Error(`HEAD of s3://${store.bucket}/${key} shows ${head ? `${head.sizeBytes} bytes` : 'no object'} after uploading ${size} bytes; the manifest was not written`);
  }

  let manifest: StoredManifest = completeManifest(image, { key, size, sha256: digest.digestHex() }, null);
  if (encryption && masterKey) {
    const summary = encryption.summary();
    manifest.encryption = { mode: 'client-aes256', algorithm: summary.algorithm, chunkSize: summary.chunkSize, keyFingerprint: summary.keyFingerprint, hmacSha256: summary.hmacSha256 };
    manifest = { ...manifest, manifestHmac: computeManifestHmac(manifest, masterKey) };
  } else if (sse.mode !== 'none') {
    manifest.serverSideEncryption = sse.mode;
  }

  const manifestKey = manifestObjectKey(settings.pathPrefix, name);
  await store.putObject(manifestKey, `${JSON.stringify(manifest, null, 2)}\n`, sse, 'application/json');
  return { key, manifestKey, size, manifest };
}
