import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type mysql from 'mysql2/promise';
import { silentLogger } from '../../src/logging/index.js';
import { SyncService } from '../../src/sync/index.js';
import { testSource } from '../harness/mariadb.js';
import { openTarget, replicaRows, syncConfig, tempDirectory } from './helpers.js';

let admin: mysql.Connection;
const directory = tempDirectory();
let target: Awaited<ReturnType<typeof openTarget>>;
let service: SyncService;

before(async () => {
  const source = await testSource();
  const schema = await source.createSchema('sync_incremental');
  admin = await source.connect(schema);
  await admin.query(`
    CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(20), price DECIMAL(10,2), updated_at DATETIME(3) NOT NULL);
    CREATE TABLE pairs (a INT NOT NULL, b VARCHAR(10) COLLATE utf8mb4_bin NOT NULL, v INT, modified_at TIMESTAMP(6) NOT NULL, PRIMARY KEY (a, b));
    CREATE TABLE plain (id INT PRIMARY KEY, note VARCHAR(20));
    INSERT INTO items VALUES (1, 'one', 1.10, '2024-01-01 00:00:00.000'), (2, 'two', 2.20, '2024-01-02 00:00:00.000');
    INSERT INTO pairs VALUES (1, 'a', 1, '2024-01-01 00:00:00'), (1, 'b', 2, '2024-01-01 00:00:00'), (2, 'a', 3, '2024-01-03 00:00:00');
    INSERT INTO plain VALUES (1, 'x');
  `);
  target = await openTarget(directory, source.url(schema));
  service = new SyncService({ config: syncConfig(directory, { BATCH_SIZE: '2', APPENDER_FLUSH_INTERVAL: '3' }), logger: silentLogger() });
  const stats = await service.startFullRun(target, { trigger: 'manual' }).completion;
  assert.deepEqual(stats.errors, []);
});

after(async () => {
  await service.shutdown();
  await target.close();
  await admin.end();
});

async function watermarkOf(table: string): Promise<{ value: unknown; key: unknown }> {
  const rows = await replicaRows(target.replica, `SELECT last_value, CAST(last_key AS VARCHAR) AS k FROM _duckling.watermarks WHERE table_name = '${table}'`);
  return { value: rows[0]?.last_value, key: rows[0]?.k };
}

test('inserts and updates merge', async () => {
  await admin.query(`
    INSERT INTO items VALUES (3, 'three', 3.30, '2024-02-01 00:00:00.000');
    UPDATE items SET name = 'ONE', price = 9.99, updated_at = '2024-02-02 00:00:00.250' WHERE id = 1;
    UPDATE items SET name = 'first', updated_at = '2024-02-03 00:00:00.000' WHERE id = 2;
    UPDATE items SET name = 'second', updated_at = '2024-02-04 00:00:00.000' WHERE id = 2;
  `);
  const stats = await service.startIncrementalRun(target, { trigger: 'manual' }).completion;
  assert.deepEqual(stats.errors, []);
  const items = stats.tables.find((table) => table.table === 'items');
  assert.equal(items?.syncType, 'watermark');
  assert.equal(items?.recordsProcessed, 3);
  assert.deepEqual(items?.watermark, { mode: 'timestamp', column: 'updated_at', value: '2024-02-04 00:00:00.000', key: [2] });
  assert.equal(stats.syncDetails.watermark, 2);
  assert.equal(stats.syncDetails.sequential, 1);

  const rows = await replicaRows(target.replica, `SELECT id, name, CAST(price AS VARCHAR) AS price, CAST(updated_at AS VARCHAR) AS at FROM items ORDER BY id`);
  assert.deepEqual(rows, [
    { id: 1, name: 'ONE', price: '9.99', at: '2024-02-02 00:00:00.25' },
    { id: 2, name: 'second', price: '2.20', at: '2024-02-04 00:00:00' },
    { id: 3, name: 'three', price: '3.30', at: '2024-02-01 00:00:00' },
  ]);
  assert.deepEqual(await watermarkOf('items'), { value: '2024-02-04 00:00:00.000', key: '[2]' });
  const log = await replicaRows(target.replica, `SELECT sync_type, status, records_processed, rows_read FROM _duckling.sync_log WHERE run_id = '${stats.runId}' AND table_name = 'items'`);
  assert.deepEqual(log, [{ sync_type: 'watermark', status: 'success', records_processed: 3n, rows_read: 3n }]);
});

