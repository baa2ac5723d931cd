import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { keyFingerprintHex } from '../../src/backup/encryption/index.js';
import { createLogger } from '../../src/logging/index.js';
import { SecretSealer } from '../../src/registry/index.js';
import { startDuckling, type RunningDuckling } from '../harness/duckling.js';
import { testSource } from '../harness/mariadb.js';
import { startTestS3, type TestS3 } from '../harness/s3.js';

const SEALING_KEY = randomBytes(32).toString('hex');
const SECRET_ACCESS_KEY = `Sk-${randomBytes(12).toString('hex')}`;
const FIRST_KEY = randomBytes(32).toString('hex');
const SECOND_KEY = randomBytes(32).toString('hex');
const seenText: string[] = [];
const logLines: string[] = [];

let s3: TestS3;
let server: RunningDuckling;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function send(method: string, pathAndQuery: string, body?: unknown): Promise<{ status: number; body: any }> {
  const init: RequestInit = { method };
  if (body !== undefined) {
    init.headers = { 'content-type': 'application/json' };
    init.body = JSON.stringify(body);
  }
  const response = await server.request(pathAndQuery, init);
  const text = await response.text();
  seenText.push(text);
  return { status: response.status, body: JSON.parse(text) };
}

function settings(overrides: Record<string, unknown> = {}) {
  return {
    bucket: s3.bucket,
    region: 'us-east-1',
    accessKeyId: s3.accessKeyId,
    endpoint: s3.endpoint,
    forcePathStyle: true,
    ...overrides,
  };
}

/** Reads the stored record of `id` from databases.json with its secrets opened. */
async function storedS3(id: string) {
  const text = await readFile(path.join(server.dataPath, 'databases.json'), 'utf8');
  const sealer = SecretSealer.withKeys(Buffer.from(SEALING_KEY, 'hex'));
  const record = JSON.parse(text).find((entry: { id: string }) => entry.id === id);
  return {
    text,
    secretAccessKey: sealer.open(record.s3.secretAccessKey, `${id}/s3.secretAccessKey`).clear,
    encryptionKey: record.s3.encryptionKey ? sealer.open(record.s3.encryptionKey, `${id}/s3.encryptionKey`).clear : undefined,
    keyring: record.s3.keyring as Array<{ fingerprint: string }> | undefined,
  };
}

before(async () => {
  const source = await testSource();
  s3 = await startTestS3();
  const logger = createLogger({ level: 'debug', version: 'test', destination: { write: (line: string) => void logLines.push(line) } });
  server = await startDuckling({ MYSQL_CONNECTION_STRING: source.url('sakila'), DUCKLING_SECRETS_KEY: SEALING_KEY }, { logger });
  const created = await send('POST', '/api/databases', { name: 'shop', mysqlConnectionString: source.url('sakila') });
  assert.equal(created.status, 200, JSON.stringify(created.body));
});

after(async () => {
  await server?.stop();
  await s3?.stop();
});

