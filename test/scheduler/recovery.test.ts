import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import type mysql from 'mysql2/promise';
import { HealthMonitor } from '../../src/app/health-monitor.js';
import type { DatabaseHandle } from '../../src/http/index.js';
import { silentLogger } from '../../src/logging/index.js';
import { Recovery } from '../../src/scheduler/index.js';
import { SourceDatabase } from '../../src/source/index.js';
import { SyncService, type SyncTarget } from '../../src/sync/index.js';
import { testSource, type TestSource } from '../harness/mariadb.js';
import { openTarget, replicaRows, syncConfig, tempDirectory } from '../sync/helpers.js';

const MINUTE_MS = 60_000;
const directory = tempDirectory();
const config = syncConfig(directory, { RETRY_BASE_DELAY_MS: '20', RETRY_MAX_DELAY_MS: '100' });

let source: TestSource;
let schema: string;
let service: SyncService;
let target: SyncTarget & { close(): Promise<void> };
let downSource: SourceDatabase;
/** The one database of the directory; tests swap its source. */
let handle: DatabaseHandle;
/** The recovery clock; tests move it forward instead of waiting. */
let nowMs = Date.now();
const schedule = { syncScheduleActive: true, intervalMs: MINUTE_MS };
let recovery: Recovery;

const databases = {
  get: (id: string) => (id === handle.id ? handle : undefined),
  list: () => [handle],
};

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function useSource(next: SourceDatabase): void {
  handle = { ...handle, source: next };
}

/** Resolves with the outcome of the next sync of any database. */
function nextOutcome(): Promise<string> {
  return new Promise((resolve) => {
    const unsubscribe = service.onSyncOutcome((_databaseId, outcome) => {
      unsubscribe();
      resolve(outcome);
    });
  });
}

before(async () => {
  source = await testSource();
  schema = await source.createSchema('recovery');
  const admin = await source.connect(schema);
  try {
    await admin.query(`CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(10), updated_at DATETIME NOT NULL);
      INSERT INTO items VALUES (1, 'a', '2024-01-01 00:00:00'), (2, 'b', '2024-01-01 00:00:00');`);
  } finally {
    await admin.end();
  }

  service = new SyncService({ config, logger: silentLogger() });
  target = await openTarget(directory, source.url(schema));
  downSource = SourceDatabase.create({ databaseId: 'default', connectionString: `mysql://root@127.0.0.1:${await closedPort()}/${schema}`, config, logger: silentLogger() });
  handle = { id: 'default', name: 'default', excludedTables: [], replica: target.replica, unavailableReason: null, source: target.source, sourceError: null };

  const stats = await service.startFullRun(target, { trigger: 'manual' }).completion;
  assert.equal(stats.failedTables, 0);
  recovery = new Recovery({ databases, sync: service, schedule, logger: silentLogger(), enabled: true, maxAttempts: 2, now: () => nowMs });
});

after(async () => {
  recovery?.close();
  await downSource?.close();
  await target?.close();
});

describe('recovery', () => {
  test('fresh after a recent sync', async () => {
    assert.equal(await recovery.evaluate('default'), 'fresh');
    assert.deepEqual(recovery.describe('default'), { enabled: true, restartAttempts: 0, maxAttempts: 2 });
  });

  test('inactive without a schedule', async () => {
    schedule.syncScheduleActive = false;
    try {
      nowMs += 31 * MINUTE_MS;
      assert.equal(await recovery.evaluate('default'), 'inactive');
    } finally {
      schedule.syncScheduleActive = true;
    }
  });

  test('stale window is max(2 x interval, 30 min)', () => {
    assert.equal(recovery.staleWindowMs, 30 * MINUTE_MS);
    schedule.intervalMs = 20 * MINUTE_MS;
    assert.equal(recovery.staleWindowMs, 40 * MINUTE_MS);
    schedule.intervalMs = MINUTE_MS;
  });

  test('skip while a sync runs uses no attempt', async () => {
    const locker: mysql.Connection = await source.connect(schema);
    try {
      await locker.query('LOCK TABLES items WRITE');
      const outcome = nextOutcome();
      const blocked = service.startFullRun(target, { trigger: 'manual' });
      assert.equal(await recovery.evaluate('default'), 'skipped');
      assert.equal(recovery.describe('default').restartAttempts, 0);
      await locker.query('UNLOCK TABLES');
      await blocked.completion;
      assert.equal(await outcome, 'success');
    } finally {
      await locker.end();
    }
    // That manual sync succeeded at the recovery clock's current time.
    assert.equal(await recovery.evaluate('default'), 'fresh');
  });

  test('stale database gets a recovery sync', async () => {
    const admin = await source.connect(schema);
    try {
      await admin.query(`INSERT INTO items VALUES (3, 'c', '2024-02-01 00:00:00')`);
    } finally {
      await admin.end();
    }
    nowMs += 31 * MINUTE_MS;
    const outcome = nextOutcome();
    assert.equal(await recovery.evaluate('default'), 'started');
    assert.equal(recovery.describe('default').restartAttempts, 1);
    assert.equal(await recovery.evaluate('default'), 'waiting', 'one recovery sync at a time');
    assert.equal(await outcome, 'success');

    const rows = await replicaRows(target.replica, `SELECT "trigger", sync_type, status FROM _duckling.sync_log WHERE table_name = 'items' AND "trigger" = 'recovery'`);
    assert.deepEqual(rows, [{ trigger: 'recovery', sync_type: 'watermark', status: 'success' }]);
    assert.equal(recovery.describe('default').restartAttempts, 0, 'a success resets the count');
    assert.equal(await recovery.evaluate('default'), 'fresh');
  });

  test('unreachable source backs off', async () => {
    useSource(downSource);
    nowMs += 31 * MINUTE_MS;
    assert.equal(await recovery.evaluate('default'), 'failed');
    assert.equal(recovery.describe('default').restartAttempts, 1);

    // Back-off after attempt 1 is 2 s.
    nowMs += 1_999;
    assert.equal(await recovery.evaluate('default'), 'waiting');
    nowMs += 1;
    assert.equal(await recovery.evaluate('default'), 'failed');
    assert.equal(recovery.describe('default').restartAttempts, 2);

    // Back-off after attempt 2 is 4 s; then the 2 attempts are used up.
    nowMs += 4_000;
    assert.equal(await recovery.evaluate('default'), 'exhausted');
    nowMs += 10 * MINUTE_MS;
    assert.equal(await recovery.evaluate('default'), 'exhausted');
    assert.equal(recovery.describe('default').restartAttempts, 2);
  });

  test('manual success resets exhausted', async () => {
    useSource(target.source);
    const outcome = nextOutcome();
    await service.startIncrementalRun(target, { trigger: 'manual' }).completion;
    assert.equal(await outcome, 'success');
    assert.equal(recovery.describe('default').restartAttempts, 0);
    assert.equal(await recovery.evaluate('default'), 'fresh');
  });

  test('disabled does nothing', async () => {
    const off = new Recovery({ databases, sync: service, schedule, logger: silentLogger(), enabled: false, maxAttempts: 3, now: () => nowMs + 90 * MINUTE_MS });
    try {
      assert.equal(await off.evaluate('default'), 'disabled');
      assert.deepEqual(off.describe('default'), { enabled: false, restartAttempts: 0, maxAttempts: 3 });
    } finally {
      off.close();
    }
  });
});

