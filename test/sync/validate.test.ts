import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '../../src/logging/index.js';
import { SyncService } from '../../src/sync/index.js';
import { listSourceTables, tableDetails, validateDatabase, type TableValidation } from '../../src/sync/validation/index.js';
import { testSource } from '../harness/mariadb.js';
import { openTarget, syncConfig, tempDirectory } from './helpers.js';

const SAKILA_TABLES = [
  'actor', 'address', 'category', 'city', 'country', 'customer', 'film', 'film_actor', 'film_category',
  'film_text', 'inventory', 'language', 'payment', 'rental', 'staff', 'store',
];

const directory = tempDirectory();
let target: Awaited<ReturnType<typeof openTarget>>;
let service: SyncService;

before(async () => {
  const source = await testSource();
  target = await openTarget(directory, source.url('sakila'), ['film_text']);
  service = new SyncService({ config: syncConfig(directory), logger: silentLogger() });
  const stats = await service.startFullRun(target, { trigger: 'manual' }).completion;
  assert.deepEqual(stats.errors, []);
});

after(async () => {
  await service.shutdown();
  await target.close();
});

function byTable(results: TableValidation[]): Map<string, TableValidation> {
  return new Map(results.map((result) => [result.table, result]));
}

function inRange(key: number, range: { fromKey: unknown[]; toKey: unknown[] }): boolean {
  return Number(range.fromKey[0]) <= key && key <= Number(range.toKey[0]);
}

// The tests below run in order: the first two see a faithful replica, the later ones plant changes.
test('count mode after full sync', async () => {
  const report = await validateDatabase(target, { mode: 'count' }, silentLogger());
  assert.equal(report.summary.totalTables, 15);
  assert.equal(report.summary.matchingTables, 15);
  assert.equal(report.summary.errorTables, 0);
  const rental = byTable(report.validationResults).get('rental')!;
  assert.equal(rental.mysqlCount, 16044);
  assert.equal(rental.duckdbCount, 16044);
  assert.equal(rental.difference, 0);
  assert.equal(rental.syncType, 'sequential');
  assert.match(rental.lastSyncAt ?? '', /^\d{4}-\d\d-\d\dT/);
  assert.equal(rental.checksumMatch, undefined);
});

test('checksum mode after full sync', async () => {
  const report = await validateDatabase(target, { mode: 'checksum' }, silentLogger());
  for (const result of report.validationResults) {
    assert.equal(result.error, undefined, `${result.table}: ${result.error}`);
    assert.equal(result.checksumMatch, true, `${result.table} checksum`);
    assert.deepEqual(result.mismatchedRanges, [], `${result.table} ranges`);
    assert.equal(result.mysqlChecksum, result.duckdbChecksum);
  }
  assert.equal(report.summary.matchingTables, 15);
});

test('mysql-tables marks excluded', async () => {
  const tables = await listSourceTables(target);
  assert.deepEqual(tables.map((table) => table.name), SAKILA_TABLES);
  assert.deepEqual(tables.filter((table) => table.excluded).map((table) => table.name), ['film_text']);
});

test('table-details of a matching table', async () => {
  const details = await tableDetails(target, 'payment', { skipMySQLCount: false });
  assert.deepEqual(details.primaryKey, ['payment_id']);
  assert.equal(details.errorType, null);
  assert.equal(details.columnsMatch, true);
  assert.equal(details.mysql.recordCount, 16049);
  assert.equal(details.duckdb.recordCount, 16049);
  assert.equal(details.mysql.maxId, '16049');
  assert.equal(details.duckdb.maxId, '16049');
  assert.equal(details.mysql.checksum, details.duckdb.checksum);
  assert.equal(details.mysql.checksum, String((16049 * 16050) / 2));
});

