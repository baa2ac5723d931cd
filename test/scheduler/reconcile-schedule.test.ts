import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import type mysql from 'mysql2/promise';
import { createLogger } from '../../src/logging/index.js';
import { postJson, readJson, startDuckling, type RunningDuckling } from '../harness/duckling.js';
import { testSource, type TestSource } from '../harness/mariadb.js';

/** Polls up to this many times, 20 ms apart, before a wait fails. */
const MAX_POLLS = 1_500;

let source: TestSource;
let schema: string;
let server: RunningDuckling;
const logLines: string[] = [];

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  for (let attempt = 0; attempt < MAX_POLLS; attempt++) {
    const value = await probe();
    if (value !== undefined) return value;
    await sleep(20);
  }
  throw new Error(`gave up waiting for ${what}`);
}

async function countItems(): Promise<number> {
  const response = await postJson(server, '/api/query', { sql: 'SELECT count(*) AS n FROM items' });
  return Number((await readJson(response)).rows[0].n);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function automationStatus(): Promise<any> {
  return (await readJson(await server.request('/api/automation/status'))).status;
}

before(async () => {
  source = await testSource();
  schema = await source.createSchema('reconcile_sched');
  const admin = await source.connect(schema);
  try {
    await admin.query(`CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(10)); INSERT INTO items SELECT seq, 'x' FROM seq_1_to_5`);
  } finally {
    await admin.end();
  }
  const logger = createLogger({ level: 'info', version: 'test', destination: { write: (line: string) => void logLines.push(line) } });
  // Scheduled syncs are off, so every scheduled run in this file is a reconcile.
  server = await startDuckling(
    { MYSQL_CONNECTION_STRING: source.url(schema), AUTO_START_SYNC: 'false' },
    { logger, schedule: { scheduleIntervalMs: 0, firstScheduledRunDelayMs: 20, reconcileIntervalMs: 200 } },
  );
  const synced = await server.request('/api/sync/full', { method: 'POST' });
  assert.equal(synced.status, 200);
});

after(() => server?.stop());

test('scheduled reconcile deletes a row', async () => {
  const admin = await source.connect(schema);
  try {
    await admin.query('DELETE FROM items WHERE id = 5');
  } finally {
    await admin.end();
  }
  assert.equal((await automationStatus()).reconcile.enabled, false);
  assert.equal((await server.request('/api/automation/start', { method: 'POST' })).status, 200);

  // The repair commits before the run writes its sync_log row, so wait for the row as well.
  const scheduledRows = async () => {
    const logs = (await readJson(await server.request('/api/sync-logs?limit=100'))).logs;
    return logs.filter((row: { trigger: string; table_name: string }) => row.trigger === 'schedule' && row.table_name === 'items');
  };
  await waitFor('the scheduled reconcile', async () => ((await countItems()) === 4 ? true : undefined));
  await waitFor('its sync log row', async () => ((await scheduledRows()).length > 0 ? true : undefined));
  const scheduled = await scheduledRows();
  assert.ok(scheduled.length > 0);
  assert.equal(scheduled[0].sync_type, 'sequential');

  const status = await automationStatus();
  assert.equal(status.reconcile.enabled, true);
  assert.equal(status.reconcile.intervalMinutes, 200 / 60_000);
  assert.match(status.reconcile.lastRunAt, /^\d{4}-\d\d-\d\dT/);
  assert.equal(status.sync.enabled, false, 'scheduled syncs stay off');
});

test('running sync defers the turn', async () => {
  // With the scheduler stopped and idle, no reconcile can hold the guard or wait on the lock below.
  await server.request('/api/automation/stop', { method: 'POST' });
  await waitFor('every run to end', async () => ((await readJson(await server.request('/api/sync/progress'))).inProgress ? undefined : true));

  const locker: mysql.Connection = await source.connect(schema);
  let from = logLines.length;
  try {
    await locker.query('LOCK TABLES items WRITE');
    const started = await server.request('/api/sync/full?async=true', { method: 'POST' });
    assert.equal(started.status, 202);
    from = logLines.length;
    await server.request('/api/automation/start', { method: 'POST' });
    await waitFor('a deferred reconcile turn', async () =>
      logLines.slice(from).some((line) => line.includes('scheduled reconcile deferred until the running sync ends')) ? true : undefined);
    assert.ok(!logLines.slice(from).some((line) => line.includes('scheduled reconcile skipped')), 'no reconcile turn is skipped');
  } finally {
    await locker.query('UNLOCK TABLES');
    await locker.end();
  }

  // Once the full sync ends, the deferred turn starts a reconcile.
  await waitFor('the deferred reconcile to start', async () =>
    logLines.slice(from).some((line) => line.includes('scheduled reconcile started')) ? true : undefined);
  await server.request('/api/automation/stop', { method: 'POST' });
  await waitFor('the run to end', async () => ((await readJson(await server.request('/api/sync/progress'))).inProgress ? undefined : true));
});

test('progress type is reconcile', async () => {
  await waitFor('every run to end', async () => ((await readJson(await server.request('/api/sync/progress'))).inProgress ? undefined : true));
  const locker: mysql.Connection = await source.connect(schema);
  let reconcile: Promise<Response>;
  try {
    await locker.query('LOCK TABLES items WRITE');
    reconcile = postJson(server, '/api/sync/reconcile', {});
    const progress = await waitFor('the reconcile to start', async () => {
      const body = await readJson(await server.request('/api/sync/progress'));
      return body.inProgress ? body : undefined;
    });
    assert.equal(progress.type, 'reconcile');
  } finally {
    await locker.query('UNLOCK TABLES');
    await locker.end();
  }
  assert.equal((await reconcile).status, 200);
});
