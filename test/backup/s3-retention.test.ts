import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { fileTimestamp } from '../../src/backup/names.js';
import { createS3Client } from '../../src/backup/s3/s3-client.js';
import { S3ObjectStore } from '../../src/backup/s3/s3-object-store.js';
import { applyS3Retention } from '../../src/backup/s3/s3-retention.js';
import { silentLogger } from '../../src/logging/index.js';
import type { S3Settings } from '../../src/registry/index.js';
import { startTestS3, type TestS3 } from '../harness/s3.js';

const DAY_MS = 24 * 60 * 60 * 1000;
let s3: TestS3;
let store: S3ObjectStore;
let prefixCounter = 0;
let settings: S3Settings;

before(async () => {
  s3 = await startTestS3();
  store = new S3ObjectStore(
    createS3Client({ bucket: s3.bucket, region: 'us-east-1', accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey, endpoint: s3.endpoint, forcePathStyle: true }),
    s3.bucket,
    { listPageSize: 3 },
  );
});

after(async () => {
  store.destroy();
  await s3.stop();
});

beforeEach(() => {
  prefixCounter += 1;
  settings = {
    enabled: true,
    bucket: s3.bucket,
    region: 'us-east-1',
    accessKeyId: s3.accessKeyId,
    secretAccessKey: s3.secretAccessKey,
    pathPrefix: `retention-${prefixCounter}/`,
    encryption: 'none',
    s3BackupRetentionDays: 5,
  };
});

function nameAt(databaseId: string, at: Date): string {
  return `backup-${databaseId}-${fileTimestamp(at)}`;
}

async function putBackup(name: string, withManifest = true): Promise<void> {
  await store.putObject(`${settings.pathPrefix}${name}.db`, Buffer.from('image'), { mode: 'none' });
  if (withManifest) await store.putObject(`${settings.pathPrefix}${name}.manifest.json`, '{}', { mode: 'none' });
}

async function keys(): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of store.list(settings.pathPrefix)) found.push(entry.key.slice(settings.pathPrefix.length));
  return found.sort();
}

describe('S3 retention', () => {
  test('deletes expired complete backups', async () => {
    const now = new Date();
    const old = nameAt('shop', new Date(now.getTime() - 10 * DAY_MS));
    const older = nameAt('shop', new Date(now.getTime() - 11 * DAY_MS));
    const recent = nameAt('shop', new Date(now.getTime() - DAY_MS));
    for (const name of [old, older, recent]) await putBackup(name);

    const result = await applyS3Retention({ store, settings, databaseId: 'shop', now, logger: silentLogger() });

    assert.deepEqual(result.expired.sort(), [older, old].sort());
    assert.deepEqual(await keys(), [`${recent}.db`, `${recent}.manifest.json`]);
  });

  test('newest complete backup stays', async () => {
    const now = new Date();
    const oldest = nameAt('shop', new Date(now.getTime() - 30 * DAY_MS));
    const newest = nameAt('shop', new Date(now.getTime() - 20 * DAY_MS));
    await putBackup(oldest);
    await putBackup(newest);

    await applyS3Retention({ store, settings, databaseId: 'shop', now, logger: silentLogger() });

    assert.deepEqual(await keys(), [`${newest}.db`, `${newest}.manifest.json`]);
  });

  test('other databases untouched', async () => {
    const now = new Date();
    const mine = nameAt('shop', new Date(now.getTime() - 30 * DAY_MS));
    const newest = nameAt('shop', new Date(now.getTime() - DAY_MS));
    const theirs = nameAt('shop_eu', new Date(now.getTime() - 30 * DAY_MS));
    await putBackup(mine);
    await putBackup(newest);
    await putBackup(theirs);
    await store.putObject(`${settings.pathPrefix}notes.txt`, 'kept', { mode: 'none' });

    await applyS3Retention({ store, settings, databaseId: 'shop', now, logger: silentLogger() });

    assert.deepEqual(await keys(), [`${newest}.db`, `${newest}.manifest.json`, `${theirs}.db`, `${theirs}.manifest.json`, 'notes.txt'].sort());
  });

  test('no limit keeps everything', async () => {
    const now = new Date();
    const old = nameAt('shop', new Date(now.getTime() - 300 * DAY_MS));
    const newest = nameAt('shop', new Date(now.getTime() - DAY_MS));
    await putBackup(old);
    await putBackup(newest);
    delete settings.s3BackupRetentionDays;

    const result = await applyS3Retention({ store, settings, databaseId: 'shop', now, logger: silentLogger() });

    assert.deepEqual(result.expired, []);
    assert.equal((await keys()).length, 4);
  });

  test('day-old incomplete upload removed', async () => {
    const created = new Date();
    const incomplete = nameAt('shop', created);
    await putBackup(incomplete, false);

    const sameDay = await applyS3Retention({ store, settings, databaseId: 'shop', now: new Date(created.getTime() + 60_000), logger: silentLogger() });
    assert.deepEqual(sameDay.incomplete, [], 'an upload in progress is left alone');
    assert.deepEqual(await keys(), [`${incomplete}.db`]);

    const nextDay = await applyS3Retention({ store, settings, databaseId: 'shop', now: new Date(created.getTime() + 2 * DAY_MS), logger: silentLogger() });
    assert.deepEqual(nextDay.incomplete, [`${settings.pathPrefix}${incomplete}.db`]);
    assert.deepEqual(await keys(), []);
    assert.equal(nextDay.abortedUploads, null, 's3rver cannot list multipart uploads');
  });
});
