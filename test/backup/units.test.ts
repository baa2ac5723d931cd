import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  BackupScheduler,
  DatabaseOperationGuard,
  LocalBackupStore,
  backupName,
  checkBackupName,
  type BackupManifest,
  type LocalBackupResult,
} from '../../src/backup/index.js';
import { DucklingError } from '../../src/errors/index.js';
import { requireReplica } from '../../src/http/plugins/db-context.js';
import { createLogger, silentLogger } from '../../src/logging/index.js';
import { LoadGate } from '../../src/replica/index.js';
import type { SyncProgress } from '../../src/sync/types.js';

const DAY_MS = 24 * 60 * 60 * 1000;

function idleProgress(inProgress = false): SyncProgress {
  return {
    inProgress, runId: inProgress ? 'run-1' : null, type: inProgress ? 'full' : null, tablesCompleted: 0, tablesTotal: 0,
    currentTable: null, currentTables: [], recordsProcessed: 0, startedAt: null, lastError: null, tables: [],
  };
}

describe('LoadGate', () => {
  test('pause waits for running write', async () => {
    const gate = new LoadGate();
    let finishWrite!: () => void;
    const write = gate.run(() => new Promise<void>((resolve) => { finishWrite = resolve; }));
    let paused = false;
    const pausing = gate.pause().then((resume) => { paused = true; return resume; });
    await sleep(10);
    assert.equal(paused, false);
    finishWrite();
    await write;
    const resume = await pausing;
    assert.equal(paused, true);
    resume();
  });

  test('writes wait until resume', async () => {
    const gate = new LoadGate();
    const resume = await gate.pause();
    let wrote = false;
    const write = gate.run(async () => { wrote = true; });
    await sleep(10);
    assert.equal(wrote, false);
    resume();
    await write;
    assert.equal(wrote, true);
    assert.equal(gate.paused, false);
  });
});

describe('DatabaseOperationGuard', () => {
  test('second operation gets 409', async () => {
    const guard = new DatabaseOperationGuard({ progress: () => idleProgress() });
    let release!: () => void;
    const first = guard.run('shop', 'backup', () => new Promise<void>((resolve) => { release = resolve; }));
    await assert.rejects(guard.run('shop', 'restore', async () => undefined), (error: DucklingError) => {
      assert.equal(error.code, 'DUCKLING_BACKUP_IN_PROGRESS');
      assert.equal(error.statusCode, 409);
      assert.match(error.message, /backup of database "shop"/);
      return true;
    });
    await guard.run('other', 'backup', async () => undefined);
    let idle = false;
    const waiting = guard.whenIdle().then(() => { idle = true; });
    await sleep(10);
    assert.equal(idle, false);
    release();
    await first;
    await waiting;
    assert.equal(idle, true);
    assert.equal(guard.current('shop'), null);
  });

  test('restore rejected during sync', async () => {
    const guard = new DatabaseOperationGuard({ progress: () => idleProgress(true) });
    await assert.rejects(guard.run('shop', 'restore', async () => undefined), (error: DucklingError) => error.code === 'DUCKLING_SYNC_IN_PROGRESS');
    assert.equal(await guard.run('shop', 'backup', async () => 'taken'), 'taken');
  });
});

describe('backup names', () => {
  test('name round trip', () => {
    const at = new Date('2026-03-04T05:06:07.089Z');
    const name = backupName('shop_eu', at);
    assert.equal(name, 'backup-shop_eu-2026-03-04T05-06-07-089Z');
    const checked = checkBackupName(name, '/data/backups');
    assert.equal(checked.databaseId, 'shop_eu');
    assert.equal(checked.createdAt.toISOString(), at.toISOString());
    assert.equal(checked.directory, path.join('/data/backups', name));
  });

  test('bad names are 400', () => {
    for (const name of ['', 'backup-shop', 'backup-shop-2026-03-04T05:06:07.089Z', 'backup-sh op-2026-03-04T05-06-07-089Z', '../backup-shop-2026-03-04T05-06-07-089Z']) {
      assert.throws(() => checkBackupName(name, '/data/backups'), (error: DucklingError) => error.statusCode === 400, name);
    }
  });
});

function manifestFor(name: string, databaseId: string, size: number): BackupManifest {
  return {
    format: 'duckling-backup', version: 1, backupId: name, databaseId, createdAt: new Date().toISOString(),
    ducklingVersion: 'test', duckdbVersion: 'v1.5.6', duckdbStorageVersion: 64,
    source: { host: null, port: null, schema: null, flavour: null, identity: null, position: null, watermarks: {} },
    tables: [], schemaHash: 'x', object: { key: `${name}/duckling-${databaseId}.db`, size, sha256: 'x' },
    plaintext: { size, sha256: 'x' }, encryption: null, status: 'complete',
  };
}

