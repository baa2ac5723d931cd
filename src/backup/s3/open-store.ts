import type { S3Settings } from '../../registry/index.js';
import { createS3Client } from './s3-client.js';
import { S3ObjectStore, type S3ObjectStoreOptions, type ServerSideEncryptionRequest } from './s3-object-store.js';

/** Opens the object store of one database's `s3` block; the caller destroys it when done. */
export function openS3ObjectStore(settings: S3Settings, options: S3ObjectStoreOptions = {}): S3ObjectStore {
  const client = createS3Client({
    bucket: settings.bucket,
    region: settings.region,
    accessKeyId: settings.accessKeyId,
    secretAccessKey: settings.secretAccessKey,
    ...(settings.endpoint !== undefined ? { endpoint: settings.endpoint } : {}),
    ...(settings.forcePathStyle !== undefined ? { forcePathStyle: settings.forcePathStyle } : {}),
  });
  return new S3ObjectStore(client, settings.bucket, options);
}

/**
 * Returns the server-side encryption headers of a mode. `client-aes256` objects are already encrypted by
 * Duckling, so they are sent without SSE headers.
 */
export function serverSideEncryptionOf(settings: S3Settings): ServerSideEncryptionRequest {
  switch (settings.encryption) {
    case 'sse-s3':
      return { mode: 'sse-s3' };
    case 'sse-kms':
      return { mode: 'sse-kms', kmsKeyId: settings.kmsKeyId ?? '' };
    case 'none':
    case 'client-aes256':
      return { mode: 'none' };
  }
}
