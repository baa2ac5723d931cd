import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, mock, test } from 'node:test';
import { createLogger } from '../../src/logging/index.js';
import { SyncScheduler, type ScheduledDatabase } from '../../src/scheduler/index.js';

const HOUR_MS = 3_600_000;
const logLines: string[] = [];
const logger = createLogger({ level: 'info', version: 'test', destination: { write: (line: string) => void logLines.push(line) } });

/** Databases without a replica: a turn that fires is skipped before any sync starts. */
function directory(ids: string[]) {
  const databases = new Map<string, ScheduledDatabase>(ids.map((id) => [id, { id, replica: null, source: null, excludedTables: [] }]));
  return { databases, get: (id: string) => databases.get(id), list: () => [...databases.values()] };
}

const noSync = {
  startFullRun(): never {
    throw new Error('no run may start in this test');
  },
  startIncrementalRun(): never {
    throw new Error('no run may start in this test');
  },
};

let scheduler: SyncScheduler | null = null;
afterEach(() => scheduler?.stop());

test('first runs spread over the interval', () => {
  scheduler = new SyncScheduler({ databases: directory(['a', 'b', 'c', 'd']), sync: noSync, logger, intervalMs: HOUR_MS, incremental: true });
  scheduler.start();
  const due = ['a', 'b', 'c', 'd'].map((id) => Date.parse(scheduler!.describe(id).nextRunAt!));
  // Each first run is a quarter of the hour after the previous one, give or take the ms between the timestamps.
  for (let index = 1; index < due.length; index++) {
    const gap = due[index]! - due[index - 1]!;
    assert.ok(Math.abs(gap - HOUR_MS / 4) < 1_000, `gap ${index}: ${gap} ms`);
  }
  assert.deepEqual(scheduler.scheduledIds().sort(), ['a', 'b', 'c', 'd']);
});

test('interval 0 schedules nothing', () => {
  scheduler = new SyncScheduler({ databases: directory(['a']), sync: noSync, logger, intervalMs: 0, incremental: true });
  scheduler.start();
  assert.equal(scheduler.isRunning, true);
  assert.deepEqual(scheduler.scheduledIds(), []);
  assert.deepEqual(scheduler.describe('a'), { enabled: false, intervalMinutes: 0, lastRunAt: null, nextRunAt: null });
});

test('add and remove', () => {
  const dir = directory(['a']);
  scheduler = new SyncScheduler({ databases: dir, sync: noSync, logger, intervalMs: HOUR_MS, incremental: true, firstRunDelayMs: HOUR_MS });
  scheduler.start();
  dir.databases.set('b', { id: 'b', replica: null, source: null, excludedTables: [] });
  scheduler.add('b');
  assert.deepEqual(scheduler.scheduledIds().sort(), ['a', 'b']);

  scheduler.remove('a');
  assert.deepEqual(scheduler.scheduledIds(), ['b']);
  assert.equal(scheduler.describe('a').nextRunAt, null);

  scheduler.stop();
  assert.deepEqual(scheduler.scheduledIds(), []);
  scheduler.add('c');
  assert.deepEqual(scheduler.scheduledIds(), [], 'a stopped scheduler schedules nothing');
});

test('unopened replica is skipped', async () => {
  scheduler = new SyncScheduler({ databases: directory(['a']), sync: noSync, logger, intervalMs: HOUR_MS, incremental: false, firstRunDelayMs: 1 });
  scheduler.start();
  for (let poll = 0; poll < 200 && scheduler.describe('a').lastRunAt === null; poll++) await sleep(10);

  const view = scheduler.describe('a');
  assert.notEqual(view.lastRunAt, null);
  assert.ok(Date.parse(view.nextRunAt!) > Date.now(), 'the next turn is still scheduled');
  assert.ok(logLines.some((line) => line.includes('scheduled sync skipped') && line.includes('replica not open')));
});

test('interval beyond the timer maximum', () => {
  // setTimeout accepts at most 2^31 - 1 ms (about 24.8 days), so a 40-day turn takes two timers.
  const intervalMs = 40 * 24 * HOUR_MS;
  mock.timers.enable({ apis: ['setTimeout', 'Date'] });
  try {
    scheduler = new SyncScheduler({ databases: directory(['a']), sync: noSync, logger, intervalMs, incremental: true, firstRunDelayMs: 1 });
    scheduler.start();
    mock.timers.tick(1);
    const firstTurn = scheduler.describe('a').lastRunAt;
    assert.equal(firstTurn, new Date(1).toISOString());
    assert.equal(scheduler.describe('a').nextRunAt, new Date(1 + intervalMs).toISOString());

    mock.timers.tick(2 ** 31 - 1);
    assert.equal(scheduler.describe('a').lastRunAt, firstTurn, 'the first timer only re-arms');

    mock.timers.tick(intervalMs - (2 ** 31 - 1));
    assert.equal(scheduler.describe('a').lastRunAt, new Date(1 + intervalMs).toISOString());
  } finally {
    scheduler?.stop();
    mock.timers.reset();
  }
});

test('reconcile waits for a sync', async () => {
  // Equal intervals make both timers fire together, so the reconcile turn always meets the sync.
  const { DucklingError } = await import('../../src/errors/index.js');
  const dir = directory(['a']);
  dir.databases.set('a', { id: 'a', replica: {} as never, source: {} as never, excludedTables: [] });
  let endSync: () => void = () => undefined;
  let syncRunning: Promise<void> | null = null;
  const started: string[] = [];
  const port = {
    startFullRun: noSync.startFullRun,
    startIncrementalRun() {
      started.push('sync');
      syncRunning = new Promise<void>((resolve) => { endSync = resolve; }).finally(() => { syncRunning = null; });
      return { runId: 'sync-1', completion: syncRunning.then(() => ({ failedTables: 0, durationMs: 1 })) } as never;
    },
    startReconcileRun() {
      if (syncRunning) throw new DucklingError('DUCKLING_SYNC_IN_PROGRESS', { runType: 'incremental', db: 'a', runId: 'sync-1' });
      started.push('reconcile');
      return { runId: 'reconcile-1', completion: Promise.resolve({ tables: [] }) } as never;
    },
    whenRunEnds: () => syncRunning,
  };
  scheduler = new SyncScheduler({ databases: dir, sync: port, logger, intervalMs: HOUR_MS, reconcileIntervalMs: HOUR_MS, incremental: true, firstRunDelayMs: 1 });
  scheduler.start();
  for (let poll = 0; poll < 200 && scheduler.describeReconcile('a').lastRunAt === null; poll++) await sleep(10);
  assert.deepEqual(started, ['sync'], 'the reconcile turn does not start while the sync runs');

  endSync();
  for (let poll = 0; poll < 200 && started.length < 2; poll++) await sleep(10);
  assert.deepEqual(started, ['sync', 'reconcile']);
  assert.ok(logLines.some((line) => line.includes('scheduled reconcile deferred until the running sync ends')));
});
