import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type mysql from 'mysql2/promise';
import { keyFingerprintHex } from '../../src/backup/encryption/index.js';
import { createS3Client } from '../../src/backup/s3/s3-client.js';
import { S3ObjectStore } from '../../src/backup/s3/s3-object-store.js';
import { createLogger } from '../../src/logging/index.js';
import { startDuckling, type RunningDuckling } from '../harness/duckling.js';
import { testSource } from '../harness/mariadb.js';
import { startTestS3, type TestS3 } from '../harness/s3.js';

const SECRET_ACCESS_KEY = `Sk-${randomBytes(12).toString('hex')}`;
const KEY_ONE = randomBytes(32).toString('hex');
const KEY_TWO = randomBytes(32).toString('hex');
const OTHER_DB_KEY = randomBytes(32).toString('hex');
const seenText: string[] = [];
const logLines: string[] = [];

let s3: TestS3;
let bucket: S3ObjectStore;
let server: RunningDuckling;
let admin: mysql.Connection;
let nextItem = 1;

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

async function configure(db: string, overrides: Record<string, unknown>): Promise<void> {
  const body = { bucket: s3.bucket, region: 'us-east-1', accessKeyId: s3.accessKeyId, secretAccessKey: SECRET_ACCESS_KEY, endpoint: s3.endpoint, forcePathStyle: true, ...overrides };
  const response = await send('PUT', `/api/databases/${db}/s3`, body);
  assert.equal(response.status, 200, JSON.stringify(response.body));
}

async function addItems(count: number): Promise<void> {
  const first = nextItem;
  nextItem += count;
  await admin.query(`INSERT INTO items SELECT seq, CONCAT('item-', seq) FROM seq_${first}_to_${nextItem - 1}`);
  const response = await send('POST', '/api/sync/full');
  assert.equal(response.status, 200, JSON.stringify(response.body));
}

async function itemCount(db = 'default'): Promise<number> {
  const response = await send('GET', `/api/tables/items/count?db=${db}`);
  assert.equal(response.status, 200, JSON.stringify(response.body));
  return response.body.count;
}

async function backUpToS3(db = 'default'): Promise<{ key: string; manifestKey: string; size: number }> {
  const response = await send('POST', `/api/backups/s3?db=${db}`);
  assert.equal(response.status, 200, JSON.stringify(response.body));
  return response.body;
}

async function restoreFromS3(key: string, db = 'default', extra: Record<string, unknown> = {}) {
  return send('POST', `/api/backups/s3/restore?db=${db}`, { key, ...extra });
}

