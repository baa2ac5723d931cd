import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type mysql from 'mysql2/promise';
import { silentLogger } from '../../src/logging/index.js';
import { SyncService } from '../../src/sync/index.js';
import { testSource } from '../harness/mariadb.js';
import { openTarget, replicaCounts, replicaRows, syncConfig, tempDirectory } from './helpers.js';

let admin: mysql.Connection;
const directory = tempDirectory();
let target: Awaited<ReturnType<typeof openTarget>>;
let service: SyncService;

before(async () => {
  const source = await testSource();
  const schema = await source.createSchema('sync_values');
  admin = await source.connect(schema);
  // An empty sql_mode lets MariaDB store zero dates, partial dates and invalid calendar dates.
  await admin.query(`
    SET SESSION sql_mode = '';
    CREATE TABLE zeros (id INT PRIMARY KEY, d DATE, dt DATETIME);
    INSERT INTO zeros VALUES (1, '0000-00-00', '2024-00-10 00:00:00'), (2, '2024-01-01', '0000-00-00 00:00:00'), (3, '2024-05-06', '2024-05-06 07:08:09');
    CREATE TABLE days (id INT PRIMARY KEY, d DATE);
    INSERT INTO days VALUES (1, '2024-01-01'), (2, '2024-01-02');
  `);
  target = await openTarget(directory, source.url(schema));
  service = new SyncService({ config: syncConfig(directory), logger: silentLogger() });
});

after(async () => {
  await service.shutdown();
  await target.close();
  await admin.end();
});

test('zero dates counted', async () => {
  const stats = await service.startFullRun(target, { trigger: 'manual' }).completion;
  assert.deepEqual(stats.errors, []);
  const zeros = stats.tables.find((table) => table.table === 'zeros');
  assert.equal(zeros?.valuesNulled, 3);
  assert.deepEqual(zeros?.nulled, { d: 1, dt: 2 });
  assert.equal(stats.valuesNulled, 3);

  const rows = await replicaRows(target.replica, 'SELECT id, CAST(d AS VARCHAR) AS d, CAST(dt AS VARCHAR) AS dt FROM zeros ORDER BY id');
  assert.deepEqual(rows, [
    { id: 1, d: null, dt: null },
    { id: 2, d: '2024-01-01', dt: null },
    { id: 3, d: '2024-05-06', dt: '2024-05-06 07:08:09' },
  ]);
  const logs = await service.listSyncLogs(target, { limit: 1, offset: 0, table: 'zeros' });
  assert.equal(logs.logs[0]?.values_nulled, 3);
  assert.deepEqual(logs.logs[0]?.nulled_detail, { d: 1, dt: 2 });
});

test('invalid date fails table', async () => {
  await admin.query(`SET SESSION sql_mode = 'ALLOW_INVALID_DATES'; INSERT INTO days VALUES (3, '2024-02-30')`);
  const stats = await service.startFullRun(target, { trigger: 'manual' }).completion;
  assert.equal(stats.failedTables, 1);
  assert.equal(stats.successfulTables, 1);
  const message = stats.errors[0] ?? '';
  assert.match(message, /^days: /);
  assert.match(message, /column d/);
  assert.match(message, /\(id=3\)/);
  assert.match(message, /2024-02-30/);

  // The earlier copy of the table stays as it was, and the failed load leaves no staging behind.
  assert.deepEqual(await replicaCounts(target.replica), { days: 2, zeros: 3 });
  const staging = await replicaRows(target.replica, `SELECT count(*) AS n FROM duckdb_tables() WHERE starts_with(table_name, '__duckling_stage_')`);
  assert.equal(Number(staging[0]?.n), 0);
  const session = await replicaRows(target.replica, `SELECT status, reasons FROM _duckling.full_sync_sessions WHERE table_name = 'days'`);
  assert.equal(session[0]?.status, 'abandoned');
  const logs = await service.listSyncLogs(target, { limit: 1, offset: 0, table: 'days', status: 'error' });
  assert.equal(logs.total, 1);
  assert.match(logs.logs[0]?.error_message ?? '', /2024-02-30/);
});

test('mid-chunk failure names row', async () => {
  // The Appender sink converts a whole chunk at once, so the failing row is not the last one read.
  const server = await testSource();
  const schema = await server.createSchema('sync_mid');
  const connection = await server.connect(schema);
  const directory = tempDirectory();
  const midTarget = await openTarget(directory, server.url(schema));
  const midService = new SyncService({ config: syncConfig(directory), logger: silentLogger() });
  try {
    await connection.query(`
      SET SESSION sql_mode = 'ALLOW_INVALID_DATES';
      CREATE TABLE mid (id INT PRIMARY KEY, d DATE);
      INSERT INTO mid VALUES (1, '2024-01-01'), (2, '2023-02-29'), (3, '2024-01-03'), (4, '2024-01-04');
    `);
    const stats = await midService.startFullRun(midTarget, { trigger: 'manual' }).completion;
    assert.equal(stats.failedTables, 1);
    const message = stats.errors[0] ?? '';
    assert.match(message, /column d/);
    assert.match(message, /\(id=2\)/);
    assert.match(message, /2023-02-29/);
  } finally {
    await midService.shutdown();
    await midTarget.close();
    await connection.end();
  }
});
