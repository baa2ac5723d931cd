import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import type mysql from 'mysql2/promise';
import { createLogger, silentLogger } from '../../src/logging/index.js';
import { SyncService, type SyncTarget, type TableSyncResult } from '../../src/sync/index.js';
import { testSource } from '../harness/mariadb.js';
import { openTarget, replicaRows, syncConfig, tempDirectory } from './helpers.js';

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'sync-child.ts');
const FIRST_ROWS = 200_000;
const TOTAL_ROWS = 300_000;
const SETTINGS = { FULL_SYNC_BATCH_SIZE: '10000', FULL_SYNC_APPENDER_FLUSH_INTERVAL: '20000' };

const directory = tempDirectory();
let schema: string;
let admin: mysql.Connection;

before(async () => {
  const source = await testSource();
  schema = await source.createSchema('sync_crash');
  admin = await source.connect(schema);
  await admin.query(`
    CREATE TABLE big (id INT PRIMARY KEY, payload VARCHAR(40), updated_at DATETIME NOT NULL);
    CREATE TABLE digits (d INT PRIMARY KEY);
    INSERT INTO digits VALUES (0),(1),(2),(3),(4),(5),(6),(7),(8),(9);
    INSERT INTO big
      SELECT n, CONCAT('row-', n), '2024-01-01 00:00:00' + INTERVAL (n MOD 86400) SECOND FROM (
        SELECT a.d + 10*b.d + 100*c.d + 1000*e.d + 10000*f.d + 100000*g.d + 1 AS n
          FROM digits a, digits b, digits c, digits e, digits f, digits g) numbers
      WHERE n <= ${FIRST_ROWS};
  `);
});

after(() => admin.end());

/** Starts the child sync and kills it with SIGKILL after its first flush; returns the flush line. */
function syncAndKillAfterFlush(sourceUrl: string): Promise<Record<string, unknown>> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, directory, sourceUrl, 'big', JSON.stringify(SETTINGS)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let flushed: Record<string, unknown> | null = null;
    readline.createInterface({ input: child.stdout }).on('line', (line) => {
      if (flushed || !line.startsWith('{')) return;
      const entry = JSON.parse(line) as Record<string, unknown>;
      if (entry.msg === 'load flushed') {
        flushed = entry;
        child.kill('SIGKILL');
      }
    });
    child.on('exit', (code, signal) => {
      if (flushed && signal === 'SIGKILL') resolve(flushed);
      else reject(new Error(`child exited with code ${code} and signal ${signal} before a flush was seen`));
    });
  });
}