/** Reads a whole object through the unrecorded endpoint. */
async function getBytes(key: string): Promise<Buffer> {
  const directory = await mkdtemp(path.join(os.tmpdir(), 'duckling-s3-object-'));
  try {
    const file = path.join(directory, 'object');
    assert.notEqual(await bucket.downloadToFile(key, file), null, `${key} exists`);
    return await readFile(file);
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

async function listKeys(prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const entry of bucket.list(prefix)) keys.push(entry.key);
  return keys;
}

/** Copies a backup's data and manifest objects under another name, optionally changing the data. */
async function copyBackup(fromKey: string, toName: string, change: (data: Buffer) => Buffer = (data) => data, toPrefix = 'default/'): Promise<string> {
  const encrypted = fromKey.endsWith('.enc');
  const stem = fromKey.replace(/\.db(\.enc)?$/, '');
  const data = await getBytes(fromKey);
  const manifest = await bucket.getText(`${stem}.manifest.json`);
  const toKey = `${toPrefix}${toName}${encrypted ? '.db.enc' : '.db'}`;
  await bucket.putObject(toKey, change(data), { mode: 'none' });
  if (manifest !== null) await bucket.putObject(`${toPrefix}${toName}.manifest.json`, manifest, { mode: 'none' });
  return toKey;
}

/** Returns a backup name whose timestamp no real backup of this run uses. */
function syntheticName(db: string, minute: number): string {
  return `backup-${db}-2025-06-01T00-${String(minute).padStart(2, '0')}-00-000Z`;
}

async function assertNoScratchFiles(): Promise<void> {
  const leftovers = (await readdir(server.dataPath)).filter((file) => /\.(tmp|download)$/.test(file) || file.includes('.restore-') || file.includes('.verify-'));
  assert.deepEqual(leftovers, [], 'no scratch or decrypted file stays beside the replica');
}

before(async () => {
  const source = await testSource();
  const schema = await source.createSchema('s3_backup');
  const otherSchema = await source.createSchema('s3_backup_other');
  admin = await source.connect(schema);
  await admin.query(`CREATE TABLE items (id INT PRIMARY KEY, label VARCHAR(40)); CREATE TABLE \`${otherSchema}\`.things (id INT PRIMARY KEY); INSERT INTO \`${otherSchema}\`.things VALUES (1), (2)`);

  s3 = await startTestS3();
  bucket = new S3ObjectStore(
    createS3Client({ bucket: s3.bucket, region: 'us-east-1', accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey, endpoint: s3.directEndpoint, forcePathStyle: true }),
    s3.bucket,
  );
  const logger = createLogger({ level: 'debug', version: 'test', destination: { write: (line: string) => void logLines.push(line) } });
  server = await startDuckling({ MYSQL_CONNECTION_STRING: source.url(schema) }, { logger, duckling: { s3ListPageSize: 2 } });

  const other = await send('POST', '/api/databases', { name: 'other', mysqlConnectionString: source.url(otherSchema) });
  assert.equal(other.status, 200, JSON.stringify(other.body));
  assert.equal((await send('POST', '/api/sync/full?db=other')).status, 200);
  await addItems(20);
});

after(async () => {
  bucket?.destroy();
  await server?.stop();
  await s3?.stop();
  await admin?.end();
});

describe('S3 backup and restore', () => {
  for (const mode of ['none', 'sse-s3', 'sse-kms', 'client-aes256'] as const) {
    test(`round trip with ${mode}`, async () => {
      const settings: Record<string, unknown> = { encryption: mode };
      if (mode === 'sse-kms') settings.kmsKeyId = 'arn:aws:kms:us-east-1:111122223333:key/duckling-test';
      if (mode === 'client-aes256') settings.encryptionKey = KEY_ONE;
      await configure('default', settings);

      s3.clearRequests();
      const before = await itemCount();
      const backup = await backUpToS3();
      assert.match(backup.key, mode === 'client-aes256' ? /^default\/backup-default-.*\.db\.enc$/ : /^default\/backup-default-.*\.db$/);

      const writes = s3.requests.filter((request) => request.method === 'PUT' || (request.method === 'POST' && request.url.includes('uploads')));
      assert.ok(writes.length >= 2, 'data and manifest were written');
      for (const write of writes.filter((request) => !request.url.includes('partNumber='))) {
        const expected = { none: undefined, 'sse-s3': 'AES256', 'sse-kms': 'aws:kms', 'client-aes256': undefined }[mode];
        assert.equal(write.headers['x-amz-server-side-encryption'], expected, `${write.method} ${write.url}`);
        if (mode === 'sse-kms') assert.equal(write.headers['x-amz-server-side-encryption-aws-kms-key-id'], settings.kmsKeyId);
      }

      const stored = await getBytes(backup.key);
      assert.equal(stored.length, backup.size);
      assert.equal(stored.subarray(0, 8).toString('ascii') === 'DUCKLING', mode === 'client-aes256', 'only client-aes256 objects are encrypted by Duckling');
      const manifest = JSON.parse((await bucket.getText(backup.manifestKey))!);
      assert.equal(manifest.object.key, backup.key);
      assert.equal(manifest.object.size, backup.size);
      assert.equal(manifest.encryption?.mode ?? null, mode === 'client-aes256' ? 'client-aes256' : null);
      if (mode === 'client-aes256') {
        assert.equal(manifest.encryption.keyFingerprint, keyFingerprintHex(Buffer.from(KEY_ONE, 'hex')));
        assert.match(manifest.manifestHmac, /^[0-9a-f]{64}$/);
      }

      // The source only grows, so after the sync the replica has more rows than the backup.
      await addItems(5);
      assert.ok((await itemCount()) > before, 'rows added after the backup');

      const restored = await restoreFromS3(backup.key);
      assert.equal(restored.status, 200, JSON.stringify(restored.body));
      assert.equal(await itemCount(), before);
      assert.deepEqual(restored.body.tables, manifest.tables.map((table: { name: string; rows: number }) => ({ name: table.name, rows: table.rows })));
      await assertNoScratchFiles();
    });
  }

  test('verify reports every stage', async () => {
    await configure('default', { encryption: 'client-aes256', encryptionKey: KEY_ONE });
    const backup = await backUpToS3();
    const response = await send('POST', '/api/backups/verify', { location: 's3', key: backup.key });
    assert.equal(response.status, 200, JSON.stringify(response.body));
    assert.equal(response.body.valid, true, JSON.stringify(response.body.checks));
    assert.deepEqual(
      response.body.checks.map((check: { name: string }) => check.name),
      ['download', 'size', 'sha256', 'manifest_mac', 'key', 'hmac', 'decrypt', 'identity', 'open', 'tables'],
    );
    await assertNoScratchFiles();
  });
});

describe('S3 restore refusals', () => {
  let sourceKey: string;
  let liveCount: number;

  before(async () => {
    await configure('default', { encryption: 'client-aes256', encryptionKey: KEY_ONE });
    sourceKey = (await backUpToS3()).key;
    await addItems(3);
    liveCount = await itemCount();
  });

  const tamperings: Array<[string, (data: Buffer) => Buffer]> = [
    ['flipped byte', (data) => {
      const copy = Buffer.from(data);
      copy[copy.length >> 1]! ^= 0x10;
      return copy;
    }],
    ['truncated object', (data) => data.subarray(0, data.length - 100)],
    ['dropped last chunk', (data) => data.subarray(0, 64)],
    ['extended object', (data) => Buffer.concat([data, data.subarray(64, 200)])],
    ['edited header', (data) => {
      const copy = Buffer.from(data);
      copy[40]! ^= 0x01;
      return copy;
    }],
  ];

  tamperings.forEach(([name, change], index) => {
    test(`rejects ${name}`, async () => {
      const key = await copyBackup(sourceKey, syntheticName('default', index), change);
      const response = await restoreFromS3(key);
      assert.equal(response.status, 422, JSON.stringify(response.body));
      assert.equal(response.body.code, 'DUCKLING_BACKUP_INTEGRITY_FAILED');
      assert.equal(await itemCount(), liveCount, 'live replica unchanged');
      await assertNoScratchFiles();

      const verified = await send('POST', '/api/backups/verify', { location: 's3', key });
      assert.equal(verified.status, 200);
      assert.equal(verified.body.valid, false);
    });
  });

  test('rejects edited manifest', async () => {
    const name = syntheticName('default', 10);
    const key = await copyBackup(sourceKey, name);
    const manifestKey = `default/${name}.manifest.json`;
    const manifest = JSON.parse((await bucket.getText(manifestKey))!);
    manifest.tables[0].rows += 1;
    await bucket.putObject(manifestKey, JSON.stringify(manifest), { mode: 'none' });

    const response = await restoreFromS3(key);
    assert.equal(response.status, 422);
    assert.equal(response.body.code, 'DUCKLING_BACKUP_INTEGRITY_FAILED');
    const verified = await send('POST', '/api/backups/verify', { location: 's3', key });
    assert.deepEqual(verified.body.checks.find((check: { ok: boolean }) => !check.ok)?.name, 'manifest_mac');
  });

  test('rejects missing manifest', async () => {
    const name = syntheticName('default', 11);
    const key = await copyBackup(sourceKey, name);
    await bucket.delete(`default/${name}.manifest.json`);
    const response = await restoreFromS3(key);
    assert.equal(response.status, 422);
    assert.equal(response.body.code, 'DUCKLING_BACKUP_INTEGRITY_FAILED');
    assert.equal(await itemCount(), liveCount);
  });

  test('unknown key is 404', async () => {
    const response = await restoreFromS3(`default/${syntheticName('default', 12)}.db.enc`);
    assert.equal(response.status, 404);
    assert.equal(response.body.code, 'DUCKLING_BACKUP_NOT_FOUND');
  });

  test('key outside prefix is 400', async () => {
    for (const key of ['other/backup-default-2025-06-01T00-00-00-000Z.db', 'default/backup-other-2025-06-01T00-00-00-000Z.db', 'default/../x.db', 'default/backup-default-yesterday.db']) {
      const response = await restoreFromS3(key);
      assert.equal(response.status, 400, key);
      assert.equal(response.body.code, 'DUCKLING_INVALID_IDENTIFIER');
    }
  });

  test('key of other database', async () => {
    await configure('other', { encryption: 'client-aes256', encryptionKey: OTHER_DB_KEY });
    const otherBackup = await backUpToS3('other');
    const key = await copyBackup(otherBackup.key, syntheticName('default', 13));

    const response = await restoreFromS3(key);
    assert.equal(response.status, 422, JSON.stringify(response.body));
    assert.equal(response.body.code, 'DUCKLING_BACKUP_KEY_UNKNOWN');
    assert.match(response.body.message, new RegExp(keyFingerprintHex(Buffer.from(OTHER_DB_KEY, 'hex'))));
    assert.equal(await itemCount(), liveCount);
    await assertNoScratchFiles();
  });

  test('backup of other database', async () => {
    await configure('other', { encryption: 'client-aes256', encryptionKey: KEY_ONE, pathPrefix: 'other/' });
    const otherBackup = await backUpToS3('other');
    const key = await copyBackup(otherBackup.key, syntheticName('default', 14));

    const response = await restoreFromS3(key);
    assert.equal(response.status, 422, JSON.stringify(response.body));
    assert.equal(response.body.code, 'DUCKLING_BACKUP_OTHER_DATABASE');
    assert.equal(await itemCount(), liveCount);
    await assertNoScratchFiles();
  });
});

describe('S3 key rotation and listing', () => {
  test('old backup restores after rotation', async () => {
    await configure('default', { encryption: 'client-aes256', encryptionKey: KEY_ONE });
    const countAtOld = await itemCount();
    const old = await backUpToS3();

    await configure('default', { encryption: 'client-aes256', encryptionKey: KEY_TWO });
    const fresh = await backUpToS3();
    const freshManifest = JSON.parse((await bucket.getText(fresh.manifestKey))!);
    assert.equal(freshManifest.encryption.keyFingerprint, keyFingerprintHex(Buffer.from(KEY_TWO, 'hex')));

    await addItems(2);
    const restored = await restoreFromS3(old.key);
    assert.equal(restored.status, 200, JSON.stringify(restored.body));
    assert.equal(await itemCount(), countAtOld);
  });

  test('listing crosses pages', async () => {
    await bucket.putObject(`default/${syntheticName('default', 30)}.db`, Buffer.from('half-written'), { mode: 'none' });
    s3.clearRequests();
    const response = await send('GET', '/api/backups');
    assert.equal(response.status, 200, JSON.stringify(response.body));
    const entries = response.body.backups.filter((entry: { location: string }) => entry.location === 's3');

    const objectCount = (await listKeys('default/')).length;
    assert.ok(objectCount > 10, `enough objects for several pages of 2 (found ${objectCount})`);
    assert.ok(entries.length >= 8, `every S3 backup listed (found ${entries.length})`);
    assert.equal(entries.find((entry: { name: string }) => entry.name === syntheticName('default', 30))?.status, 'incomplete');
    assert.equal(entries.find((entry: { name: string }) => entry.name === syntheticName('default', 10))?.status, 'invalid', 'edited manifest fails its MAC');
    assert.ok(entries.some((entry: { status: string; encryption: string }) => entry.status === 'complete' && entry.encryption === 'sse-kms'));
    assert.ok(entries.every((entry: { name: string }) => entry.name.startsWith('backup-default-')), 'no entry of another database');
    const names = entries.map((entry: { name: string }) => entry.name);
    assert.deepEqual(names, [...names].sort().reverse(), 'newest first');

    const listRequests = s3.requests.filter((request) => request.url.includes('list-type=2') && request.url.includes('continuation-token='));
    assert.ok(listRequests.length >= 5, `continuation tokens followed (${listRequests.length} follow-up pages)`);
  });

  test('upload and restore are audited', async () => {
    const created = await send('GET', '/api/audit?event=backup.created&limit=100');
    assert.equal(created.status, 200, JSON.stringify(created.body));
    assert.ok(created.body.events.some((event: { detail: { location?: string } }) => event.detail.location === 's3'), 'an S3 upload was audited');
    const restored = await send('GET', '/api/audit?event=restore.completed&limit=100');
    assert.ok(restored.body.events.length > 0, 'an S3 restore was audited');
  });

  test('progress idle between transfers', async () => {
    const response = await send('GET', '/api/backups/s3/progress');
    assert.equal(response.status, 200, JSON.stringify(response.body));
    assert.deepEqual(response.body, { success: true, transfer: null });
  });

  test('upload follows local backup', async () => {
    const response = await send('POST', '/api/backups');
    assert.equal(response.status, 200, JSON.stringify(response.body));
    assert.match(response.body.backup.s3Key, /^default\/backup-default-.*\.db\.enc$/);
    assert.ok(await bucket.head(response.body.backup.s3Key));
  });

  test('automation status shows uploads', async () => {
    const response = await send('GET', '/api/automation/status');
    assert.equal(response.status, 200, JSON.stringify(response.body));
    const s3Backup = response.body.status.s3Backup;
    assert.equal(s3Backup.enabled, true);
    assert.equal(s3Backup.retentionDays, null);
    assert.ok(Date.parse(s3Backup.lastUploadAt) > Date.now() - 10 * 60_000, JSON.stringify(s3Backup));
  });

  test('no secret in responses or logs', () => {
    for (const secret of [SECRET_ACCESS_KEY, KEY_ONE, KEY_TWO, OTHER_DB_KEY]) {
      assert.equal(seenText.some((text) => text.includes(secret)), false, 'a response contains a secret');
      assert.equal(logLines.some((line) => line.includes(secret)), false, 'a log line contains a secret');
    }
  });
});
