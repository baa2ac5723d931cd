import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '../../src/logging/index.js';
import { SyncService, type SyncRunStats } from '../../src/sync/index.js';
import { testSource } from '../harness/mariadb.js';
import { openTarget, replicaCounts, replicaRows, syncConfig, tempDirectory } from './helpers.js';

const SAKILA_COUNTS: Record<string, number> = {
  actor: 200, address: 603, category: 16, city: 600, country: 109, customer: 599, film: 1000,
  film_actor: 5462, film_category: 1000, film_text: 1000, inventory: 4581, language: 6,
  payment: 16049, rental: 16044, staff: 2, store: 2,
};

const directory = tempDirectory();
let target: Awaited<ReturnType<typeof openTarget>>;
let service: SyncService;
let firstRun: SyncRunStats;

before(async () => {
  const source = await testSource();
  target = await openTarget(directory, source.url('sakila'));
  service = new SyncService({ config: syncConfig(directory, { FULL_SYNC_BATCH_SIZE: '5000' }), logger: silentLogger() });
  firstRun = await service.startFullRun(target, { trigger: 'manual' }).completion;
});

after(async () => {
  await service.shutdown();
  await target.close();
});

async function mariadbValue(sql: string): Promise<unknown> {
  const connection = await (await testSource()).connect('sakila');
  try {
    await connection.query(`SET time_zone = '+00:00'`);
    const [rows] = await connection.query(sql);
    return Object.values((rows as Record<string, unknown>[])[0]!)[0];
  } finally {
    await connection.end();
  }
}

async function replicaValue(sql: string): Promise<unknown> {
  const rows = await replicaRows(target.replica, sql);
  return Object.values(rows[0]!)[0];
}

test('sakila run stats', () => {
  assert.deepEqual(firstRun.errors, []);
  assert.equal(firstRun.totalTables, 16);
  assert.equal(firstRun.successfulTables, 16);
  assert.equal(firstRun.syncDetails.sequential, 16);
  assert.equal(firstRun.recordsProcessed, Object.values(SAKILA_COUNTS).reduce((sum, count) => sum + count, 0));
});

test('sakila row counts', async () => {
  assert.deepEqual(await replicaCounts(target.replica), SAKILA_COUNTS);
});

test('sakila decimal sum', async () => {
  const expected = String(await mariadbValue('SELECT SUM(amount) FROM payment'));
  assert.equal(await replicaValue('SELECT CAST(SUM(amount) AS VARCHAR) FROM payment'), expected);
});

test('sakila enum set year', async () => {
  for (const filmId of [1, 2, 500, 1000]) {
    for (const column of ['rating', 'special_features', 'release_year', 'title']) {
      const expected = await mariadbValue(`SELECT CAST(${column} AS CHAR) FROM film WHERE film_id = ${filmId}`);
      const actual = await replicaValue(`SELECT CAST(${column} AS VARCHAR) FROM film WHERE film_id = ${filmId}`);
      assert.equal(actual, expected, `film ${filmId} column ${column}`);
    }
  }
});

test('sakila blob and timestamp', async () => {
  const picture = await mariadbValue('SELECT HEX(picture) FROM staff WHERE staff_id = 1');
  assert.equal(await replicaValue('SELECT hex(picture) FROM staff WHERE staff_id = 1'), picture);
  const stamp = await mariadbValue(`SELECT DATE_FORMAT(last_update, '%Y-%m-%d %H:%i:%s') FROM payment WHERE payment_id = 16049`);
  assert.equal(await replicaValue(`SELECT strftime(last_update, '%Y-%m-%d %H:%M:%S') FROM payment WHERE payment_id = 16049`), stamp);
  const paid = await mariadbValue(`SELECT DATE_FORMAT(payment_date, '%Y-%m-%d %H:%i:%s') FROM payment WHERE payment_id = 1`);
  assert.equal(await replicaValue(`SELECT strftime(payment_date, '%Y-%m-%d %H:%M:%S') FROM payment WHERE payment_id = 1`), paid);
});

