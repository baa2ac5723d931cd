import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
  type ServerSideEncryption,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';

/** Multipart part size: each part is buffered whole and sent with a known length. */
export const PART_BYTES = 16 * 1024 * 1024;
/** Parts uploaded at the same time; memory is about `PART_BYTES × (UPLOADS_IN_FLIGHT + 1)`. */
export const UPLOADS_IN_FLIGHT = 4;
/** Largest text object (manifest) read into memory. */
const MAX_TEXT_OBJECT_BYTES = 10 * 1024 * 1024;

/** Server-side encryption headers sent with every object written; `none` sends none. */
export type ServerSideEncryptionRequest =
  | { mode: 'none' }
  | { mode: 'sse-s3' }
  | { mode: 'sse-kms'; kmsKeyId: string };

export interface StoredObject {
  key: string;
  sizeBytes: number;
  lastModified: Date;
}

/** Failure of one S3 operation, naming the operation, bucket and key; never carries credentials. */
export class S3OperationError extends Error {
  constructor(
    readonly operation: string,
    readonly bucket: string,
    readonly key: string | null,
    cause: unknown,
  ) {
    const target = key === null ? `bucket ${bucket}` : `s3://${bucket}/${key}`;
    super(`${operation} ${target} failed: ${describeS3Error(cause)}`, { cause });
    this.name = 'S3OperationError';
  }
}

export interface S3ObjectStoreOptions {
  /** Keys per ListObjectsV2 page; S3's own maximum is 1000. Tests lower it to cross pages. */
  listPageSize?: number;
  partBytes?: number;
}

/**
 * The object operations backups need on one bucket. Reads of a missing object return null;
 * deleting a missing object succeeds, so retention and cleanup may be repeated.
 */
export class S3ObjectStore {
  private readonly listPageSize: number;
  private readonly partBytes: number;

  constructor(
    private readonly client: S3Client,
    readonly bucket: string,
    options: S3ObjectStoreOptions = {},
  ) {
    this.listPageSize = options.listPageSize ?? 1000;
    this.partBytes = options.partBytes ?? PART_BYTES;
  }

