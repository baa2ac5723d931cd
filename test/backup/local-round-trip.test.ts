import assert from 'node:assert/strict';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type mysql from 'mysql2/promise';
import { postJson, readJson, startDuckling, type RunningDuckling } from '../harness/duckling.js';
import { testSource } from '../harness/mariadb.js';

let server: RunningDuckling;
let admin: mysql.Connection;
let sourceUrl: string;

before(async () => {
  const source = await testSource();
  const schema = await source.createSchema('backup_trip');
  sourceUrl = source.url(schema);
  admin = await source.connect(schema);
  await admin.query(`
    CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(40), price DECIMAL(8,2), updated_at DATETIME NOT NULL);
    CREATE TABLE notes (body TEXT);
    INSERT INTO notes VALUES ('keyless'), ('keyless'), (NULL);
  `);
  await insertItems(1, 100);
  server = await startDuckling({ MYSQL_CONNECTION_STRING: sourceUrl });
  await fullSync();
});

after(async () => {
  await server?.stop();
  await admin?.end();
});

async function insertItems(first: number, last: number): Promise<void> {
  await admin.query(
    `INSERT INTO items SELECT seq, CONCAT('item-', seq), seq * 1.25, '2024-01-01 00:00:00' + INTERVAL seq MINUTE FROM seq_${first}_to_${last}`,
  );
}

async function fullSync(): Promise<void> {
  const response = await server.request('/api/sync/full', { method: 'POST' });
  assert.equal(response.status, 200, await response.clone().text());
}

async function counts(): Promise<Record<string, number>> {
  return readJson(await server.request('/api/tables/counts/all'));
}

async function backUp(): Promise<{ name: string; manifest: { tables: Array<{ name: string; rows: number; checksum: string }>; databaseId: string; createdAt: string } }> {
  const response = await server.request('/api/backups', { method: 'POST' });
  assert.equal(response.status, 200, await response.clone().text());
  return (await readJson(response)).backup;
}

test('backup writes image and manifest', async () => {
  const backup = await backUp();
  assert.match(backup.name, /^backup-default-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z$/);
  const files = (await readdir(path.join(server.dataPath, 'backups', backup.name))).sort();
  assert.deepEqual(files, ['duckling-default.db', 'manifest.json']);
  const manifest = JSON.parse(await readFile(path.join(server.dataPath, 'backups', backup.name, 'manifest.json'), 'utf8'));
  assert.equal(manifest.format, 'duckling-backup');
  assert.equal(manifest.databaseId, 'default');
  assert.equal(manifest.status, 'complete');
  assert.equal(manifest.encryption, null);
  assert.deepEqual(manifest.tables.map((table: { name: string; rows: number }) => [table.name, table.rows]), [['items', 100], ['notes', 3]]);
  assert.equal(manifest.object.size, manifest.plaintext.size);
  assert.match(manifest.source.identity, /^[0-9a-f]{64}$/);
  assert.equal(typeof manifest.duckdbStorageVersion, 'number');
});

test('restore round trip equals manifest', async () => {
  const backup = await backUp();
  await insertItems(101, 150);
  await admin.query(`INSERT INTO notes VALUES ('later')`);
  await fullSync();
  assert.deepEqual(await counts(), { items: 150, notes: 4 });

  const response = await postJson(server, '/api/backups/restore', { name: backup.name });
  assert.equal(response.status, 200, await response.clone().text());
  const body = await readJson(response);
  assert.equal(body.restoredFrom, backup.name);

  const expected = Object.fromEntries(backup.manifest.tables.map((table) => [table.name, table.rows]));
  assert.deepEqual(await counts(), expected);
  const verify = await readJson(await postJson(server, '/api/backups/verify', { location: 'local', name: backup.name }));
  assert.equal(verify.valid, true, JSON.stringify(verify.checks));

  const leftovers = (await readdir(server.dataPath)).filter((name) => /pre-restore|restore-journal|\.tmp$/.test(name));
  assert.deepEqual(leftovers, []);

  const audit = await readJson(await server.request('/api/audit?event=restore.completed&limit=1'));
  assert.equal(audit.events.length, 1);
  assert.equal(audit.events[0].target, 'default');
  assert.equal(audit.events[0].outcome, 'success');
  assert.equal(audit.events[0].detail.backup, backup.name);
  const created = await readJson(await server.request('/api/audit?event=backup.created&limit=1'));
  assert.equal(created.events.length, 1);
});