test('composite keys merge', async () => {
  await admin.query(`
    UPDATE pairs SET v = 10, modified_at = '2024-03-01 00:00:00' WHERE a = 1 AND b = 'b';
    INSERT INTO pairs VALUES (1, 'B', 20, '2024-03-01 00:00:00'), (2, 'b', 30, '2024-03-01 00:00:00');
  `);
  const stats = await service.startIncrementalRun(target, { trigger: 'manual' }).completion;
  assert.deepEqual(stats.errors, []);
  const rows = await replicaRows(target.replica, `SELECT a, b, v FROM pairs ORDER BY a, b`);
  assert.deepEqual(rows.map((row) => `${String(row.a)}${String(row.b)}=${String(row.v)}`), ['1B=20', '1a=1', '1b=10', '2a=3', '2b=30']);
  assert.deepEqual(await watermarkOf('pairs'), { value: '2024-03-01 00:00:00.000000', key: '[2,"b"]' });
});

test('empty run keeps watermark', async () => {
  const before = await watermarkOf('items');
  const stats = await service.startIncrementalRun(target, { trigger: 'manual' }).completion;
  const items = stats.tables.find((table) => table.table === 'items');
  assert.equal(items?.status, 'success');
  assert.equal(items?.recordsProcessed, 0);
  assert.deepEqual(await watermarkOf('items'), before);
  const staging = await replicaRows(target.replica, `SELECT table_name FROM duckdb_tables() WHERE starts_with(table_name, '__duckling_stage_')`);
  assert.deepEqual(staging, []);
});

test('table without watermark reloads', async () => {
  await admin.query(`INSERT INTO plain VALUES (2, 'y'); UPDATE plain SET note = 'changed' WHERE id = 1`);
  const stats = await service.startIncrementalRun(target, { trigger: 'manual' }).completion;
  const plain = stats.tables.find((table) => table.table === 'plain');
  assert.equal(plain?.syncType, 'sequential');
  assert.equal(plain?.recordsProcessed, 2);
  const rows = await replicaRows(target.replica, `SELECT id, note FROM plain ORDER BY id`);
  assert.deepEqual(rows, [{ id: 1, note: 'changed' }, { id: 2, note: 'y' }]);
});

test('single table modes', async () => {
  await admin.query(`UPDATE items SET name = 'again', updated_at = '2024-05-01 00:00:00.000' WHERE id = 3`);
  const merged = await service.syncTable(target, 'items', { trigger: 'manual', mode: 'auto' });
  assert.equal(merged.syncType, 'watermark');
  assert.equal(merged.recordsProcessed, 1);
  const full = await service.syncTable(target, 'items', { trigger: 'manual', mode: 'full' });
  assert.equal(full.syncType, 'sequential');
  assert.equal(full.recordsProcessed, 3);
  const forced = await service.syncTable(target, 'plain', { trigger: 'manual', mode: 'incremental' });
  assert.equal(forced.syncType, 'sequential');
});

test('concurrent run conflicts', async () => {
  const running = service.startIncrementalRun(target, { trigger: 'manual' });
  assert.throws(() => service.startFullRun(target, { trigger: 'manual' }), { code: 'DUCKLING_SYNC_IN_PROGRESS', statusCode: 409 });
  assert.throws(() => service.startIncrementalRun(target, { trigger: 'manual' }), { code: 'DUCKLING_SYNC_IN_PROGRESS' });
  await running.completion;
});

test('progress reports incremental', async () => {
  await admin.query(`UPDATE items SET name = 'watched', updated_at = '2024-07-01 00:00:00.000' WHERE id = 1`);
  const types = new Set<string | null>();
  const phases: string[] = [];
  const unsubscribe = service.onProgress((_databaseId, progress) => {
    types.add(progress.type);
    const items = progress.tables.find((table) => table.table === 'items');
    if (items && phases.at(-1) !== items.phase) phases.push(items.phase);
  });
  await service.startIncrementalRun(target, { trigger: 'manual' }).completion;
  unsubscribe();
  assert.deepEqual([...types], ['incremental']);
  assert.deepEqual(phases, ['pending', 'loading', 'swapping', 'done']);
  const progress = service.progress('default');
  assert.equal(progress.inProgress, false);
  assert.equal(progress.type, 'incremental');
  assert.equal(progress.tables.find((table) => table.table === 'items')?.rowsDone, 1);
});