  /**
   * Streams `body` to `key` as a multipart upload (a single PUT below one part). A failure aborts
   * the multipart upload, so no parts are left behind, and is thrown.
   */
  async upload(
    key: string,
    body: Readable,
    encryption: ServerSideEncryptionRequest,
    onProgress?: (uploadedBytes: number) => void,
  ): Promise<void> {
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: key, Body: body, ...encryptionParams(encryption) },
      partSize: this.partBytes,
      queueSize: UPLOADS_IN_FLIGHT,
      leavePartsOnError: false,
    });
    if (onProgress) upload.on('httpUploadProgress', (progress) => onProgress(progress.loaded ?? 0));
    try {
      await upload.done();
    } catch (error) {
      body.destroy();
      throw new S3OperationError('upload', this.bucket, key, error);
    }
  }

  /** Writes a small object in one PUT with a known length. */
  async putObject(key: string, body: Buffer | string, encryption: ServerSideEncryptionRequest, contentType?: string): Promise<void> {
    const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    try {
      await this.client.send(
        new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: bytes, ContentLength: bytes.length, ContentType: contentType, ...encryptionParams(encryption) }),
      );
    } catch (error) {
      throw new S3OperationError('put', this.bucket, key, error);
    }
  }

  /** Size and time of an object; null when it does not exist. */
  async head(key: string): Promise<StoredObject | null> {
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return { key, sizeBytes: head.ContentLength ?? 0, lastModified: head.LastModified ?? new Date(0) };
    } catch (error) {
      if (isNotFound(error)) return null;
      throw new S3OperationError('head', this.bucket, key, error);
    }
  }

  /**
   * Downloads an object into a new file (mode 0600) and returns its size; null when it does not
   * exist. `onData` receives every byte in order, so digests need no second pass over the file. A failed
   * download removes the partial file.
   */
  async downloadToFile(key: string, filePath: string, onData?: (data: Buffer, downloadedBytes: number) => void): Promise<number | null> {
    let body: Readable;
    try {
      const response = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      body = response.Body as Readable;
    } catch (error) {
      if (isNotFound(error)) return null;
      throw new S3OperationError('download', this.bucket, key, error);
    }

    let downloaded = 0;
    body.on('data', (data: Buffer) => {
      downloaded += data.length;
      onData?.(data, downloaded);
    });
    try {
      await pipeline(body, createWriteStream(filePath, { flags: 'wx', mode: 0o600 }));
    } catch (error) {
      await rm(filePath, { force: true });
      throw new S3OperationError('download', this.bucket, key, error);
    }
    return downloaded;
  }

  /** Reads a small object as UTF-8 text; null when it does not exist. */
  async getText(key: string): Promise<string | null> {
    try {
      const response = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      if ((response.ContentLength ?? 0) > MAX_TEXT_OBJECT_BYTES) {
        throw new Error(`object is ${response.ContentLength} bytes, more than the ${MAX_TEXT_OBJECT_BYTES}-byte limit for a manifest`);
      }
      return (await response.Body?.transformToString('utf8')) ?? '';
    } catch (error) {
      if (isNotFound(error)) return null;
      throw new S3OperationError('get', this.bucket, key, error);
    }
  }

  /** Lists every object under `prefix`, following continuation tokens page by page. */
  async *list(prefix: string): AsyncGenerator<StoredObject> {
    let continuationToken: string | undefined;
    do {
      let page;
      try {
        page = await this.client.send(
          new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, MaxKeys: this.listPageSize, ContinuationToken: continuationToken }),
        );
      } catch (error) {
        throw new S3OperationError('list', this.bucket, prefix, error);
      }
      for (const entry of page.Contents ?? []) {
        if (entry.Key === undefined) continue;
        yield { key: entry.Key, sizeBytes: entry.Size ?? 0, lastModified: entry.LastModified ?? new Date(0) };
      }
      continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (continuationToken);
  }

  async delete(key: string): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
    } catch (error) {
      if (isNotFound(error)) return;
      throw new S3OperationError('delete', this.bucket, key, error);
    }
  }

  /**
   * Aborts multipart uploads under `prefix` started before `startedBefore` and returns their keys.
   * Returns null when the store does not implement ListMultipartUploads (s3rver 3.7 does not).
   */
  async abortStaleMultipartUploads(prefix: string, startedBefore: Date): Promise<string[] | null> {
    const aborted: string[] = [];
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    do {
      let page;
      try {
        page = await this.client.send(new ListMultipartUploadsCommand({ Bucket: this.bucket, Prefix: prefix, KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker }));
      } catch (error) {
        if (errorName(error) === 'NotImplemented') return null;
        throw new S3OperationError('list multipart uploads', this.bucket, prefix, error);
      }
      for (const upload of page.Uploads ?? []) {
        if (!upload.Key || !upload.UploadId || !upload.Initiated || upload.Initiated >= startedBefore) continue;
        try {
          await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: upload.Key, UploadId: upload.UploadId }));
        } catch (error) {
          throw new S3OperationError('abort multipart upload', this.bucket, upload.Key, error);
        }
        aborted.push(upload.Key);
      }
      keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
      uploadIdMarker = page.IsTruncated ? page.NextUploadIdMarker : undefined;
    } while (keyMarker);
    return aborted;
  }

  /**
   * Checks that the bucket exists and that these credentials may write and delete under `prefix`:
   * HeadBucket, then a PUT and DELETE of a small probe object.
   */
  async probe(prefix: string, encryption: ServerSideEncryptionRequest): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
    } catch (error) {
      throw new S3OperationError('head bucket', this.bucket, null, error);
    }
    const probeKey = `${prefix}.duckling-probe-${randomBytes(6).toString('hex')}`;
    await this.putObject(probeKey, 'duckling write probe\n', encryption, 'text/plain');
    await this.delete(probeKey);
  }

  destroy(): void {
    this.client.destroy();
  }
}

function encryptionParams(encryption: ServerSideEncryptionRequest): { ServerSideEncryption?: ServerSideEncryption; SSEKMSKeyId?: string } {
  switch (encryption.mode) {
    case 'none':
      return {};
    case 'sse-s3':
      return { ServerSideEncryption: 'AES256' };
    case 'sse-kms':
      return { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: encryption.kmsKeyId };
  }
}

function errorName(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'name' in error ? String((error as { name: unknown }).name) : undefined;
}

function isNotFound(error: unknown): boolean {
  const name = errorName(error);
  const status = (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
  return name === 'NotFound' || name === 'NoSuchKey' || status === 404;
}

/** Describes an SDK error as `<name> (HTTP <status>): <message>`, the parts S3 reports. */
function describeS3Error(error: unknown): string {
  const name = errorName(error) ?? 'Error';
  const status = (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
  const message = error instanceof Error ? error.message : String(error);
  return `${name}${status ? ` (HTTP ${status})` : ''}: ${message}`;
}