test('verify lists every local stage', async () => {
  const backup = await backUp();
  const body = await readJson(await postJson(server, '/api/backups/verify', { location: 'local', name: backup.name }));
  assert.equal(body.valid, true);
  assert.deepEqual(body.checks.map((check: { name: string }) => check.name), ['download', 'size', 'sha256', 'identity', 'open', 'tables']);
  assert.ok(body.checks.every((check: { ok: boolean }) => check.ok));
});

test('listing shows complete local backups', async () => {
  const body = await readJson(await server.request('/api/backups'));
  assert.ok(body.backups.length >= 1);
  const names = body.backups.map((entry: { name: string }) => entry.name);
  assert.deepEqual(names, [...names].sort().reverse());
  for (const entry of body.backups) {
    assert.equal(entry.location, 'local');
    assert.equal(entry.status, 'complete');
    assert.equal(entry.encryption, 'none');
    assert.equal(entry.manifest.backupId, entry.name);
  }
});

test('restore rejects malformed names', async () => {
  for (const name of ['../etc', 'backup-default-latest', 'backup-Default-2024-01-01T00-00-00-000Z', 'backup-default-2024-01-01T00-00-00-000Z/..']) {
    const response = await postJson(server, '/api/backups/restore', { name });
    assert.equal(response.status, 400, name);
    assert.equal((await readJson(response)).code, 'DUCKLING_INVALID_IDENTIFIER', name);
  }
});

test('restore of unknown backup is 404', async () => {
  const response = await postJson(server, '/api/backups/restore', { name: 'backup-default-2001-01-01T00-00-00-000Z' });
  assert.equal(response.status, 404);
  assert.equal((await readJson(response)).code, 'DUCKLING_BACKUP_NOT_FOUND');
});

test('corrupted image is rejected before swap', async () => {
  const backup = await backUp();
  const imagePath = path.join(server.dataPath, 'backups', backup.name, 'duckling-default.db');
  const bytes = await readFile(imagePath);
  bytes[bytes.length - 100] = bytes[bytes.length - 100]! ^ 0xff;
  await writeFile(imagePath, bytes);
  await insertItems(151, 160);
  await fullSync();
  const before = await counts();

  const response = await postJson(server, '/api/backups/restore', { name: backup.name });
  assert.equal(response.status, 422);
  const body = await readJson(response);
  assert.equal(body.code, 'DUCKLING_BACKUP_INTEGRITY_FAILED');
  assert.deepEqual(await counts(), before);

  const verify = await readJson(await postJson(server, '/api/backups/verify', { location: 'local', name: backup.name }));
  assert.equal(verify.valid, false);
  assert.deepEqual(verify.checks.at(-1), { name: 'sha256', ok: false, detail: verify.checks.at(-1).detail });
  const leftovers = (await readdir(server.dataPath)).filter((name) => name.endsWith('.tmp'));
  assert.deepEqual(leftovers, []);
});

test('backup without manifest is incomplete', async () => {
  const backup = await backUp();
  await rm(path.join(server.dataPath, 'backups', backup.name, 'manifest.json'));
  const listing = await readJson(await server.request('/api/backups'));
  const entry = listing.backups.find((candidate: { name: string }) => candidate.name === backup.name);
  assert.equal(entry.status, 'incomplete');
  assert.equal(entry.manifest, undefined);
  const response = await postJson(server, '/api/backups/restore', { name: backup.name });
  assert.equal(response.status, 422);
  assert.equal((await readJson(response)).code, 'DUCKLING_BACKUP_INTEGRITY_FAILED');
});