test('crash mid-load then resume', async () => {
  const source = await testSource();
  const service = new SyncService({ config: syncConfig(directory, SETTINGS), logger: silentLogger() });

  // A complete earlier version of the table, with a different row count.
  let target = await openTarget(directory, source.url(schema));
  const first = await service.syncTable(target, 'big', { trigger: 'manual' });
  assert.equal(first.recordsProcessed, FIRST_ROWS);
  await target.close();

  await admin.query(`
    INSERT INTO big
      SELECT n, CONCAT('row-', n), '2024-02-01 00:00:00' + INTERVAL (n MOD 86400) SECOND FROM (
        SELECT a.d + 10*b.d + 100*c.d + 1000*e.d + 10000*f.d + 100000*g.d + 1 AS n
          FROM digits a, digits b, digits c, digits e, digits f, digits g) numbers
      WHERE n > ${FIRST_ROWS} AND n <= ${TOTAL_ROWS}`);

  const flushed = await syncAndKillAfterFlush(source.url(schema));
  assert.ok(Number(flushed.rowsLoaded) > 0);

  target = await openTarget(directory, source.url(schema));
  try {
    const live = await replicaRows(target.replica, 'SELECT count(*) AS n, max(id) AS top FROM big');
    assert.equal(Number(live[0]?.n), FIRST_ROWS);
    assert.equal(Number(live[0]?.top), FIRST_ROWS);
    const sessions = await replicaRows(target.replica, `SELECT status, rows_loaded, staging_table FROM _duckling.full_sync_sessions WHERE table_name = 'big'`);
    assert.equal(sessions[0]?.status, 'loading');
    assert.ok(Number(sessions[0]?.rows_loaded) > 0);

    const resumed = await service.syncTable(target, 'big', { trigger: 'manual' });
    assert.equal(resumed.status, 'success', resumed.error);
    assert.equal(resumed.resumed, true);
    assert.equal(resumed.recordsProcessed, TOTAL_ROWS);

    const after = await replicaRows(target.replica, 'SELECT count(*) AS n, count(DISTINCT id) AS ids, sum(id) AS total FROM big');
    assert.equal(Number(after[0]?.n), TOTAL_ROWS);
    assert.equal(Number(after[0]?.ids), TOTAL_ROWS);
    assert.equal(Number(after[0]?.total), (TOTAL_ROWS * (TOTAL_ROWS + 1)) / 2);
    const leftovers = await replicaRows(target.replica, `SELECT count(*) AS n FROM duckdb_tables() WHERE starts_with(table_name, '__duckling_stage_')`);
    assert.equal(Number(leftovers[0]?.n), 0);
    const mark = await replicaRows(target.replica, `SELECT last_value FROM _duckling.watermarks WHERE table_name = 'big'`);
    assert.equal(mark[0]?.last_value, '2024-02-01 23:59:59');
  } finally {
    await service.shutdown();
    await target.close();
  }
});

/** Starts a sync of `big` and shuts the service down once rows arrive, so the load stops at its first flush. */
async function syncUntilShutdown(service: SyncService, target: SyncTarget): Promise<TableSyncResult> {
  let stopping: Promise<void> | null = null;
  const unsubscribe = service.onProgress((_databaseId, progress) => {
    const big = progress.tables.find((table) => table.table === 'big');
    if (!stopping && big && big.rowsDone > 0) stopping = service.shutdown();
  });
  try {
    return await service.syncTable(target, 'big', { trigger: 'manual' });
  } finally {
    unsubscribe();
    await stopping;
  }
}

test('shutdown stops at flush', async () => {
  const source = await testSource();
  const stopDirectory = tempDirectory();
  const target = await openTarget(stopDirectory, source.url(schema));
  const service = new SyncService({ config: syncConfig(stopDirectory, SETTINGS), logger: silentLogger() });
  try {
    const result = await syncUntilShutdown(service, target);
    assert.equal(result.status, 'error');
    assert.match(result.error ?? '', /stopped by shutdown/);

    const sessions = await replicaRows(target.replica, `SELECT status, rows_loaded, staging_table FROM _duckling.full_sync_sessions WHERE table_name = 'big'`);
    assert.equal(sessions[0]?.status, 'loading');
    assert.equal(Number(sessions[0]?.rows_loaded), Number(SETTINGS.FULL_SYNC_APPENDER_FLUSH_INTERVAL));
    const live = await replicaRows(target.replica, `SELECT count(*) AS n FROM duckdb_tables() WHERE table_name = 'big'`);
    assert.equal(Number(live[0]?.n), 0);
    await assert.rejects(service.syncTable(target, 'big', { trigger: 'manual' }), { code: 'DUCKLING_NOT_READY' });

    const next = new SyncService({ config: syncConfig(stopDirectory, SETTINGS), logger: silentLogger() });
    const resumed = await next.syncTable(target, 'big', { trigger: 'manual' });
    assert.equal(resumed.resumed, true);
    assert.equal(resumed.recordsProcessed, TOTAL_ROWS);
  } finally {
    await target.close();
  }
});

