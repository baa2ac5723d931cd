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
  const schema = await source.createSchema('sync_boundary');
  admin = await source.connect(schema);
  await admin.query(`
    CREATE TABLE ties (id INT PRIMARY KEY, v INT, updated_at DATETIME NOT NULL, KEY (updated_at));
    CREATE TABLE late (id INT PRIMARY KEY, v INT, updated_at DATETIME NOT NULL);
    INSERT INTO ties VALUES (1, 1, '2024-01-01 00:00:00'), (2, 2, '2024-01-01 00:00:00');
    INSERT INTO late VALUES (1, 1, '2024-01-01 10:00:00');
  `);
  target = await openTarget(directory, source.url(schema));
  service = new SyncService({ config: syncConfig(directory, { BATCH_SIZE: '700', APPENDER_FLUSH_INTERVAL: '1000' }), logger: silentLogger() });
  const stats = await service.startFullRun(target, { trigger: 'manual' }).completion;
  assert.deepEqual(stats.errors, []);
});

after(async () => {
  await service.shutdown();
  await target.close();
  await admin.end();
});

/** Inserts `count` rows into `ties` from id `first` on, all with the same `updated_at`. */
async function insertTies(first: number, count: number, updatedAt: string): Promise<void> {
  const values = Array.from({ length: count }, (_, index) => `(${first + index}, ${index}, '${updatedAt}')`);
  await admin.query(`INSERT INTO ties VALUES ${values.join(', ')}`);
}

async function rowsRead(runId: string, table: string): Promise<unknown> {
  const rows = await replicaRows(target.replica, `SELECT rows_read FROM _duckling.sync_log WHERE run_id = '${runId}' AND table_name = '${table}'`);
  return rows[0]?.rows_read;
}

test('ties at the stored value', async () => {
  await insertTies(3, 5000, '2024-01-01 00:00:00');
  const stats = await service.startIncrementalRun(target, { trigger: 'manual' }).completion;
  assert.deepEqual(stats.errors, []);
  assert.equal(await rowsRead(stats.runId, 'ties'), 5000n);
  const counts = await replicaRows(target.replica, `SELECT count(*) AS n, count(DISTINCT id) AS ids, max(id) AS top FROM ties`);
  assert.deepEqual(counts, [{ n: 5002n, ids: 5002n, top: 5002 }]);
});

test('ties across page boundaries', async () => {
  await insertTies(5003, 5000, '2024-02-01 00:00:00');
  await admin.query(`UPDATE ties SET v = -1, updated_at = '2024-02-01 00:00:00' WHERE id = 1`);
  const stats = await service.startIncrementalRun(target, { trigger: 'manual' }).completion;
  assert.deepEqual(stats.errors, []);
  assert.equal(await rowsRead(stats.runId, 'ties'), 5001n);
  assert.equal(stats.tables.find((table) => table.table === 'ties')?.recordsProcessed, 5001);
  const counts = await replicaRows(target.replica, `SELECT count(*) AS n, count(DISTINCT id) AS ids, sum(v) AS total FROM ties`);
  const source = (await admin.query(`SELECT count(*) AS n, CAST(sum(v) AS SIGNED) AS total FROM ties`))[0] as Array<{ n: number; total: string }>;
  assert.deepEqual(counts, [{ n: 10002n, ids: 10002n, total: BigInt(source[0]!.total) }]);
  const mark = await replicaRows(target.replica, `SELECT last_value, CAST(last_key AS VARCHAR) AS k FROM _duckling.watermarks WHERE table_name = 'ties'`);
  assert.deepEqual(mark, [{ last_value: '2024-02-01 00:00:00', k: '[10002]' }]);
});

test('late row needs lookback', async () => {
  await admin.query(`INSERT INTO late VALUES (2, 2, '2024-01-01 09:59:30')`);
  const plain = await service.startIncrementalRun(target, { trigger: 'manual' }).completion;
  assert.equal(plain.tables.find((table) => table.table === 'late')?.recordsProcessed, 0);
  assert.deepEqual(await replicaRows(target.replica, `SELECT id FROM late ORDER BY id`), [{ id: 1 }]);

  const withLookback = { ...target, sync: { lookbackSeconds: 60 } };
  const stats = await service.startIncrementalRun(withLookback, { trigger: 'manual' }).completion;
  const late = stats.tables.find((table) => table.table === 'late');
  assert.equal(late?.recordsProcessed, 2);
  assert.deepEqual(late?.watermark, { mode: 'timestamp', column: 'updated_at', value: '2024-01-01 10:00:00', key: [1] });
  assert.deepEqual(await replicaRows(target.replica, `SELECT id, v FROM late ORDER BY id`), [{ id: 1, v: 1 }, { id: 2, v: 2 }]);
  const mark = await replicaRows(target.replica, `SELECT last_value, lookback_seconds FROM _duckling.watermarks WHERE table_name = 'late'`);
  assert.deepEqual(mark, [{ last_value: '2024-01-01 10:00:00', lookback_seconds: 60 }]);
});

test('lookback outside window', async () => {
  await admin.query(`INSERT INTO late VALUES (3, 3, '2024-01-01 09:58:59')`);
  const stats = await service.startIncrementalRun({ ...target, sync: { lookbackSeconds: 60 } }, { trigger: 'manual' }).completion;
  assert.equal(stats.tables.find((table) => table.table === 'late')?.status, 'success');
  assert.deepEqual(await replicaRows(target.replica, `SELECT id FROM late ORDER BY id`), [{ id: 1 }, { id: 2 }]);
});