test('planted mismatches found', async () => {
  await target.replica.withWriter(async (writer) => {
    await writer.run('DELETE FROM main.rental WHERE rental_id = 12345');
    await writer.run(`UPDATE main.payment SET amount = amount + 1 WHERE payment_id = 777`);
  });

  const report = await validateDatabase(target, { mode: 'checksum' }, silentLogger());
  const results = byTable(report.validationResults);

  const rental = results.get('rental')!;
  assert.equal(rental.match, false);
  assert.equal(rental.difference, 1);
  assert.equal(rental.checksumMatch, false);
  assert.equal(rental.mismatchedRanges?.length, 1);
  assert.ok(inRange(12345, rental.mismatchedRanges![0]!), JSON.stringify(rental.mismatchedRanges));
  // 16,044 rentals make two chunks: the second contains 6,044 keys, from 10005 (ids have gaps) to 16049.
  assert.deepEqual(rental.mismatchedRanges![0]!.toKey, [16049]);
  assert.equal(rental.mismatchedRanges![0]!.mysqlRows, 6044);
  assert.equal(rental.mismatchedRanges![0]!.duckdbRows, 6043);
  assert.deepEqual(rental.mismatchedRanges![0]!.fromKey, [10005]);

  const payment = results.get('payment')!;
  assert.equal(payment.difference, 0);
  assert.equal(payment.checksumMatch, false);
  assert.equal(payment.mismatchedRanges?.length, 1);
  assert.ok(inRange(777, payment.mismatchedRanges![0]!), JSON.stringify(payment.mismatchedRanges));
  assert.notEqual(payment.mysqlChecksum, payment.duckdbChecksum);

  assert.equal(report.summary.mismatchedTables, 2);
  assert.equal(report.summary.matchingTables, 13);

  const counts = await validateDatabase(target, { mode: 'count', table: 'payment' }, silentLogger());
  assert.equal(counts.validationResults.length, 1);
  assert.equal(counts.validationResults[0]!.match, true);
});

test('table-details error types', async () => {
  await target.replica.withWriter(async (writer) => {
    await writer.run('ALTER TABLE main.category ADD COLUMN extra_note VARCHAR');
    await writer.run('DELETE FROM main.actor WHERE actor_id = 200');
    await writer.run('INSERT INTO main.language SELECT * REPLACE (0 AS language_id) FROM main.language WHERE language_id = 1');
    await writer.run('DROP TABLE main.store');
    await writer.run('CREATE TABLE main.leftover (id INTEGER)');
  });

  const expectations: Array<[string, string | null]> = [
    ['category', 'schema_mismatch'],
    ['actor', 'max_id_mismatch'],
    ['rental', 'checksum_mismatch'],
    ['language', 'record_count_mismatch'],
    ['store', 'missing_in_duckdb'],
    ['leftover', 'orphaned_in_duckdb'],
    ['city', null],
  ];
  for (const [table, errorType] of expectations) {
    const details = await tableDetails(target, table, { skipMySQLCount: false });
    assert.equal(details.errorType, errorType, `${table}: ${details.errorMessage}`);
  }

  const category = await tableDetails(target, 'category', { skipMySQLCount: true });
  assert.deepEqual(category.extraColumns, ['extra_note']);
  assert.deepEqual(category.missingColumns, []);
  assert.equal(category.mysql.recordCount, null);
  assert.equal(category.mysqlCountSkipped, true);

  await assert.rejects(tableDetails(target, 'no_such_table', { skipMySQLCount: false }), { code: 'DUCKLING_TABLE_NOT_FOUND' });
});

test('missing replica table is an error', async () => {
  const report = await validateDatabase(target, { mode: 'count' }, silentLogger());
  const results = byTable(report.validationResults);
  const store = results.get('store')!;
  assert.equal(store.duckdbCount, null);
  assert.equal(store.match, false);
  assert.match(store.error ?? '', /missing in the replica/);
  assert.match(results.get('leftover')!.error ?? '', /not found at the source/);
  assert.equal(report.summary.errorTables, 2);
  await assert.rejects(validateDatabase(target, { mode: 'count', table: 'nothing_here' }, silentLogger()), { code: 'DUCKLING_TABLE_NOT_FOUND' });
});