describe('health monitor', () => {
  test('source down is degraded', async () => {
    const monitor = new HealthMonitor({ databases, logger: silentLogger(), syncActivity: service, intervalMs: 0 });
    useSource(downSource);
    try {
      await monitor.runRound();
      const health = await monitor.check();
      assert.equal(health.status, 'degraded');
      assert.deepEqual(health.databases[0]?.services, { mysql: 'down', duckdb: 'up' });
    } finally {
      useSource(target.source);
    }
  });

  test('stands down during a sync', async () => {
    const checked: string[] = [];
    const monitor = new HealthMonitor({
      databases, logger: silentLogger(), syncActivity: service, intervalMs: 0,
      afterCheck: async (databaseId) => void checked.push(databaseId),
    });
    await monitor.runRound();
    assert.deepEqual(checked, ['default']);
    assert.equal((await monitor.check()).status, 'healthy');

    const locker: mysql.Connection = await source.connect(schema);
    try {
      await locker.query('LOCK TABLES items WRITE');
      const blocked = service.startFullRun(target, { trigger: 'manual' });
      useSource(downSource);
      await monitor.runRound();
      assert.deepEqual(checked, ['default'], 'no follow-up while the database syncs');
      assert.equal((await monitor.check()).status, 'healthy', 'the last result is kept while the database syncs');
      await locker.query('UNLOCK TABLES');
      await blocked.completion;
    } finally {
      useSource(target.source);
      await locker.end();
    }
  });

  test('stands down during a backup', async () => {
    const checked: string[] = [];
    let operation: string | null = 'backup';
    const monitor = new HealthMonitor({
      databases, logger: silentLogger(), syncActivity: service, intervalMs: 0,
      backupActivity: () => operation,
      afterCheck: async (databaseId) => void checked.push(databaseId),
    });
    await monitor.runRound();
    assert.deepEqual(checked, [], 'no check while the database backs up');

    operation = null;
    await monitor.runRound();
    assert.deepEqual(checked, ['default']);
  });

  test('background rounds call follow-ups', async () => {
    let rounds = 0;
    const monitor = new HealthMonitor({
      databases, logger: silentLogger(), syncActivity: service, intervalMs: 20,
      afterCheck: async () => void (rounds += 1),
    });
    monitor.start();
    try {
      for (let poll = 0; poll < 500 && rounds < 2; poll++) await new Promise((resolve) => setTimeout(resolve, 10));
      assert.ok(rounds >= 2, `rounds: ${rounds}`);
    } finally {
      await monitor.stop();
    }
    const after = rounds;
    await new Promise((resolve) => setTimeout(resolve, 60));
    assert.equal(rounds, after, 'no round after stop');
  });

  test('check timeout marks down', async () => {
    // A source whose ping never settles: the check gives up after the timeout.
    const stuck = { ping: () => new Promise(() => undefined), close: async () => undefined } as unknown as SourceDatabase;
    const monitor = new HealthMonitor({ databases, logger: silentLogger(), syncActivity: service, intervalMs: 0, checkTimeoutMs: 50 });
    useSource(stuck);
    try {
      await monitor.runRound();
      assert.equal((await monitor.check()).databases[0]?.services.mysql, 'down');
    } finally {
      useSource(target.source);
    }
  });
});
