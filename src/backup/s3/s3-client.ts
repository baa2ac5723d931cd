import { S3Client } from '@aws-sdk/client-s3';
import type { S3Settings } from '../../registry/s3-settings.js';

/** Bucket, endpoint and credentials of one database's S3 target, with the secret in clear as held in memory. */
export type S3Connection = Pick<S3Settings, 'bucket' | 'region' | 'accessKeyId' | 'secretAccessKey' | 'endpoint' | 'forcePathStyle'>;

/**
 * Creates an S3 client for one connection. With a custom endpoint, checksums are computed and
 * validated only where an operation requires them: the SDK's default CRC32 trailers use
 * `aws-chunked` uploads, which S3-compatible stores such as MinIO and s3rver may store verbatim.
 */
export function createS3Client(connection: S3Connection): S3Client {
  return new S3Client({
    region: connection.region,
    credentials: { accessKeyId: connection.accessKeyId, secretAccessKey: connection.secretAccessKey },
    ...(connection.endpoint
      ? {
          endpoint: connection.endpoint,
          requestChecksumCalculation: 'WHEN_REQUIRED' as const,
          responseChecksumValidation: 'WHEN_REQUIRED' as const,
        }
      : {}),
    forcePathStyle: connection.forcePathStyle ?? false,
    maxAttempts: 3,
  });
}
