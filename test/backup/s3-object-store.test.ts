import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, before, beforeEach, describe, test } from 'node:test';
import { createS3Client } from '../../src/backup/s3/s3-client.js';
import { S3ObjectStore, S3OperationError } from '../../src/backup/s3/s3-object-store.js';
import { startTestS3, type TestS3 } from '../harness/s3.js';

const FIVE_MIB = 5 * 1024 * 1024;
let s3: TestS3;
let store: S3ObjectStore;
let directory: string;

before(async () => {
  s3 = await startTestS3();
  directory = await mkdtemp(path.join(os.tmpdir(), 'duckling-s3-store-'));
  const client = createS3Client({ bucket: s3.bucket, region: 'us-east-1', accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey, endpoint: s3.endpoint, forcePathStyle: true });
  store = new S3ObjectStore(client, s3.bucket, { listPageSize: 2, partBytes: FIVE_MIB });
});

after(async () => {
  store.destroy();
  await s3.stop();
  await rm(directory, { recursive: true, force: true });
});

beforeEach(() => s3.clearRequests());

/** Feeds `data` in 64 KiB pieces, as a file read stream does. */
function streamOf(data: Buffer): Readable {
  const pieces: Buffer[] = [];
  for (let offset = 0; offset < data.length; offset += 65536) pieces.push(data.subarray(offset, offset + 65536));
  return Readable.from(pieces);
}

describe('S3ObjectStore', () => {
  test('multipart upload round trip', async () => {
    const data = randomBytes(2 * FIVE_MIB + 12345);
    let reported = 0;
    await store.upload('shop/multipart.db', streamOf(data), { mode: 'none' }, (bytes) => {
      reported = bytes;
    });

    const parts = s3.requests.filter((request) => request.method === 'PUT' && request.url.includes('partNumber='));
    assert.equal(parts.length, 3, 'three parts of 5 MiB or less');
    for (const part of parts) {
      assert.ok(part.headers['content-length'], 'each part has a known length');
      assert.equal(part.headers['content-encoding'], undefined, 'no aws-chunked encoding');
    }
    assert.equal(reported, data.length);

    const head = await store.head('shop/multipart.db');
    assert.equal(head?.sizeBytes, data.length);

    const file = path.join(directory, 'multipart.db');
    assert.equal(await store.downloadToFile('shop/multipart.db', file), data.length);
    const downloaded = await readFile(file);
    assert.equal(createHash('sha256').update(downloaded).digest('hex'), createHash('sha256').update(data).digest('hex'));
  });

  test('sse-s3 header on multipart create', async () => {
    await store.upload('shop/sse-s3.db', streamOf(randomBytes(FIVE_MIB + 1)), { mode: 'sse-s3' });
    const create = s3.requests.find((request) => request.method === 'POST' && request.url.includes('uploads'));
    assert.ok(create, 'CreateMultipartUpload was sent');
    assert.equal(create.headers['x-amz-server-side-encryption'], 'AES256');
  });

  test('sse-kms headers on single put', async () => {
    await store.putObject('shop/sse-kms.json', '{}', { mode: 'sse-kms', kmsKeyId: 'arn:aws:kms:us-east-1:111122223333:key/test' });
    const put = s3.requests.find((request) => request.method === 'PUT');
    assert.ok(put, 'PutObject was sent');
    assert.equal(put.headers['x-amz-server-side-encryption'], 'aws:kms');
    assert.equal(put.headers['x-amz-server-side-encryption-aws-kms-key-id'], 'arn:aws:kms:us-east-1:111122223333:key/test');
  });

  test('no SSE headers in none mode', async () => {
    await store.putObject('shop/plain.json', '{}', { mode: 'none' });
    const put = s3.requests.find((request) => request.method === 'PUT');
    assert.equal(put?.headers['x-amz-server-side-encryption'], undefined);
  });

  test('listing follows continuation tokens', async () => {
    for (let index = 0; index < 5; index += 1) await store.putObject(`list/item-${index}`, `${index}`, { mode: 'none' });
    s3.clearRequests();

    const keys: string[] = [];
    for await (const entry of store.list('list/')) keys.push(entry.key);

    assert.deepEqual(keys, ['list/item-0', 'list/item-1', 'list/item-2', 'list/item-3', 'list/item-4']);
    const listRequests = s3.requests.filter((request) => request.method === 'GET' && request.url.includes('list-type=2'));
    assert.equal(listRequests.length, 3, 'pages of two keys');
    assert.ok(listRequests.slice(1).every((request) => request.url.includes('continuation-token=')));
  });

  test('missing object reads as null', async () => {
    assert.equal(await store.head('shop/missing.db'), null);
    assert.equal(await store.getText('shop/missing.json'), null);
    assert.equal(await store.downloadToFile('shop/missing.db', path.join(directory, 'missing.db')), null);
  });

  test('delete of missing object succeeds', async () => {
    await store.delete('shop/never-written.db');
  });

  test('text object round trip', async () => {
    await store.putObject('shop/manifest.json', '{"a":1}', { mode: 'none' }, 'application/json');
    assert.equal(await store.getText('shop/manifest.json'), '{"a":1}');
  });

  test('probe writes and deletes', async () => {
    await store.probe('probe/', { mode: 'none' });
    const keys: string[] = [];
    for await (const entry of store.list('probe/')) keys.push(entry.key);
    assert.deepEqual(keys, []);
  });

  test('stale upload cleanup unsupported', async () => {
    assert.equal(await store.abortStaleMultipartUploads('shop/', new Date()), null);
  });

  test('missing bucket names bucket', async () => {
    const client = createS3Client({ bucket: 'absent', region: 'us-east-1', accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey, endpoint: s3.endpoint, forcePathStyle: true });
    const absent = new S3ObjectStore(client, 'absent');
    try {
      await assert.rejects(absent.probe('x/', { mode: 'none' }), (error: unknown) => {
        assert.ok(error instanceof S3OperationError);
        assert.match(error.message, /head bucket bucket absent failed/);
        return true;
      });
    } finally {
      absent.destroy();
    }
  });

  // s3rver 3.7 does not check SigV4 signatures, so the test uses an unknown access key id as the bad credential.
  test('bad credentials hide secret', async () => {
    const secret = 'not-the-right-secret-value-1234';
    const client = createS3Client({ bucket: s3.bucket, region: 'us-east-1', accessKeyId: 'UNKNOWNKEY', secretAccessKey: secret, endpoint: s3.endpoint, forcePathStyle: true });
    const wrong = new S3ObjectStore(client, s3.bucket);
    try {
      await assert.rejects(wrong.putObject('shop/x', 'x', { mode: 'none' }), (error: unknown) => {
        assert.ok(error instanceof S3OperationError);
        assert.match(error.message, /InvalidAccessKeyId/);
        assert.doesNotMatch(error.message, new RegExp(secret));
        return true;
      });
    } finally {
      wrong.destroy();
    }
  });
});
