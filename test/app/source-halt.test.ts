import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import type mysql from 'mysql2/promise';
import { createLogger } from '../../src/logging/index.js';
import { postJson, readJson, startDuckling, TEST_API_KEY, type RunningDuckling } from '../harness/duckling.js';
import { testSource, type TestSource } from '../harness/mariadb.js';
import { runCli } from '../cli/run-cli.js';

/** Polls up to this many times, 20 ms apart, before a wait fails. */
const MAX_POLLS = 1_500;

let source: TestSource;
let schemaA: string;
let schemaB: string;
let dataPath: string;

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  for (let attempt = 0; attempt < MAX_POLLS; attempt++) {
    const value = await probe();
    if (value !== undefined) return value;
    await sleep(20);
  }
  throw new Error(`gave up waiting for ${what}`);
}

/** Points database `default` of the registry at `schema`, as a hand edit of databases.json would. */
async function editRegistry(schema: string): Promise<void> {
  const file = path.join(dataPath, 'databases.json');
  const registry = JSON.parse(await readFile(file, 'utf8'));
  const record = registry.find((entry: { id: string }) => entry.id === 'default');
  record.mysqlConnectionString = source.url(schema);
  await writeFile(file, JSON.stringify(registry, null, 2));
}

async function countItems(server: RunningDuckling, db = 'default'): Promise<number> {
  const response = await postJson(server, `/api/query?db=${db}`, { sql: 'SELECT count(*) AS n FROM items' });
  assert.equal(response.status, 200, await response.clone().text());
  return Number((await readJson(response)).rows[0].n);
}

async function fullSync(server: RunningDuckling, db = 'default'): Promise<void> {
  const response = await server.request(`/api/sync/full?db=${db}`, { method: 'POST' });
  assert.equal(response.status, 200, await response.clone().text());
  assert.equal((await readJson(response)).failedTables, 0);
}