test('sakila column comments', async () => {
  const connection = await (await testSource()).connect('sakila');
  let expected: Array<{ table: string; column: string; type: string }>;
  try {
    const [rows] = await connection.query(
      `SELECT TABLE_NAME AS t, COLUMN_NAME AS c, COLUMN_TYPE AS ty FROM information_schema.COLUMNS
        WHERE TABLE_SCHEMA = 'sakila' AND TABLE_NAME IN (SELECT TABLE_NAME FROM information_schema.TABLES
          WHERE TABLE_SCHEMA = 'sakila' AND TABLE_TYPE = 'BASE TABLE')`,
    );
    expected = (rows as Array<{ t: string; c: string; ty: string }>).map((row) => ({ table: row.t, column: row.c, type: row.ty }));
  } finally {
    await connection.end();
  }
  const actual = await replicaRows(
    target.replica,
    `SELECT table_name, column_name, comment FROM duckdb_columns() WHERE schema_name = 'main'`,
  );
  const comments = new Map(actual.map((row) => [`${String(row.table_name)}.${String(row.column_name)}`, row.comment]));
  assert.ok(expected.length > 80);
  for (const { table, column, type } of expected) assert.equal(comments.get(`${table}.${column}`), type, `${table}.${column}`);
});

test('sakila metadata and watermarks', async () => {
  const keys = await replicaRows(target.replica, `SELECT CAST(key_columns AS VARCHAR) AS k, key_kind FROM _duckling.tables WHERE table_name = 'film_actor'`);
  assert.equal(keys[0]?.k, '["actor_id","film_id"]');
  assert.equal(keys[0]?.key_kind, 'primary');
  const mark = await replicaRows(target.replica, `SELECT mode, column_name, last_value, CAST(last_key AS VARCHAR) AS last_key FROM _duckling.watermarks WHERE table_name = 'payment'`);
  const expected = await mariadbValue(`SELECT DATE_FORMAT(MAX(last_update), '%Y-%m-%d %H:%i:%s') FROM payment`);
  assert.equal(mark[0]?.mode, 'timestamp');
  assert.equal(mark[0]?.column_name, 'last_update');
  assert.equal(String(mark[0]?.last_value).slice(0, 19), expected);
  const sessions = await replicaRows(target.replica, 'SELECT count(*) AS n FROM _duckling.full_sync_sessions');
  assert.equal(Number(sessions[0]?.n), 0);
});

test('sakila sync logs and status', async () => {
  const page = await service.listSyncLogs(target, { limit: 5, offset: 0, status: 'success' });
  assert.equal(page.count, 5);
  assert.ok(page.total >= 16);
  const film = await service.listSyncLogs(target, { limit: 100, offset: 0, table: 'film' });
  assert.ok(film.logs.every((log) => log.table_name === 'film'));
  assert.equal(film.logs[0]?.records_processed, 1000);
  const status = (await service.status(target)) as { tables: Record<string, number | null>; recentLogs: unknown[] };
  assert.deepEqual(status.tables, { mysql: 16, duckdb: 16, synced: 16, pending: 0 });
  assert.equal(status.recentLogs.length, 16);
});

test('sakila second run', async () => {
  const second = await service.startFullRun(target, { trigger: 'manual' }).completion;
  assert.equal(second.successfulTables, 16);
  assert.notEqual(second.runId, firstRun.runId);
  assert.deepEqual(await replicaCounts(target.replica), SAKILA_COUNTS);
  const progress = service.progress('default');
  assert.equal(progress.inProgress, false);
  assert.equal(progress.runId, second.runId);
  assert.equal(progress.tablesCompleted, 16);
  assert.equal(progress.recordsProcessed, second.recordsProcessed);
  assert.ok(progress.tables.every((table) => table.phase === 'done'));
});
