import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type mysql from 'mysql2/promise';
import { silentLogger } from '../../src/logging/index.js';
import { SyncService, type SyncTarget } from '../../src/sync/index.js';
import { pageSizeAfterSortFailure } from '../../src/sync/incremental-table.js';
import { testSource } from '../harness/mariadb.js';
import { openTarget, replicaRows, syncConfig, tempDirectory } from './helpers.js';

let admin: mysql.Connection;
const directory = tempDirectory();
let opened: Awaited<ReturnType<typeof openTarget>>;
let target: SyncTarget;
let service: SyncService;

before(async () => {
  const source = await testSource();
  const schema = await source.createSchema('sync_settings');
  admin = await source.connect(schema);
  await admin.query(`
    CREATE TABLE events (id BIGINT UNSIGNED PRIMARY KEY, payload VARCHAR(20));
    CREATE TABLE docs (id INT PRIMARY KEY, body VARCHAR(20), changed DATETIME NOT NULL);
    CREATE TABLE broken (id INT PRIMARY KEY, updated_at DATETIME NOT NULL);
    INSERT INTO events VALUES (1, 'a'), (18446744073709551610, 'big');
    INSERT INTO docs VALUES (1, 'draft', '2024-01-01 00:00:00');
    INSERT INTO broken VALUES (1, '2024-01-01 00:00:00');
  `);
  opened = await openTarget(directory, source.url(schema));
  target = { ...opened, sync: { appendOnlyTables: ['events'], watermarkColumns: { docs: 'changed' } } };
  service = new SyncService({ config: syncConfig(directory), logger: silentLogger() });
  const stats = await service.startFullRun(target, { trigger: 'manual' }).completion;
  assert.deepEqual(stats.errors, []);
});

after(async () => {
  await service.shutdown();
  await opened.close();
  await admin.end();
});

test('full sync records modes', async () => {
  const rows = await replicaRows(target.replica, `SELECT table_name, mode, column_name, last_value FROM _duckling.watermarks ORDER BY table_name`);
  assert.deepEqual(rows, [
    { table_name: 'broken', mode: 'timestamp', column_name: 'updated_at', last_value: '2024-01-01 00:00:00' },
    { table_name: 'docs', mode: 'timestamp', column_name: 'changed', last_value: '2024-01-01 00:00:00' },
    { table_name: 'events', mode: 'id', column_name: 'id', last_value: '18446744073709551610' },
  ]);
});

test('id mode reads new keys', async () => {
  await admin.query(`INSERT INTO events VALUES (18446744073709551611, 'next'); UPDATE events SET payload = 'unseen' WHERE id = 1`);
  const stats = await service.startIncrementalRun(target, { trigger: 'manual' }).completion;
  const events = stats.tables.find((table) => table.table === 'events');
  assert.equal(events?.syncType, 'watermark');
  assert.equal(events?.recordsProcessed, 1);
  assert.deepEqual(events?.watermark, { mode: 'id', column: 'id', value: '18446744073709551611', key: ['18446744073709551611'] });
  const rows = await replicaRows(target.replica, `SELECT CAST(id AS VARCHAR) AS id, payload FROM events ORDER BY id`);
  assert.deepEqual(rows, [
    { id: '1', payload: 'a' },
    { id: '18446744073709551610', payload: 'big' },
    { id: '18446744073709551611', payload: 'next' },
  ]);
});

test('configured column merges', async () => {
  await admin.query(`UPDATE docs SET body = 'final', changed = '2024-06-01 00:00:00' WHERE id = 1`);
  const stats = await service.startIncrementalRun(target, { trigger: 'manual' }).completion;
  const docs = stats.tables.find((table) => table.table === 'docs');
  assert.equal(docs?.syncType, 'watermark');
  assert.equal(docs?.recordsProcessed, 1);
  assert.deepEqual(await replicaRows(target.replica, `SELECT body FROM docs`), [{ body: 'final' }]);
});

test('missing column fails table', async () => {
  const misconfigured = { ...target, sync: { watermarkColumns: { broken: 'updatedAt' } } };
  const stats = await service.startIncrementalRun(misconfigured, { trigger: 'manual' }).completion;
  const broken = stats.tables.find((table) => table.table === 'broken');
  assert.equal(broken?.status, 'error');
  assert.match(broken?.error ?? '', /watermark column "updatedAt" configured for table broken in sync\.watermarkColumns does not exist \(columns: id, updated_at\)/);
  assert.equal(stats.failedTables, 1);
  assert.deepEqual(stats.errors, [`broken: ${broken?.error}`]);
  assert.equal(stats.tables.find((table) => table.table === 'docs')?.status, 'success');
});

test('wrong column type fails', async () => {
  const misconfigured = { ...target, sync: { watermarkColumns: { docs: 'body' }, appendOnlyTables: ['broken'] } };
  const stats = await service.startIncrementalRun(misconfigured, { trigger: 'manual' }).completion;
  assert.match(stats.tables.find((table) => table.table === 'docs')?.error ?? '', /has type varchar\(20\); a watermark must be DATETIME or TIMESTAMP/);
  assert.equal(stats.tables.find((table) => table.table === 'broken')?.syncType, 'sequential');
});

test('sort failure page size', () => {
  assert.equal(pageSizeAfterSortFailure(1000), 100);
  assert.equal(pageSizeAfterSortFailure(50_000), 5000);
  assert.equal(pageSizeAfterSortFailure(100), null);
  assert.equal(pageSizeAfterSortFailure(2), null);
});