/** Waits until the database's status in GET /api/databases is `source_error`, and returns its view. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function waitForHalt(server: RunningDuckling): Promise<any> {
  return waitFor('the start check to halt the database', async () => {
    const body = await readJson(await server.request('/api/databases'));
    const view = body.databases.find((database: { id: string }) => database.id === 'default');
    return view.status === 'source_error' ? view : undefined;
  });
}

before(async () => {
  source = await testSource();
  schemaA = await source.createSchema('halt_a');
  schemaB = await source.createSchema('halt_b');
  for (const [schema, rows] of [[schemaA, 3], [schemaB, 5]] as const) {
    const admin = await source.connect(schema);
    try {
      await admin.query(`CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(10)); INSERT INTO items SELECT seq, 'x' FROM seq_1_to_${rows}`);
    } finally {
      await admin.end();
    }
  }
  dataPath = await mkdtemp(path.join(os.tmpdir(), 'duckling-halt-'));
  const first = await startDuckling({ MYSQL_CONNECTION_STRING: source.url(schemaA) }, { dataPath });
  try {
    await fullSync(first);
  } finally {
    await first.stop();
  }
});

after(async () => {
  await rm(dataPath, { recursive: true, force: true });
});

describe('changed source', () => {
  let server: RunningDuckling;
  after(() => server?.stop());

  test('halts every kind of sync', async () => {
    await editRegistry(schemaB);
    server = await startDuckling({}, { dataPath });
    const view = await waitForHalt(server);
    assert.match(view.error, new RegExp(`schema "${schemaB}" instead of "${schemaA}"`));

    for (const route of ['/api/sync/full', '/api/sync/incremental', '/api/sync/table/items', '/sync/full?async=true']) {
      const response = await server.request(route, { method: 'POST' });
      assert.equal(response.status, 409, route);
      const body = await readJson(response);
      assert.equal(body.code, 'DUCKLING_SOURCE_CHANGED', route);
      assert.match(body.message, /syncs are halted/, route);
      assert.match(body.message, /resync=true/, route);
    }
    const reconcile = await postJson(server, '/api/sync/reconcile', {});
    assert.equal(reconcile.status, 409);
    assert.equal(await countItems(server), 3, 'the replica keeps the old data');
  });

  test('health and status show the halt', async () => {
    // /health caches its result for 5 s, so a check from before the halt may still be served.
    const health = await waitFor('a degraded health', async () => {
      const body = await readJson(await server.request('/health'));
      return body.databases?.[0]?.status === 'degraded' ? body : undefined;
    });
    assert.equal(health.status, 'degraded');
    assert.deepEqual(health.databases[0].services, { mysql: 'up', duckdb: 'up' });
    assert.match(health.databases[0].reason, /^syncs are halted because the source differs .*resync=true/);

    const status = await runCli(['status'], { env: { DUCKLING_URL: server.url, DUCKLING_API_KEY: TEST_API_KEY } });
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /^default\s+default\s+halted\s/m);
    assert.match(status.stdout, /^default: syncs are halted because the source differs .*PUT \/api\/databases\/default\?resync=true/m);
  });

  test('resync lifts the halt', async () => {
    const response = await server.request('/api/databases/default?resync=true', {
      method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{}',
    });
    assert.equal(response.status, 200, await response.clone().text());
    assert.equal((await readJson(response)).database.status, 'ready');
    await fullSync(server);
    assert.equal(await countItems(server), 5);
  });
});

describe('clear-all', () => {
  let server: RunningDuckling;
  after(() => server?.stop());

  test('lifts a halt and drops tables', async () => {
    // The replica now records schema B; pointing back at A is a change again.
    await editRegistry(schemaA);
    server = await startDuckling({}, { dataPath });
    await waitForHalt(server);

    const cleared = await server.request('/api/sync/clear-all', { method: 'DELETE' });
    assert.equal(cleared.status, 200, await cleared.clone().text());
    const body = await readJson(cleared);
    assert.equal(body.success, true);
    assert.equal(body.tablesDropped, 1);
    assert.deepEqual(await readJson(await server.request('/api/tables')), []);
    const status = await readJson(await server.request('/api/sync/status'));
    assert.deepEqual(status.watermarks, []);

    await fullSync(server);
    assert.equal(await countItems(server), 3);
  });

  test('conflicts with a running sync', async () => {
    const locker: mysql.Connection = await source.connect(schemaA);
    try {
      await locker.query('LOCK TABLES items WRITE');
      const started = await server.request('/api/sync/full?async=true', { method: 'POST' });
      assert.equal(started.status, 202);
      const refused = await server.request('/sync/clear-all', { method: 'DELETE' });
      assert.equal(refused.status, 409);
      assert.equal((await readJson(refused)).code, 'DUCKLING_SYNC_IN_PROGRESS');
    } finally {
      await locker.query('UNLOCK TABLES');
      await locker.end();
    }
    await waitFor('the run to end', async () => ((await readJson(await server.request('/api/sync/progress'))).inProgress ? undefined : true));
    assert.equal(await countItems(server), 3);
  });

  test('needs admin credentials', async () => {
    const response = await server.request('/api/sync/clear-all', { method: 'DELETE', headers: { authorization: 'Bearer wrong' } });
    assert.equal(response.status, 401);
    assert.equal(await countItems(server), 3);
  });
});

describe('delete while syncing', () => {
  let server: RunningDuckling;
  const logLines: string[] = [];
  after(() => server?.stop());

  test('stops the run, then deletes', async () => {
    const logger = createLogger({ level: 'info', version: 'test', destination: { write: (line: string) => void logLines.push(line) } });
    server = await startDuckling({ MYSQL_CONNECTION_STRING: source.url(schemaA) }, { logger });
    const created = await postJson(server, '/api/databases', { name: 'Doomed', mysqlConnectionString: source.url(schemaB) });
    assert.equal(created.status, 200);
    const { id, duckdbPath } = (await readJson(created)).database;
    const file = path.join(server.dataPath, duckdbPath);

    const locker: mysql.Connection = await source.connect(schemaB);
    let deletion: Promise<Response>;
    try {
      await locker.query('LOCK TABLES items WRITE');
      const started = await server.request(`/api/sync/full?db=${id}&async=true`, { method: 'POST' });
      assert.equal(started.status, 202);
      await waitFor('the run to start', async () => ((await readJson(await server.request(`/api/sync/progress?db=${id}`))).inProgress ? true : undefined));

      deletion = server.request(`/api/databases/${id}?deleteFiles=true`, { method: 'DELETE' });
      await waitFor('the stop request', async () => (logLines.some((line) => line.includes('stopping the syncs of a database') && line.includes(id)) ? true : undefined));
      // Hidden at once, so no new sync of it starts.
      assert.equal((await server.request(`/api/sync/full?db=${id}`, { method: 'POST' })).status, 404);
    } finally {
      await locker.query('UNLOCK TABLES');
      await locker.end();
    }

    const response = await deletion;
    assert.equal(response.status, 200, await response.clone().text());
    const databases = (await readJson(await server.request('/api/databases'))).databases.map((database: { id: string }) => database.id);
    assert.deepEqual(databases, ['default']);
    assert.equal(existsSync(file), false, 'the replica file is deleted');
    assert.equal((await server.request('/api/tables')).status, 200, 'the other database still serves');
  });
});