test('invalid manifest blocks restore', async () => {
  const backup = await backUp();
  await writeFile(path.join(server.dataPath, 'backups', backup.name, 'manifest.json'), '{"format":"nope"}');
  const listing = await readJson(await server.request('/api/backups'));
  const entry = listing.backups.find((candidate: { name: string }) => candidate.name === backup.name);
  assert.equal(entry.status, 'invalid');
  const response = await postJson(server, '/api/backups/restore', { name: backup.name });
  assert.equal(response.status, 422);
  assert.equal((await readJson(response)).code, 'DUCKLING_BACKUP_INTEGRITY_FAILED');
});

test('other database backup is 422', async () => {
  const created = await postJson(server, '/api/databases', { name: 'other', mysqlConnectionString: sourceUrl });
  assert.equal(created.status, 200, await created.clone().text());
  const synced = await server.request('/api/sync/full?db=other', { method: 'POST' });
  assert.equal(synced.status, 200);
  const response = await server.request('/api/backups?db=other', { method: 'POST' });
  assert.equal(response.status, 200, await response.clone().text());
  const otherName = (await readJson(response)).backup.name as string;

  const restore = await postJson(server, '/api/backups/restore', { name: otherName });
  assert.equal(restore.status, 422);
  const body = await readJson(restore);
  assert.equal(body.code, 'DUCKLING_BACKUP_OTHER_DATABASE');
  assert.match(body.message, /database "other"/);

  const listing = await readJson(await server.request('/api/backups'));
  assert.ok(listing.backups.every((entry: { name: string }) => entry.name.startsWith('backup-default-')));

  const allowed = await postJson(server, '/api/backups/restore', { name: otherName, allowCrossDatabase: true });
  assert.equal(allowed.status, 200, await allowed.clone().text());
  const restored = await readJson(allowed);
  assert.equal(restored.restoredFrom, otherName);
  const expected = Object.fromEntries(restored.tables.map((table: { name: string; rows: number }) => [table.name, table.rows]));
  assert.deepEqual(await counts(), expected);
});

test('automation status shows last backup', async () => {
  const backup = await backUp();
  const body = await readJson(await server.request('/api/automation/status'));
  assert.deepEqual(body.status.autoBackup, { enabled: true, intervalHours: 24, retentionDays: 7, lastBackupAt: backup.manifest.createdAt });
});

test('automation restore uses newest complete backup', async () => {
  const backup = await backUp();
  const response = await postJson(server, '/automation/restore', {});
  assert.equal(response.status, 200, await response.clone().text());
  assert.equal((await readJson(response)).restoredFrom, backup.name);
});

test('requests during restore get 200 or 503', async () => {
  const backup = await backUp();
  let restoreDone = false;
  const restore = postJson(server, '/api/backups/restore', { name: backup.name }).finally(() => {
    restoreDone = true;
  });

  const statuses: string[] = [];
  for (let round = 0; round < 2000 && !restoreDone; round += 1) {
    const response = await server.request('/api/tables/items/count');
    if (response.status === 200) {
      statuses.push('200');
      await response.arrayBuffer();
      continue;
    }
    const body = await readJson(response);
    statuses.push(`${response.status} ${body.code} retry-after=${response.headers.get('retry-after')}`);
    const ready = await server.request('/health/ready');
    const readiness = await readJson(ready);
    if (ready.status === 503) assert.deepEqual(readiness.reasons, ['restoring database "default"']);
  }
  const response = await restore;
  assert.equal(response.status, 200, await response.clone().text());
  const unexpected = statuses.filter((status) => status !== '200' && status !== '503 DUCKLING_DATABASE_RESTORING retry-after=5');
  assert.deepEqual(unexpected, []);
  assert.equal((await server.request('/health/ready')).status, 200);
});
