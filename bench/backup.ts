// `npx tsx bench/backup.ts`: local backup and restore throughput of Duckling's backup service on a
// generated replica, with the peak RSS of this process. It needs no MariaDB. Settings (environment):
//   BENCH_BACKUP_MB   approximate replica size in MiB (default 200)
// Prints a Markdown table; docs/backups.md records one run.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { BackupService, type RestorableReplica } from '../src/backup/index.js';
import { silentLogger } from '../src/logging/index.js';
import { Replica } from '../src/replica/index.js';
import type { SyncProgress } from '../src/sync/types.js';

const DATABASE_ID = 'bench';
const MEMORY_LIMIT_BYTES = 1024 * 1024 * 1024;
/** Rows per MiB of the generated table, measured once for its columns with DuckDB 1.5 (an estimate). */
const ROWS_PER_MIB = 27_000;

function targetMiB(): number {
  const text = process.env.BENCH_BACKUP_MB;
  if (text === undefined || text === '') return 200;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new Error(`invalid BENCH_BACKUP_MB=${JSON.stringify(text)}: expected a positive integer`);
  return value;
}

function idleProgress(): SyncProgress {
  return {
    inProgress: false, runId: null, type: null, tablesCompleted: 0, tablesTotal: 0, currentTable: null,
    currentTables: [], recordsProcessed: 0, startedAt: null, lastError: null, tables: [],
  };
}

/** Creates the replica file with plain DuckDB, because a replica's locked settings allow no bulk generation SQL. */
async function generateReplicaFile(filePath: string, rows: number): Promise<void> {
  const instance = await DuckDBInstance.create(filePath);
  const connection = await instance.connect();
  await connection.run(
    `CREATE TABLE main.events AS
       SELECT range AS id, md5(CAST(range AS VARCHAR)) AS payload, md5(CAST(range * 7 AS VARCHAR)) AS tag,
              TIMESTAMP '2024-01-01' + to_seconds(range % 31536000) AS created_at
         FROM range(${rows})`,
  );
  await connection.run('CHECKPOINT');
  connection.closeSync();
  instance.closeSync();
}

async function openReplica(directory: string): Promise<Replica> {
  return Replica.create({
    databaseId: DATABASE_ID,
    filePath: path.join(directory, 'bench.db'),
    maxReaders: 2,
    ducklingVersion: 'bench',
    logger: silentLogger(),
    tempDirectory: path.join(directory, 'duckdb_tmp', DATABASE_ID),
    memoryLimitBytes: MEMORY_LIMIT_BYTES,
    threads: os.availableParallelism(),
    maxTempDirectorySize: null,
    preserveInsertionOrder: false,
  });
}

async function main(): Promise<void> {
  const directory = mkdtempSync(path.join(os.tmpdir(), 'duckling-bench-backup-'));
  try {
    const mib = targetMiB();
    console.log(`generating a replica of about ${mib} MiB…`);
    await generateReplicaFile(path.join(directory, 'bench.db'), mib * ROWS_PER_MIB);
    let replica: Replica | null = await openReplica(directory);
    const filePath = replica.filePath;

    const slot: RestorableReplica = {
      filePath,
      beginRestoring: () => undefined,
      endRestoring: () => undefined,
      close: async () => {
        await replica?.close();
        replica = null;
      },
      open: async () => {
        replica = await openReplica(directory);
      },
    };
    const service = new BackupService({
      databases: { get: () => ({ id: DATABASE_ID, replica, unavailableReason: null, source: null }) },
      restorableReplica: () => slot,
      recordedIdentity: async () => null,
      syncActivity: { progress: idleProgress },
      backupRoot: path.join(directory, 'backups'),
      retentionDays: 7,
      scratchSettings: (_id, name) => ({ tempDirectory: path.join(directory, 'duckdb_tmp', `verify-${name}`), memoryLimitBytes: MEMORY_LIMIT_BYTES, threads: os.availableParallelism() }),
      ducklingVersion: 'bench',
      logger: silentLogger(),
      audit: { record: () => undefined },
    });

    let peakRss = process.memoryUsage().rss;
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }, 50);

    const rssBefore = process.memoryUsage().rss;
    const backupStartedAt = performance.now();
    const backup = await service.createLocalBackup(DATABASE_ID);
    const backupMs = performance.now() - backupStartedAt;
    const backupPeak = peakRss;

    peakRss = process.memoryUsage().rss;
    const restoreStartedAt = performance.now();
    await service.restoreLocal(DATABASE_ID, { name: backup.name }, { allowCrossDatabase: false });
    const restoreMs = performance.now() - restoreStartedAt;
    const restorePeak = peakRss;
    clearInterval(sampler);

    const sizeMiB = statSync(filePath).size / (1024 * 1024);
    const rate = (ms: number) => (sizeMiB / (ms / 1000)).toFixed(1);
    const rssMiB = (bytes: number) => (bytes / (1024 * 1024)).toFixed(0);
    console.log('');
    console.log(`| Step | Time | MiB/s | Peak RSS (MiB) |`);
    console.log(`|---|---:|---:|---:|`);
    console.log(`| Backup of ${sizeMiB.toFixed(0)} MiB (${backup.manifest.tables[0]?.rows.toLocaleString('en-US')} rows) | ${(backupMs / 1000).toFixed(2)} s | ${rate(backupMs)} | ${rssMiB(backupPeak)} |`);
    console.log(`| Restore (verify + swap) | ${(restoreMs / 1000).toFixed(2)} s | ${rate(restoreMs)} | ${rssMiB(restorePeak)} |`);
    console.log('');
    console.log(`RSS before the backup: ${rssMiB(rssBefore)} MiB. Machine: ${os.availableParallelism()} CPUs (${os.cpus()[0]?.model ?? 'unknown'}), load average ${os.loadavg()[0]?.toFixed(2)}.`);
    await replica?.close();
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

await main();
