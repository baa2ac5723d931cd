import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '../../src/config/index.js';
import { silentLogger, type Logger } from '../../src/logging/index.js';
import { Replica } from '../../src/replica/index.js';
import type { SyncTarget } from '../../src/sync/index.js';
import { SourceDatabase } from '../../src/source/index.js';

export function tempDirectory(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'duckling-sync-'));
}

/** Settings as Duckling would load them, with `overrides` in place of environment variables. */
export function syncConfig(directory: string, overrides: Record<string, string> = {}): Config {
  return loadConfig({ DATA_PATH: directory, LOG_LEVEL: 'silent', ...overrides }, { cwd: directory });
}

export function openReplica(directory: string, logger: Logger = silentLogger()): Promise<Replica> {
  return Replica.create({
    databaseId: 'default',
    filePath: path.join(directory, 'duckling.db'),
    tempDirectory: path.join(directory, 'duckdb_tmp', 'default'),
    memoryLimitBytes: 512 * 1024 * 1024,
    threads: 2,
    maxTempDirectorySize: null,
    preserveInsertionOrder: false,
    maxReaders: 2,
    ducklingVersion: 'test',
    logger,
  });
}

/** Opens a sync target over a source URL; its `close` ends the source pool and closes the replica. */
export async function openTarget(
  directory: string,
  sourceUrl: string,
  excludedTables: string[] = [],
  logger: Logger = silentLogger(),
): Promise<SyncTarget & { close(): Promise<void> }> {
  const replica = await openReplica(directory, logger);
  // Short retry delays keep the unreachable-source tests quick; the retry count stays the default.
  const config = syncConfig(directory, { RETRY_BASE_DELAY_MS: '20', RETRY_MAX_DELAY_MS: '100' });
  const source = SourceDatabase.create({ databaseId: 'default', connectionString: sourceUrl, config, logger });
  return {
    databaseId: 'default',
    replica,
    source,
    excludedTables,
    async close() {
      await source.close();
      await replica.close();
    },
  };
}

/** Runs one SELECT on the replica and returns its rows as plain objects. */
export function replicaRows(replica: Replica, sql: string): Promise<Record<string, unknown>[]> {
  return replica.withReader(async (connection) => (await connection.runAndReadAll(sql)).getRowObjectsJS());
}

/** Row count of every replicated table, by name. */
export async function replicaCounts(replica: Replica): Promise<Record<string, number>> {
  const tables = await replicaRows(
    replica,
    `SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' AND NOT starts_with(table_name, '__duckling_stage_') ORDER BY 1`,
  );
  const counts: Record<string, number> = {};
  for (const { table_name: name } of tables) {
    const rows = await replicaRows(replica, `SELECT count(*) AS n FROM main."${String(name)}"`);
    counts[String(name)] = Number(rows[0]?.n);
  }
  return counts;
}
