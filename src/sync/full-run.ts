import type { Config } from '../config/index.js';
import { DucklingError, errorMessage } from '../errors/index.js';
import type { Logger } from '../logging/index.js';
import type { SourceTable } from '../source/index.js';
import { discoverTables } from './discovery.js';
import type { ProgressBoard } from './progress.js';
import { listReplicaTables } from './staging.js';
import { dropReplicaTable } from './swap.js';
import { insertSyncLog } from './sync-log.js';
import type { TableLocks } from './table-locks.js';
import { syncTableFully } from './table-sync.js';
import type { SyncRunStats, SyncTarget, SyncTrigger, TableSyncResult } from './types.js';

export interface FullRunContext {
  runId: string;
  target: SyncTarget;
  trigger: SyncTrigger;
  allowMassDrop: boolean;
  settings: Config['sync'];
  progress: ProgressBoard;
  locks: TableLocks;
  logger: Logger;
  shouldStop(): boolean;
  /** Called after each drop of a vanished or excluded table, for the audit log. */
  onTableDropped?: (drop: TableDrop) => void;
  /** Called once the run's checks passed and its tables are planned, before the first table loads. */
  onTablesPlanned?: () => void;
}

export interface TableDrop {
  databaseId: string;
  table: string;
  reason: 'excluded' | 'missing from source';
  runId: string;
  trigger: SyncTrigger;
}

/**
 * Runs a full sync of every source table: discovery and safety checks, drops of vanished and
 * newly excluded tables, then `SYNC_TABLE_CONCURRENCY` table loads at a time. A failing table
 * does not fail the run. The run fails as a whole when the source is down before any table
 * starts, when the source has no tables, and on a mass drop without `allowMassDrop`.
 */
export async function runFullSync(context: FullRunContext): Promise<SyncRunStats> {
  const startedAtMs = Date.now();
  const { target, logger } = context;
  logger.info({ trigger: context.trigger }, 'full sync started');

  let tables: SourceTable[];
  try {
    tables = await discoverRunTables(context, 'sequential');
  } catch (error) {
    logger.error({ err: error }, 'full sync failed');
    await writeRunError(context, error, Date.now() - startedAtMs, 'sequential');
    throw error;
  }

  context.progress.plan(target.databaseId, tables);
  context.onTablesPlanned?.();
  const results = await runPool(tables, context.settings.tableConcurrency, (table) => syncOneTable(context, table));
  const stats = summarise(context.runId, results, Date.now() - startedAtMs);
  logger.info({ successfulTables: stats.successfulTables, failedTables: stats.failedTables, skippedTables: stats.skippedTables, recordsProcessed: stats.recordsProcessed, durationMs: stats.durationMs }, 'full sync finished');
  return stats;
}

/**
 * Drops replica tables that left the source or became excluded, with their watermark and metadata.
 * Each drop writes a sync_log row whose `schema_change` names the reason, and a `table.dropped` log line.
 */
export async function dropVanishedTables(
  context: FullRunContext,
  sourceNames: ReadonlySet<string>,
  syncType: TableSyncResult['syncType'],
): Promise<void> {
  const { target } = context;
  const replicaTables = await target.replica.withReader((reader) => listReplicaTables(reader));
  const vanished = replicaTables.filter((name) => !sourceNames.has(name));
  if (vanished.length === 0) return;

  if (vanished.length * 2 > replicaTables.length && !context.allowMassDrop) {
    throw new DucklingError('DUCKLING_SYNC_UNSAFE', {
      detail: `the run would drop ${vanished.length} of the replica's ${replicaTables.length} tables (${vanished.slice(0, 10).join(', ')}${vanished.length > 10 ? ', …' : ''}) because they are missing from the source or excluded; check the source schema, or start the run with allowMassDrop=true`,
    });
  }
  for (const table of vanished) {
    const reason = target.excludedTables.includes(table) ? 'excluded' : 'missing from source';
    await target.replica.withWriter((writer) => dropReplicaTable(writer, table, {
      runId: context.runId, tableName: table, syncType, trigger: context.trigger,
      recordsProcessed: 0, rowsRead: 0, durationMs: 0, status: 'success', valuesNulled: 0,
      schemaChange: `table dropped: ${reason}`,
    }));
    context.logger.info({ event: 'table.dropped', table, reason }, 'table dropped');
    context.onTableDropped?.({ databaseId: target.databaseId, table, reason, runId: context.runId, trigger: context.trigger });
  }
}

