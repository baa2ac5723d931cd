import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import type mysql from 'mysql2/promise';
import { createLogger } from '../../src/logging/index.js';
import { testSource, type TestSource } from '../harness/mariadb.js';
import { postJson, readJson, startDuckling, type RunningDuckling } from '../harness/duckling.js';

/** Polls up to this many times, 50 ms apart, before a wait fails. */
const MAX_POLLS = 600;

let source: TestSource;
let schema: string;

before(async () => {
  source = await testSource();
  schema = await source.createSchema('sched');
  const connection = await source.connect(schema);
  try {
    await connection.query(`
      CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(20), updated_at DATETIME(3) NOT NULL);
      INSERT INTO items VALUES (1, 'a', '2024-01-01 00:00:00'), (2, 'b', '2024-01-01 00:00:00'), (3, 'c', '2024-01-02 00:00:00');`);
  } finally {
    await connection.end();
  }
});

/** Calls `probe` until it returns a value other than undefined; fails after MAX_POLLS tries. */
async function waitFor<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  for (let attempt = 0; attempt < MAX_POLLS; attempt++) {
    const value = await probe();
    if (value !== undefined) return value;
    await sleep(50);
  }
  throw new Error(`gave up waiting for ${what}`);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function syncLogs(server: RunningDuckling, db = 'default'): Promise<any[]> {
  const response = await server.request(`/api/sync-logs?db=${db}&limit=100`);
  assert.equal(response.status, 200);
  return (await readJson(response)).logs;
}

describe('scheduled sync', () => {
  let server: RunningDuckling;
  const logLines: string[] = [];

  before(async () => {
    const logger = createLogger({ level: 'info', version: 'test', destination: { write: (line: string) => void logLines.push(line) } });
    server = await startDuckling(
      { MYSQL_CONNECTION_STRING: source.url(schema), AUTO_START_SYNC: 'true', ENABLE_INCREMENTAL_SYNC: 'true' },
      { logger, schedule: { scheduleIntervalMs: 300, firstScheduledRunDelayMs: 20 } },
    );
  });
  after(() => server?.stop());

  test('logs trigger schedule', async () => {
    const logs = await waitFor('a scheduled sync_log row', async () => {
      const rows = (await syncLogs(server)).filter((row) => row.table_name === 'items' && row.status === 'success');
      return rows.length > 0 ? rows : undefined;
    });
    assert.equal(logs[0].trigger, 'schedule');

    // ENABLE_INCREMENTAL_SYNC: a later turn merges the new row through the watermark.
    const connection = await source.connect(schema);
    try {
      await connection.query(`INSERT INTO items VALUES (4, 'd', '2024-02-01 00:00:00')`);
    } finally {
      await connection.end();
    }
    const merged = await waitFor('a scheduled watermark merge', async () => {
      const rows = (await syncLogs(server)).filter((row) => row.table_name === 'items' && row.sync_type === 'watermark' && row.records_processed > 0);
      return rows.length > 0 ? rows : undefined;
    });
    assert.equal(merged[0].trigger, 'schedule');
    const count = await readJson(await postJson(server, '/api/query', { sql: 'SELECT count(*) AS n FROM items' }));
    assert.equal(Number(count.rows[0].n), 4);
  });

  test('sync status shows the schedule', async () => {
    const body = await readJson(await server.request('/api/sync/status'));
    assert.equal(body.schedule.enabled, true);
    assert.equal(body.schedule.intervalMinutes, 300 / 60_000);
    assert.match(body.schedule.lastRunAt, /^\d{4}-\d\d-\d\dT/);
    assert.match(body.schedule.nextRunAt, /^\d{4}-\d\d-\d\dT/);
  });

  test('overlapping turns are skipped', async () => {
    const skipsSince = (start: number) =>
      logLines.slice(start).filter((line) => line.includes('scheduled sync skipped') && line.includes('DUCKLING_SYNC_IN_PROGRESS')).length;

    // A write lock on the source table holds the next scheduled run inside its read.
    const locker: mysql.Connection = await source.connect(schema);
    let blockedRun: string;
    try {
      await locker.query('LOCK TABLES items WRITE');
      const start = logLines.length;
      await waitFor('two skipped turns', async () => (skipsSince(start) >= 2 ? true : undefined));
      const progress = await readJson(await server.request('/api/sync/progress'));
      assert.equal(progress.inProgress, true);
      blockedRun = String(progress.runId);

      const next = logLines.length;
      await waitFor('one more skipped turn', async () => (skipsSince(next) >= 1 ? true : undefined));
      const later = await readJson(await server.request('/api/sync/progress'));
      assert.equal(later.runId, blockedRun, 'the blocked run is still the only one');
    } finally {
      await locker.query('UNLOCK TABLES');
      await locker.end();
    }

    const finished = await waitFor('the blocked run to finish', async () => {
      const rows = (await syncLogs(server)).filter((row) => row.run_id === blockedRun && row.table_name === 'items');
      return rows.length > 0 ? rows : undefined;
    });
    assert.equal(finished[0].status, 'success');
    assert.equal(finished[0].trigger, 'schedule');
  });
});