async function fakeBackup(root: string, databaseId: string, at: Date, complete: boolean): Promise<string> {
  const name = backupName(databaseId, at);
  await mkdir(path.join(root, name), { recursive: true });
  await writeFile(path.join(root, name, `duckling-${databaseId}.db`), 'image');
  if (complete) await writeFile(path.join(root, name, 'manifest.json'), JSON.stringify(manifestFor(name, databaseId, 5)));
  return name;
}

describe('retention', () => {
  test('removes only expired backups of database', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'duckling-retention-'));
    const now = new Date('2026-06-30T12:00:00.000Z');
    const ago = (days: number) => new Date(now.getTime() - days * DAY_MS);
    const expired = await fakeBackup(root, 'shop', ago(10), true);
    const kept = await fakeBackup(root, 'shop', ago(2), true);
    const oldIncomplete = await fakeBackup(root, 'shop', ago(3), false);
    const freshIncomplete = await fakeBackup(root, 'shop', new Date(now.getTime() - 60_000), false);
    const otherDatabase = await fakeBackup(root, 'shop_eu', ago(30), true);

    const store = new LocalBackupStore(root, silentLogger());
    const removed = await store.applyRetention('shop', 7, now);
    assert.deepEqual(removed.sort(), [expired, oldIncomplete].sort());
    assert.deepEqual((await readdir(root)).sort(), [freshIncomplete, kept, otherDatabase].sort());
  });

  test('keeps newest complete backup', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'duckling-retention-'));
    const now = new Date('2026-06-30T12:00:00.000Z');
    const older = await fakeBackup(root, 'shop', new Date(now.getTime() - 40 * DAY_MS), true);
    const newest = await fakeBackup(root, 'shop', new Date(now.getTime() - 20 * DAY_MS), true);
    const removed = await new LocalBackupStore(root, silentLogger()).applyRetention('shop', 7, now);
    assert.deepEqual(removed, [older]);
    assert.deepEqual(await readdir(root), [newest]);
  });
});

describe('LocalBackupStore listing', () => {
  test('unreadable manifest logged once', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'duckling-manifest-'));
    const name = backupName('shop', new Date('2026-06-30T12:00:00.000Z'));
    await mkdir(path.join(root, name));
    await writeFile(path.join(root, name, 'manifest.json'), '{"format":"nope"}');

    const warnings: string[] = [];
    const logger = createLogger({ level: 'warn', version: 'test', destination: { write: (line: string) => void warnings.push(line) } });
    const store = new LocalBackupStore(root, logger);
    for (let listing = 0; listing < 3; listing += 1) {
      const entries = await store.list('shop');
      assert.equal(entries[0]?.status, 'invalid');
    }
    const manifestWarnings = warnings.filter((line) => line.includes('backup manifest cannot be read'));
    assert.equal(manifestWarnings.length, 1);
    assert.match(manifestWarnings[0]!, new RegExp(`"backup":"${name}"`));
  });
});

describe('BackupScheduler', () => {
  test('first backup after one period', async () => {
    const calls: string[] = [];
    const scheduler = new BackupScheduler({
      databases: { list: () => [{ id: 'a', replica: {} }, { id: 'busy', replica: {} }, { id: 'closed', replica: null }] },
      backups: {
        createLocalBackup: async (databaseId: string): Promise<LocalBackupResult> => {
          calls.push(databaseId);
          if (databaseId === 'busy') throw new DucklingError('DUCKLING_BACKUP_IN_PROGRESS', { operation: 'restore', db: databaseId });
          return { name: 'n', size: 1, durationMs: 1, manifest: manifestFor('n', databaseId, 1) };
        },
      },
      intervalMs: 40,
      logger: silentLogger(),
    });
    scheduler.start();
    assert.deepEqual(calls, []);
    for (let attempt = 0; attempt < 200 && calls.length < 4; attempt += 1) await sleep(10);
    await scheduler.stop();
    assert.deepEqual(calls.slice(0, 4), ['a', 'busy', 'a', 'busy']);
    assert.notEqual(scheduler.lastScheduledBackupAt('a'), null);
    assert.equal(scheduler.lastScheduledBackupAt('busy'), null);
  });
});

test('restoring database answers 503', () => {
  const request = { database: { id: 'shop', restoring: true, replica: null, unavailableReason: null }, routeOptions: { url: '/api/query' } };
  assert.throws(() => requireReplica(request as never), (error: DucklingError) => {
    assert.equal(error.code, 'DUCKLING_DATABASE_RESTORING');
    assert.equal(error.statusCode, 503);
    assert.deepEqual(error.headers, { 'retry-after': '5' });
    return true;
  });
});