test('locked table skipped', async () => {
  const source = await testSource();
  const lockDirectory = tempDirectory();
  const target = await openTarget(lockDirectory, source.url(schema));
  const service = new SyncService({ config: syncConfig(lockDirectory, SETTINGS), logger: silentLogger() });
  try {
    // The single-table load of 300,000 rows holds the table lock for far longer than the run
    // needs to list the tables and reach `big`.
    const single = service.syncTable(target, 'big', { trigger: 'manual' });
    const stats = await service.startFullRun(target, { trigger: 'manual' }).completion;
    const big = stats.tables.find((table) => table.table === 'big');
    assert.equal(big?.status, 'skipped');
    assert.match(big?.error ?? '', /another load/);
    assert.equal(stats.skippedTables, 1);
    assert.equal(stats.successfulTables, 1);
    assert.equal((await single).status, 'success');
    const skipped = await service.listSyncLogs(target, { limit: 10, offset: 0, status: 'skipped' });
    assert.equal(skipped.total, 1);
  } finally {
    await service.shutdown();
    await target.close();
  }
});

test('schema change abandons session', async () => {
  const source = await testSource();
  const changeDirectory = tempDirectory();
  const target = await openTarget(changeDirectory, source.url(schema));
  try {
    const stopped = await syncUntilShutdown(new SyncService({ config: syncConfig(changeDirectory, SETTINGS), logger: silentLogger() }), target);
    assert.equal(stopped.status, 'error');
    await admin.query('ALTER TABLE big ADD COLUMN extra INT NOT NULL DEFAULT 7');

    const service = new SyncService({ config: syncConfig(changeDirectory, SETTINGS), logger: silentLogger() });
    const fresh = await service.syncTable(target, 'big', { trigger: 'manual' });
    assert.equal(fresh.status, 'success', fresh.error);
    assert.equal(fresh.resumed, undefined);
    assert.equal(fresh.recordsProcessed, TOTAL_ROWS);
    const rows = await replicaRows(target.replica, 'SELECT count(*) AS n, min(extra) AS low, max(extra) AS high FROM big');
    assert.deepEqual(rows[0], { n: BigInt(TOTAL_ROWS), low: 7, high: 7 });
    const staging = await replicaRows(target.replica, `SELECT count(*) AS n FROM duckdb_tables() WHERE starts_with(table_name, '__duckling_stage_')`);
    assert.equal(Number(staging[0]?.n), 0);
  } finally {
    await target.close();
  }
});

test('appender failure retried with inserts', async () => {
  const source = await testSource();
  const retryDirectory = tempDirectory();
  const lines: string[] = [];
  const logger = createLogger({ level: 'info', version: 'test', destination: { write: (line: string) => lines.push(line) } as never });
  const target = await openTarget(retryDirectory, source.url(schema));
  const service = new SyncService({ config: syncConfig(retryDirectory, SETTINGS), logger });
  try {
    // Dropping the staging table under the Appender makes its next flush fail with a catalog
    // error, which is an Appender failure and not a value conversion.
    let dropping: Promise<void> | null = null;
    const unsubscribe = service.onProgress((_databaseId, progress) => {
      const big = progress.tables.find((table) => table.table === 'big');
      if (dropping || !big || big.rowsDone === 0) return;
      dropping = target.replica.withWriter(async (writer) => {
        const session = await writer.runAndReadAll(`SELECT staging_table FROM _duckling.full_sync_sessions WHERE table_name = 'big'`);
        await writer.run(`DROP TABLE main."${String(session.getRowObjectsJS()[0]?.staging_table)}"`);
      });
    });
    const result = await service.syncTable(target, 'big', { trigger: 'manual' });
    unsubscribe();
    await dropping;
    assert.equal(result.status, 'success', result.error);
    assert.equal(result.recordsProcessed, 300_000);
    assert.ok(lines.some((line) => line.includes('appender failed, retrying the table with inserts')));
    const rows = await replicaRows(target.replica, 'SELECT count(*) AS n, count(DISTINCT id) AS ids FROM big');
    assert.deepEqual(rows[0], { n: 300_000n, ids: 300_000n });
  } finally {
    await service.shutdown();
    await target.close();
  }
});