describe('automation routes', () => {
  let server: RunningDuckling;

  before(async () => {
    // A first run one hour away: these tests see the timers, never a run.
    server = await startDuckling(
      { MYSQL_CONNECTION_STRING: source.url(schema), AUTO_START_SYNC: 'false' },
      { schedule: { scheduleIntervalMs: 3_600_000, firstScheduledRunDelayMs: 3_600_000 } },
    );
  });
  after(() => server?.stop());

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async function status(query = ''): Promise<any> {
    const response = await server.request(`/api/automation/status${query}`);
    assert.equal(response.status, 200);
    return (await readJson(response)).status;
  }

  test('off without AUTO_START_SYNC', async () => {
    const current = await status();
    assert.equal(current.isRunning, false);
    assert.deepEqual(current.sync, { enabled: false, intervalMinutes: 60, lastSyncAt: null, nextRunAt: null });
  });

  test('start and stop', async () => {
    const started = await readJson(await server.request('/api/automation/start', { method: 'POST' }));
    assert.equal(started.success, true);
    assert.match(started.message, /started/);
    let current = await status();
    assert.equal(current.isRunning, true);
    assert.equal(current.sync.enabled, true);
    assert.ok(Date.parse(current.sync.nextRunAt) > Date.now());

    const again = await readJson(await server.request('/automation/start', { method: 'POST' }));
    assert.match(again.message, /already running/);

    const stopped = await readJson(await server.request('/api/automation/stop', { method: 'POST' }));
    assert.match(stopped.message, /stopped/);
    current = await status();
    assert.equal(current.isRunning, false);
    assert.equal(current.sync.nextRunAt, null);
  });

  test('needs the API key', async () => {
    const response = await server.request('/api/automation/stop', { method: 'POST', headers: { authorization: 'Bearer wrong' } });
    assert.equal(response.status, 401);
    assert.equal((await status()).isRunning, false);
  });

  test('added and removed databases', async () => {
    await server.request('/api/automation/start', { method: 'POST' });
    const created = await postJson(server, '/api/databases', { name: 'second', mysqlConnectionString: source.url(schema) });
    assert.equal(created.status, 200, await created.clone().text());
    const id: string = (await readJson(created)).database.id;
    assert.notEqual((await status(`?db=${id}`)).sync.nextRunAt, null);

    const removed = await server.request(`/api/databases/${id}`, { method: 'DELETE' });
    assert.equal(removed.status, 200);
    const unknown = await server.request(`/api/automation/status?db=${id}`);
    assert.equal(unknown.status, 404);
    assert.equal((await readJson(unknown)).code, 'DUCKLING_DATABASE_NOT_FOUND');
    await server.request('/api/automation/stop', { method: 'POST' });
  });
});
