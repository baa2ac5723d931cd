import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Connection } from 'mysql2/promise';
import { postJson, readJson, startDuckling, TEST_API_KEY, type RunningDuckling } from '../harness/duckling.js';
import { testSource } from '../harness/mariadb.js';
import { runCli } from './run-cli.js';

let server: RunningDuckling;
let admin: Connection;

function serverEnv(): Record<string, string> {
  return { DUCKLING_URL: server.url, DUCKLING_API_KEY: TEST_API_KEY };
}

before(async () => {
  const source = await testSource();
  const schema = await source.createSchema('validate_cli');
  admin = await source.connect(schema);
  await admin.query(`
    CREATE TABLE items (id INT PRIMARY KEY, label VARCHAR(20), price DECIMAL(8,2));
    INSERT INTO items SELECT seq, CONCAT('item ', seq), seq * 1.25 FROM seq_1_to_300;
    CREATE TABLE notes (body TEXT);
    INSERT INTO notes VALUES ('one'), ('two');
    CREATE TABLE skipped (id INT PRIMARY KEY);
  `);
  server = await startDuckling({ MYSQL_CONNECTION_STRING: source.url(schema), EXCLUDED_TABLES: 'skipped' });
  const response = await server.request('/api/sync/full', { method: 'POST' });
  assert.equal(response.status, 200, await response.text());
});

after(async () => {
  await server?.stop();
  await admin?.end();
});

test('validate exits 0 when equal', async () => {
  const run = await runCli(['validate', '--checksum'], { env: serverEnv() });
  assert.equal(run.code, 0, run.stderr + run.stdout);
  assert.match(run.stdout, /^items\s+300\s+300\s+0\s+equal\s+match/m);
  assert.match(run.stdout, /^notes\s+2\s+2\s+0\s+n\/a \(no key\)\s+match/m);
  assert.match(run.stdout, /2 of 2 tables match/);
});

test('validate route shapes', async () => {
  const response = await server.request('/api/sync/validate?mode=checksum&table=items');
  assert.equal(response.status, 200);
  const body = await readJson(response);
  assert.equal(body.validationResults.length, 1);
  assert.equal(body.validationResults[0].checksumMatch, true);
  assert.deepEqual(body.summary, {
    totalTables: 1, matchingTables: 1, mismatchedTables: 0, errorTables: 0, totalMysqlRecords: 300, totalDuckdbRecords: 300,
  });

  const alias = await server.request('/sync/validate');
  assert.equal(alias.status, 200);
  assert.equal((await readJson(alias)).summary.totalTables, 2);

  const badMode = await server.request('/api/sync/validate?mode=rows');
  assert.equal(badMode.status, 400);
  assert.equal((await readJson(badMode)).code, 'DUCKLING_VALIDATION_FAILED');

  const unknown = await server.request('/api/sync/validate?table=nope');
  assert.equal(unknown.status, 404);
  assert.equal((await readJson(unknown)).code, 'DUCKLING_TABLE_NOT_FOUND');

  const badName = await server.request('/api/sync/validate?table=a%3Bb');
  assert.equal(badName.status, 400);
  assert.equal((await readJson(badName)).code, 'DUCKLING_INVALID_IDENTIFIER');
});

test('mysql-tables route', async () => {
  const response = await server.request('/api/validation/mysql-tables');
  assert.equal(response.status, 200);
  assert.deepEqual(await readJson(response), [
    { name: 'items', excluded: false },
    { name: 'notes', excluded: false },
    { name: 'skipped', excluded: true },
  ]);
});

test('table-details route', async () => {
  const response = await postJson(server, '/api/validation/table-details', { tableName: 'items' });
  assert.equal(response.status, 200);
  const body = await readJson(response);
  assert.deepEqual(body.primaryKey, ['id']);
  assert.equal(body.errorType, null);
  assert.equal(body.mysql.maxId, '300');
  assert.equal(body.duckdb.checksum, '45150');

  const unknownField = await postJson(server, '/api/validation/table-details', { tableName: 'items', extra: 1 });
  assert.equal(unknownField.status, 400);
  const missing = await postJson(server, '/api/validation/table-details', {});
  assert.equal(missing.status, 400);
  assert.equal((await readJson(missing)).code, 'DUCKLING_VALIDATION_FAILED');
});

test('validate exits 3 on mismatch', async () => {
  await admin.query(`UPDATE items SET label = 'changed' WHERE id = 123`);
  const counts = await runCli(['validate'], { env: serverEnv() });
  assert.equal(counts.code, 0, counts.stderr + counts.stdout);

  const checksum = await runCli(['validate', '--checksum', '--table', 'items', '--json'], { env: serverEnv() });
  assert.equal(checksum.code, 3, checksum.stderr);
  const report = JSON.parse(checksum.stdout.trim().split('\n')[0]!) as { validationResults: Array<{ mismatchedRanges: Array<{ fromKey: number[]; toKey: number[] }> }> };
  const range = report.validationResults[0]!.mismatchedRanges[0]!;
  assert.ok(range.fromKey[0]! <= 123, JSON.stringify(range));
  assert.ok(123 <= range.toKey[0]!, JSON.stringify(range));
  assert.match(checksum.stderr, /1 of 1 tables differ/);
  const text = await runCli(['validate', '--checksum', '--table', 'items'], { env: serverEnv() });
  assert.equal(text.code, 3);
  assert.match(text.stdout, /^items\s+300\s+300\s+0\s+1 chunk differs\s+mismatch/m);
  assert.match(text.stdout, /^items: rows differ in keys \[1\] to \[300\]/m);

  await admin.query('DELETE FROM notes LIMIT 1');
  const afterDelete = await runCli(['validate', '--table', 'notes'], { env: serverEnv() });
  assert.equal(afterDelete.code, 3, afterDelete.stderr);
  assert.match(afterDelete.stdout, /^notes\s+1\s+2\s+-1\s+mismatch/m);
});

test('checksum reports an unsynced column', async () => {
  await admin.query(`CREATE TABLE widened (id INT PRIMARY KEY, name VARCHAR(10)); INSERT INTO widened VALUES (1, 'a'), (2, 'b')`);
  const synced = await server.request('/api/sync/table/widened', { method: 'POST' });
  assert.equal(synced.status, 200, await synced.clone().text());
  await admin.query('ALTER TABLE widened ADD COLUMN extra2 INT');

  const run = await runCli(['validate', '--checksum', '--table', 'widened'], { env: serverEnv() });
  assert.notEqual(run.code, 0);
  assert.doesNotMatch(run.stdout + run.stderr, /Binder Error/);
  assert.match(run.stdout + run.stderr, /schema mismatch: source columns missing in the replica: extra2, so the checksum was skipped; sync the table with "duckling sync --table widened"/);

  const response = await server.request('/api/sync/validate?mode=checksum&table=widened');
  const result = (await readJson(response)).validationResults[0];
  assert.equal(result.checksumMatch, false);
  assert.equal(result.match, false);
  assert.match(result.error, /^schema mismatch: /);
});

test('unknown --db gets CLI advice', async () => {
  const run = await runCli(['--db', 'nope', 'validate'], { env: serverEnv() });
  assert.equal(run.code, 1);
  assert.match(run.stderr, /Database "nope" not found; pass an existing database id with --db .*"duckling status" lists the ids \(DUCKLING_DATABASE_NOT_FOUND, HTTP 404\)/);
  assert.doesNotMatch(run.stderr, /\?db=/);
});