async function syncOneTable(context: FullRunContext, table: SourceTable): Promise<TableSyncResult> {
  const { target } = context;
  if (context.shouldStop()) return skipped(context, table.name, 'not started because Duckling is shutting down', 'sequential');
  if (!context.locks.tryAcquire(target.databaseId, table.name)) {
    return skipped(context, table.name, 'another load of this table is running; it was skipped in this run', 'sequential');
  }
  try {
    return await syncTableFully({
      databaseId: target.databaseId, runId: context.runId, trigger: context.trigger, replica: target.replica,
      source: target.source, table, settings: context.settings, progress: context.progress,
      logger: context.logger, shouldStop: context.shouldStop, syncOptions: target.sync,
    });
  } finally {
    context.locks.release(target.databaseId, table.name);
  }
}

export async function skipped(
  context: FullRunContext,
  table: string,
  reason: string,
  syncType: TableSyncResult['syncType'],
): Promise<TableSyncResult> {
  context.progress.phase(context.target.databaseId, table, 'skipped');
  context.logger.info({ table, reason }, 'table sync skipped');
  await context.target.replica.withWriter((writer) => insertSyncLog(writer, {
    runId: context.runId, tableName: table, syncType, trigger: context.trigger,
    recordsProcessed: 0, rowsRead: 0, durationMs: 0, status: 'skipped', errorMessage: reason, valuesNulled: 0,
  }));
  return { table, recordsProcessed: 0, durationMs: 0, status: 'skipped', error: reason, syncType, valuesNulled: 0, nulled: {} };
}

/** Writes the single sync_log row of a run that failed before any table started. */
export async function writeRunError(
  context: FullRunContext,
  error: unknown,
  durationMs: number,
  syncType: TableSyncResult['syncType'],
): Promise<void> {
  try {
    await context.target.replica.withWriter((writer) => insertSyncLog(writer, {
      runId: context.runId, tableName: null, syncType, trigger: context.trigger,
      recordsProcessed: 0, rowsRead: 0, durationMs, status: 'error', errorMessage: errorMessage(error), valuesNulled: 0,
    }));
  } catch (logError) {
    context.logger.error({ err: logError }, 'writing the sync_log error row failed');
  }
}

/** Runs `task` over `items` with at most `limit` in flight. Results keep the input order. */
export async function runPool<T, R>(items: readonly T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next;
      next += 1;
      results[index] = await task(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}

export function summarise(runId: string, tables: TableSyncResult[], durationMs: number): SyncRunStats {
  const count = (status: TableSyncResult['status']) => tables.filter((table) => table.status === status).length;
  return {
    runId,
    totalTables: tables.length,
    successfulTables: count('success'),
    failedTables: count('error'),
    skippedTables: count('skipped'),
    recordsProcessed: tables.reduce((sum, table) => sum + table.recordsProcessed, 0),
    durationMs,
    valuesNulled: tables.reduce((sum, table) => sum + table.valuesNulled, 0),
    errors: tables.filter((table) => table.status === 'error').map((table) => `${table.table}: ${table.error ?? 'unknown error'}`),
    syncDetails: {
      sequential: tables.filter((table) => table.status === 'success' && table.syncType === 'sequential').length,
      watermark: tables.filter((table) => table.status === 'success' && table.syncType === 'watermark').length,
    },
    tables,
  };
}

/**
 * Lists the source tables a run covers and drops replica tables that vanished from the source or
 * became excluded. An empty source list always fails the run, because it more likely means a wrong
 * schema or lost grants than a source without tables.
 */
export async function discoverRunTables(context: FullRunContext, syncType: TableSyncResult['syncType']): Promise<SourceTable[]> {
  const { target } = context;
  const tables = await discoverTables(target);
  if (tables.length === 0) {
    throw new DucklingError('DUCKLING_SYNC_UNSAFE', {
      detail: `the source schema of database "${target.databaseId}" has no tables to sync (after exclusions); check the schema in the connection string and EXCLUDED_TABLES`,
    });
  }
  await dropVanishedTables(context, new Set(tables.map((table) => table.name)), syncType);
  return tables;
}
