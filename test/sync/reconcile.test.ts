import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type mysql from 'mysql2/promise';
import { silentLogger } from '../../src/logging/index.js';
import { SyncService, type TableReconcileResult } from '../../src/sync/index.js';
import { validateDatabase } from '../../src/sync/validation/index.js';
import { testSource } from '../harness/mariadb.js';
import { openTarget, replicaRows, syncConfig, tempDirectory } from './helpers.js';

const directory = tempDirectory();
let admin: mysql.Connection;
let target: Awaited<ReturnType<typeof openTarget>>;
let service: SyncService;

before(async () => {
  const source = await testSource();
  const schema = await source.createSchema('sync_reconcile');
  admin = await source.connect(schema);
  // 23,000 items make three checksum chunks of 10,000 keys.
  await admin.query(`
    CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(20) NOT NULL);
    CREATE TABLE pairs (a INT NOT NULL, b VARCHAR(10) NOT NULL, v INT, PRIMARY KEY (a, b));
    CREATE TABLE loose (n INT);
    SET SESSION max_recursive_iterations = 100000;
    INSERT INTO items WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < 23000)
      SELECT n, CONCAT('item ', n) FROM seq;
    INSERT INTO pairs VALUES (1, 'x', 10), (1, 'y', 11), (2, 'x', 20), (2, 'y', 21);
    INSERT INTO loose VALUES (1);
  `);
  target = await openTarget(directory, source.url(schema));
  service = new SyncService({ config: syncConfig(directory), logger: silentLogger() });
  const stats = await service.startFullRun(target, { trigger: 'manual' }).completion;
  assert.deepEqual(stats.errors, []);
});

after(async () => {
  await service?.shutdown();
  await target?.close();
  await admin?.end();
});

async function reconcile(options: { table?: string; content?: boolean } = {}): Promise<Map<string, TableReconcileResult>> {
  const report = await service.startReconcileRun(target, { trigger: 'manual', ...options }).completion;
  return new Map(report.tables.map((result) => [result.table, result]));
}

async function checksumMismatches(): Promise<string[]> {
  const report = await validateDatabase(target, { mode: 'checksum' }, silentLogger());
  return report.validationResults.filter((result) => !result.match).map((result) => result.table);
}

// The tests run in order, each starting from a replica equal to its source.
test('reconcile of equal sides', async () => {
  const results = await reconcile();
  assert.deepEqual(results.get('items'), { table: 'items', chunks: 3, mismatchedChunks: 0, rowsDeleted: 0, rowsRepaired: 0 });
  assert.equal(results.get('pairs')!.rowsDeleted, 0);
  assert.match(results.get('loose')!.error ?? '', /no primary key/);
});

test('deletes and inserts repaired', async () => {
  await admin.query(`DELETE FROM items WHERE id IN (1, 15000, 23000)`);
  await admin.query(`DELETE FROM pairs WHERE a = 1 AND b = 'y'`);
  await admin.query(`INSERT INTO pairs VALUES (3, 'x', 30)`);
  await target.replica.withWriter((writer) => writer.run(`INSERT INTO main.items VALUES (99999, 'replica only')`));
  assert.deepEqual(await checksumMismatches(), ['items', 'pairs']);

  const results = await reconcile();
  const items = results.get('items')!;
  assert.equal(items.rowsDeleted, 4);
  assert.equal(items.rowsRepaired, 0);
  assert.equal(items.mismatchedChunks, 3);
  const pairs = results.get('pairs')!;
  assert.equal(pairs.rowsDeleted, 1);
  assert.equal(pairs.rowsRepaired, 1);

  assert.deepEqual(await checksumMismatches(), []);
  const report = await validateDatabase(target, { mode: 'count' }, silentLogger());
  assert.equal(report.summary.matchingTables, report.summary.totalTables);
  const rows = await replicaRows(target.replica, `SELECT a, b, v FROM main.pairs ORDER BY a, b`);
  assert.deepEqual(rows, [{ a: 1, b: 'x', v: 10 }, { a: 2, b: 'x', v: 20 }, { a: 2, b: 'y', v: 21 }, { a: 3, b: 'x', v: 30 }]);
});

test('changed values need content', async () => {
  await admin.query(`UPDATE items SET name = 'renamed' WHERE id = 12345`);
  await admin.query(`UPDATE pairs SET v = 99 WHERE a = 2 AND b = 'y'`);

  const keysOnly = await reconcile();
  assert.equal(keysOnly.get('items')!.rowsRepaired, 0);
  assert.equal(keysOnly.get('pairs')!.rowsRepaired, 0);
  assert.deepEqual(await checksumMismatches(), ['items', 'pairs']);

  const content = await reconcile({ content: true });
  assert.equal(content.get('items')!.rowsRepaired, 1);
  assert.equal(content.get('items')!.mismatchedChunks, 1);
  assert.equal(content.get('pairs')!.rowsRepaired, 1);
  assert.deepEqual(await checksumMismatches(), []);
  const rows = await replicaRows(target.replica, `SELECT name FROM main.items WHERE id = 12345`);
  assert.deepEqual(rows, [{ name: 'renamed' }]);
});

test('one table and its sync log', async () => {
  await admin.query(`DELETE FROM pairs WHERE a = 3`);
  const results = await reconcile({ table: 'pairs' });
  assert.deepEqual([...results.keys()], ['pairs']);
  assert.equal(results.get('pairs')!.rowsDeleted, 1);

  const page = await service.listSyncLogs(target, { limit: 1, offset: 0 });
  assert.equal(page.logs[0]!.table_name, 'pairs');
  assert.equal(page.logs[0]!.records_processed, 1);
  await assert.rejects(reconcile({ table: 'missing_table' }), { code: 'DUCKLING_TABLE_NOT_FOUND' });
});

test('refused during a running sync', async () => {
  const run = service.startFullRun(target, { trigger: 'manual' });
  assert.throws(() => service.startReconcileRun(target, { trigger: 'manual' }), { code: 'DUCKLING_SYNC_IN_PROGRESS' });
  await run.completion;
});

test('temporal keys are skipped', async () => {
  await admin.query(`CREATE TABLE events (at DATETIME PRIMARY KEY, v INT); INSERT INTO events VALUES ('2024-01-01 10:00:00', 1);`);
  await service.syncTable(target, 'events', { trigger: 'manual' });
  const results = await reconcile({ table: 'events' });
  const events = results.get('events');
  assert.equal(events?.rowsDeleted, 0);
  assert.match(events?.error ?? '', /key column at has type datetime; reconcile handles integer and text keys/);
  await admin.query('DROP TABLE events');
  await service.startFullRun(target, { trigger: 'manual' }).completion;
});