describe('S3 settings API', () => {
  test('unset settings read as null', async () => {
    const response = await send('GET', '/api/databases/default/s3');
    assert.equal(response.status, 200);
    assert.deepEqual(response.body, { success: true, s3: null });
  });

  test('unknown database is 404', async () => {
    const response = await send('GET', '/api/databases/nope/s3');
    assert.equal(response.status, 404);
    assert.equal(response.body.code, 'DUCKLING_DATABASE_NOT_FOUND');
  });

  test('first save needs secret', async () => {
    const response = await send('PUT', '/api/databases/default/s3', settings());
    assert.equal(response.status, 400);
    assert.match(response.body.message, /s3\.secretAccessKey is missing; give the secret access key on the first save/);
  });

  test('client-aes256 needs key', async () => {
    const response = await send('PUT', '/api/databases/default/s3', settings({ secretAccessKey: SECRET_ACCESS_KEY, encryption: 'client-aes256' }));
    assert.equal(response.status, 400);
    assert.match(response.body.message, /s3\.encryptionKey is missing/);
  });

  test('short key rejected without echo', async () => {
    const response = await send('PUT', '/api/databases/default/s3', settings({ secretAccessKey: SECRET_ACCESS_KEY, encryption: 'client-aes256', encryptionKey: 'abcdef0123' }));
    assert.equal(response.status, 400);
    assert.match(response.body.message, /s3\.encryptionKey is invalid; give 64 hexadecimal characters/);
    assert.doesNotMatch(response.body.message, /abcdef0123/);
  });

  test('endpoint credentials rejected without echo', async () => {
    const endpoint = s3.endpoint.replace('://', '://user:Pw0Secret@');
    const response = await send('PUT', '/api/databases/default/s3', settings({ secretAccessKey: SECRET_ACCESS_KEY, endpoint }));
    assert.equal(response.status, 400);
    assert.match(response.body.message, /s3\.endpoint must not contain a user name or password; put the credentials in accessKeyId and secretAccessKey/);
    assert.doesNotMatch(JSON.stringify(response.body), /Pw0Secret/);
    assert.ok(!logLines.join('').includes('Pw0Secret'), 'endpoint password reached the log');
  });

  test('sse-kms needs key id', async () => {
    const response = await send('PUT', '/api/databases/default/s3', settings({ secretAccessKey: SECRET_ACCESS_KEY, encryption: 'sse-kms' }));
    assert.equal(response.status, 400);
    assert.match(response.body.message, /s3\.kmsKeyId is missing/);
  });

  test('keyring field rejected', async () => {
    const response = await send('PUT', '/api/databases/default/s3', settings({ secretAccessKey: SECRET_ACCESS_KEY, keyring: [] }));
    assert.equal(response.status, 400);
    assert.match(response.body.message, /body\.keyring is not accepted/);
  });

  test('save masks secrets', async () => {
    const response = await send('PUT', '/api/databases/default/s3', settings({ secretAccessKey: SECRET_ACCESS_KEY, encryption: 'client-aes256', encryptionKey: FIRST_KEY }));
    assert.equal(response.status, 200, JSON.stringify(response.body));
    assert.equal(response.body.s3.secretAccessKey, '***');
    assert.equal(response.body.s3.encryptionKey, '***');
    assert.equal(response.body.s3.encryptionKeyFingerprint, keyFingerprintHex(Buffer.from(FIRST_KEY, 'hex')));
    assert.equal(response.body.s3.pathPrefix, 'default/');
    assert.equal(response.body.s3.enabled, true);
    assert.deepEqual(response.body.s3.keyring, []);

    const read = await send('GET', '/api/databases/default/s3');
    assert.deepEqual(read.body.s3, response.body.s3);

    const stored = await storedS3('default');
    assert.equal(stored.secretAccessKey, SECRET_ACCESS_KEY);
    assert.equal(stored.encryptionKey, FIRST_KEY);
    assert.equal(stored.text.includes(SECRET_ACCESS_KEY), false, 'secret access key sealed at rest');
    assert.equal(stored.text.includes(FIRST_KEY), false, 'encryption key sealed at rest');
  });

  test('omitted secrets are kept', async () => {
    const response = await send('PUT', '/api/databases/default/s3', settings({ encryption: 'client-aes256', secretAccessKey: '***', s3BackupRetentionDays: 30 }));
    assert.equal(response.status, 200, JSON.stringify(response.body));
    assert.equal(response.body.s3.s3BackupRetentionDays, 30);

    const stored = await storedS3('default');
    assert.equal(stored.secretAccessKey, SECRET_ACCESS_KEY);
    assert.equal(stored.encryptionKey, FIRST_KEY);
    assert.equal(stored.keyring, undefined, 'an unchanged key is not retired');
  });

  test('new key retires old one', async () => {
    const response = await send('PUT', '/api/databases/default/s3', settings({ encryption: 'client-aes256', encryptionKey: SECOND_KEY }));
    assert.equal(response.status, 200, JSON.stringify(response.body));
    assert.equal(response.body.s3.encryptionKeyFingerprint, keyFingerprintHex(Buffer.from(SECOND_KEY, 'hex')));
    assert.equal(response.body.s3.keyring.length, 1);
    assert.equal(response.body.s3.keyring[0].fingerprint, keyFingerprintHex(Buffer.from(FIRST_KEY, 'hex')));
    assert.equal(response.body.s3.keyring[0].key, '***');

    const stored = await storedS3('default');
    assert.equal(stored.encryptionKey, SECOND_KEY);
    assert.equal(stored.text.includes(FIRST_KEY), false, 'keyring key sealed at rest');
  });

  test('null key retires current key', async () => {
    const response = await send('PUT', '/api/databases/default/s3', settings({ encryption: 'none', encryptionKey: null }));
    assert.equal(response.status, 200, JSON.stringify(response.body));
    const fingerprints = response.body.s3.keyring.map((entry: { fingerprint: string }) => entry.fingerprint);
    assert.ok(fingerprints.includes(keyFingerprintHex(Buffer.from(SECOND_KEY, 'hex'))), 'second key moved to the keyring');
    assert.ok(fingerprints.includes(keyFingerprintHex(Buffer.from(FIRST_KEY, 'hex'))), 'first key stays in the keyring');

    const stored = await storedS3('default');
    assert.equal(stored.encryptionKey, undefined);
  });

  test('unknown encryption mode listed', async () => {
    const response = await send('PUT', '/api/databases/default/s3', settings({ encryption: 'aes' }));
    assert.equal(response.status, 400);
    assert.equal(response.body.message.match(/body\.encryption/g)?.length, 1, response.body.message);
    assert.match(response.body.message, /body\.encryption must be one of: none, sse-s3, sse-kms, client-aes256/);
  });

  test('overlapping prefix rejected', async () => {
    for (const pathPrefix of ['default/', 'default/shop/']) {
      const response = await send('PUT', '/api/databases/shop/s3', settings({ secretAccessKey: SECRET_ACCESS_KEY, pathPrefix }));
      assert.equal(response.status, 400, pathPrefix);
      assert.match(response.body.message, /overlap in bucket/);
    }
  });

  test('prefix with shared start accepted', async () => {
    const response = await send('PUT', '/api/databases/shop/s3', settings({ secretAccessKey: SECRET_ACCESS_KEY, pathPrefix: 'default2/' }));
    assert.equal(response.status, 200, JSON.stringify(response.body));
  });

  test('bucket test probes store', async () => {
    s3.clearRequests();
    const response = await send('POST', '/api/databases/default/s3/test');
    assert.equal(response.status, 200, JSON.stringify(response.body));
    assert.equal(response.body.success, true);
    assert.ok(s3.requests.some((request) => request.method === 'HEAD'), 'HeadBucket sent');
    assert.ok(s3.requests.some((request) => request.method === 'PUT' && request.url.includes('/default/.duckling-probe-')), 'probe written under the prefix');
    assert.ok(s3.requests.some((request) => request.method === 'DELETE'), 'probe deleted');
  });

  test('missing bucket is 502', async () => {
    const saved = await send('PUT', '/api/databases/shop/s3', settings({ bucket: 'no-such-bucket', pathPrefix: 'shop/' }));
    assert.equal(saved.status, 200, JSON.stringify(saved.body));
    const response = await send('POST', '/api/databases/shop/s3/test');
    assert.equal(response.status, 502);
    assert.equal(response.body.code, 'DUCKLING_S3_FAILED');
    assert.match(response.body.message, /no-such-bucket/);
  });

  test('delete removes settings', async () => {
    const removed = await send('DELETE', '/api/databases/shop/s3');
    assert.equal(removed.status, 200);
    assert.deepEqual((await send('GET', '/api/databases/shop/s3')).body, { success: true, s3: null });
    const probe = await send('POST', '/api/databases/shop/s3/test');
    assert.equal(probe.status, 400);
    assert.equal(probe.body.code, 'DUCKLING_S3_NOT_CONFIGURED');
  });

  test('no secret in responses or logs', () => {
    for (const secret of [SECRET_ACCESS_KEY, FIRST_KEY, SECOND_KEY, SEALING_KEY]) {
      assert.equal(seenText.some((text) => text.includes(secret)), false, 'a response contains a secret');
      assert.equal(logLines.some((line) => line.includes(secret)), false, 'a log line contains a secret');
    }
    assert.ok(logLines.some((line) => line.includes('s3 settings saved')), 'saves are logged');
  });
});
