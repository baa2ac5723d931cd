import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { DucklingClientError, DucklingConnectionError, DucklingHttpClient, type SyncEvent } from '../../src/client/index.js';
import { startDuckling, TEST_API_KEY, type RunningDuckling } from '../harness/duckling.js';
import { testSource } from '../harness/mariadb.js';
import { closedPort } from '../cli/run-cli.js';

const apiKey = TEST_API_KEY;
let server: RunningDuckling;
let client: DucklingHttpClient;

before(async () => {
  const source = await testSource();
  server = await startDuckling({ MYSQL_CONNECTION_STRING: source.url('sakila'), DUCKDB_MEMORY_LIMIT: '1GB' });
  client = new DucklingHttpClient({ url: server.url, apiKey });
});

after(async () => {
  await server?.stop();
});

test('client syncs and reads tables', async () => {
  const stats = await client.syncFull();
  assert.equal(stats.failedTables, 0);
  assert.equal(stats.totalTables, 16);

  const counts = await client.tableCounts();
  assert.equal(counts.actor, 200);
  assert.equal(await client.tableCount('payment'), 16049);
  assert.ok((await client.tables()).includes('film_actor'));

  const schema = await client.tableSchema('actor');
  assert.equal(schema.columns[0]?.column_name, 'actor_id');
  const rows = await client.tableData('actor', { limit: 2, offset: 1 });
  assert.deepEqual(rows.map((row) => row.actor_id), [2, 3]);
});

test('client query returns typed result', async () => {
  const result = await client.query({ sql: 'SELECT 12.50::DECIMAL(5,2) AS amount, 9007199254740993::BIGINT AS big' });
  assert.deepEqual(result.columns, [
    { name: 'amount', type: 'DECIMAL(5,2)' },
    { name: 'big', type: 'BIGINT' },
  ]);
  assert.deepEqual(result.rows, [{ amount: '12.50', big: '9007199254740993' }]);
  assert.equal(result.rowCount, 1);
});

test('client status and sync status', async () => {
  const status = await client.status();
  assert.equal(status.databases[0]?.databaseId, 'default');
  const syncStatus = await client.syncStatus();
  assert.equal(syncStatus.tables.duckdb, 16);
  const logs = await client.syncLogs({ limit: 5 });
  assert.equal(logs.logs.length, 5);
  const health = await client.health();
  assert.ok(['healthy', 'degraded'].includes(health.status));
});

test('client server error carries the code', async () => {
  await assert.rejects(client.tableCount('no_such_table'), (error: unknown) => {
    assert.ok(error instanceof DucklingClientError);
    assert.equal(error.statusCode, 404);
    assert.equal(error.code, 'DUCKLING_TABLE_NOT_FOUND');
    assert.match(error.message, /no_such_table/);
    return true;
  });
  const unknownDatabase = client.forDatabase('nope');
  await assert.rejects(unknownDatabase.tables(), { code: 'DUCKLING_DATABASE_NOT_FOUND', statusCode: 404 });
});

test('client follows sync events', async () => {
  const controller = new AbortController();
  const events: SyncEvent[] = [];
  await client.followSyncEvents((event) => {
    events.push(event);
    controller.abort();
  }, controller.signal);
  assert.equal(events[0]?.event, 'message');
  const data = events[0]?.data as { progress: { inProgress: boolean } };
  assert.equal(typeof data.progress.inProgress, 'boolean');
});

test('client unreachable server', async () => {
  const closed = new DucklingHttpClient({ url: `http://127.0.0.1:${await closedPort()}`, apiKey });
  await assert.rejects(closed.health(), (error: unknown) => {
    assert.ok(error instanceof DucklingConnectionError);
    assert.equal(error.networkCode, 'ECONNREFUSED');
    assert.equal(error.unreachable, true);
    return true;
  });
});
