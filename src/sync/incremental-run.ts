import type { Config } from '../config/index.js';
import { planTable } from '../catalog/index.js';
import type { RetryPolicy, SourceTable } from '../source/index.js';
import { discoverRunTables, runPool, skipped, summarise, writeRunError, type FullRunContext } from './full-run.js';
import { chooseTableWatermark, WatermarkSettingError } from './incremental-choice.js';
import { readStoredTableState } from './incremental-merge.js';
import { syncTableIncrementally, type IncrementalJob } from './incremental-table.js';
import { errorMessage } from '../errors/index.js';
import { compareWithReplica, evolveInPlace, type InPlaceChange, type InPlaceOutcome } from './schema-evolution.js';
import { insertSyncLog } from './sync-log.js';
import { syncTableFully, type TableJob } from './table-sync.js';
import type { SyncRunStats, SyncTarget, TableSyncResult } from './types.js';

export interface IncrementalRunContext extends FullRunContext {
  retry: RetryPolicy;
}

/**
 * Treatment of one table in an incremental run. A merge reads the rows changed since its
 * watermark, after following an in-place schema change when there is one. A full load serves a
 * table with no usable watermark yet or with a schema change that needs a rebuild. An error
 * result reports a watermark setting that cannot apply.
 */
export type TableStrategy =
  | { kind: 'merge'; job: Omit<IncrementalJob, keyof TableJob | 'retry' | 'schemaChange'>; evolution?: InPlaceChange }
  | { kind: 'full'; reason: string }
  | { kind: 'error'; message: string };

/**
 * Decides how to sync `table` incrementally. A table gets a full load when it has no watermark
 * or key, is not in the replica yet, has an interrupted full load to resume, changed its schema
 * in a way that needs a rebuild, changed its watermark column, or has no stored watermark value.
 */
export async function chooseStrategy(
  target: SyncTarget,
  table: SourceTable,
  settings: Config['sync'],
): Promise<TableStrategy> {
  let plan;
  try {
    plan = planTable(table);
  } catch {
    // The full load reports the unsupported type with its column.
    return { kind: 'full', reason: 'the type plan could not be built' };
  }
  let choice;
  try {
    choice = chooseTableWatermark(table, plan, settings.watermarkColumns, target.sync);
  } catch (error) {
    if (error instanceof WatermarkSettingError) return { kind: 'error', message: error.message };
    throw error;
  }
  if (choice.mode === 'none') {
    return { kind: 'full', reason: plan.keyColumns.length === 0 ? 'the table has no key' : 'the table has no watermark column' };
  }

  const state = await target.replica.withReader((reader) => readStoredTableState(reader, table.name));
  const stored = state.watermark;
  if (!state.liveExists) return { kind: 'full', reason: 'the table is not in the replica yet' };
  if (state.openSession) return { kind: 'full', reason: 'an interrupted full load of the table resumes' };
  let evolution: InPlaceChange | undefined;
  if (state.schemaHash !== plan.schemaHash) {
    const comparison = await compareWithReplica(target.replica, table);
    if (comparison.kind !== 'in-place') return { kind: 'full', reason: 'the source schema changed and the table is rebuilt' };
    evolution = comparison;
  }
  if (!stored || stored.mode !== choice.mode || stored.column !== choice.column) {
    return { kind: 'full', reason: 'the watermark column changed' };
  }
  if (stored.mark === null) return { kind: 'full', reason: 'no watermark value is stored yet' };

  const lookbackSeconds = choice.mode === 'timestamp' ? (target.sync?.lookbackSeconds ?? settings.lookbackSeconds) : 0;
  return { kind: 'merge', job: { plan, choice, stored: stored.mark, lookbackSeconds }, ...(evolution ? { evolution } : {}) };
}

/**
 * Runs an incremental sync of every source table: the same discovery, safety checks and drops as a
 * full run, then per table a merge of the changed rows or a full load (`chooseStrategy`), at most
 * `SYNC_TABLE_CONCURRENCY` at a time. A failing table does not fail the run.
 */
export async function runIncrementalSync(context: IncrementalRunContext): Promise<SyncRunStats> {
  const startedAtMs = Date.now();
  const { target, logger } = context;
  logger.info({ trigger: context.trigger }, 'incremental sync started');

  let tables: SourceTable[];
  let strategies: TableStrategy[];
  try {
    tables = await discoverRunTables(context, 'watermark');
    strategies = await Promise.all(tables.map((table) => chooseStrategy(target, table, context.settings)));
  } catch (error) {
    logger.error({ err: error }, 'incremental sync failed');
    await writeRunError(context, error, Date.now() - startedAtMs, 'watermark');
    throw error;
  }

  // A merge reads only the changed rows, whose number is unknown, so it starts with no estimate.
  context.progress.plan(target.databaseId, tables.map((table, index) => ({
    name: table.name, estimatedRows: strategies[index]!.kind === 'merge' ? 0 : table.estimatedRows,
  })));
  context.onTablesPlanned?.();
  const results = await runPool(tables.map((table, index) => ({ table, strategy: strategies[index]! })), context.settings.tableConcurrency,
    ({ table, strategy }) => syncOneTable(context, table, strategy));
  const stats = summarise(context.runId, results, Date.now() - startedAtMs);
  logger.info({ successfulTables: stats.successfulTables, failedTables: stats.failedTables, skippedTables: stats.skippedTables, merged: stats.syncDetails.watermark, recordsProcessed: stats.recordsProcessed, durationMs: stats.durationMs }, 'incremental sync finished');
  return stats;
}

async function syncOneTable(context: IncrementalRunContext, table: SourceTable, strategy: TableStrategy): Promise<TableSyncResult> {
  const { target } = context;
  const syncType = strategy.kind === 'full' ? 'sequential' : 'watermark';
  if (context.shouldStop()) return skipped(context, table.name, 'not started because Duckling is shutting down', syncType);
  if (!context.locks.tryAcquire(target.databaseId, table.name)) {
    return skipped(context, table.name, 'another load of this table is running; it was skipped in this run', syncType);
  }
  try {
    return await syncTableByStrategy(context, table, strategy);
  } finally {
    context.locks.release(target.databaseId, table.name);
  }
}

/** Runs the strategy for one table; the caller holds the table lock. */
export async function syncTableByStrategy(
  context: Omit<IncrementalRunContext, 'allowMassDrop' | 'locks'>,
  table: SourceTable,
  strategy: TableStrategy,
): Promise<TableSyncResult> {
  const { target } = context;
  const job: TableJob = {
    databaseId: target.databaseId, runId: context.runId, trigger: context.trigger, replica: target.replica,
    source: target.source, table, settings: context.settings, progress: context.progress,
    logger: context.logger, shouldStop: context.shouldStop, syncOptions: target.sync,
  };
  if (strategy.kind === 'merge') return mergeTable(context, job, strategy);
  if (strategy.kind === 'full') {
    context.logger.info({ table: table.name, reason: strategy.reason }, 'incremental run loads table fully');
    return syncTableFully(job);
  }
  return failTable(context, table.name, strategy.message);
}

/**
 * Merges the table's changed rows. An in-place schema change is followed first. When its fill
 * cannot be proven, the table is reloaded fully instead, with the reason recorded.
 */
async function mergeTable(
  context: Omit<IncrementalRunContext, 'allowMassDrop' | 'locks'>,
  job: TableJob,
  strategy: Extract<TableStrategy, { kind: 'merge' }>,
): Promise<TableSyncResult> {
  const { evolution } = strategy;
  if (evolution === undefined) return syncTableIncrementally({ ...job, ...strategy.job, retry: context.retry });

  const logger = context.logger.child({ table: job.table.name });
  let outcome: InPlaceOutcome;
  try {
    outcome = await evolveInPlace({
      replica: job.replica, source: job.source, table: job.table, plan: strategy.job.plan,
      change: evolution, choice: strategy.job.choice, stored: strategy.job.stored,
    });
  } catch (error) {
    logger.error({ err: error, schemaChange: evolution.summary }, 'following the schema change in place failed');
    return failTable(context, job.table.name, `following the schema change (${evolution.summary}) failed: ${errorMessage(error)}`, evolution.summary);
  }
  if (!outcome.applied) {
    logger.info({ schemaChange: evolution.summary, reason: outcome.reason }, 'schema change needs a full load');
    return syncTableFully({ ...job, reloadReason: outcome.reason });
  }
  logger.info({ schemaChange: evolution.summary, action: 'columns added in place' }, 'source schema changed');
  return syncTableIncrementally({ ...job, ...strategy.job, retry: context.retry, schemaChange: evolution.summary });
}

async function failTable(
  context: Omit<IncrementalRunContext, 'allowMassDrop' | 'locks'>,
  table: string,
  message: string,
  schemaChange?: string,
): Promise<TableSyncResult> {
  context.progress.phase(context.target.databaseId, table, 'error', message);
  context.logger.error({ table, detail: message }, 'table sync failed');
  await context.target.replica.withWriter((writer) => insertSyncLog(writer, {
    runId: context.runId, tableName: table, syncType: 'watermark', trigger: context.trigger,
    recordsProcessed: 0, rowsRead: 0, durationMs: 0, status: 'error', errorMessage: message, valuesNulled: 0,
    schemaChange: schemaChange ?? null,
  }));
  return {
    table, recordsProcessed: 0, durationMs: 0, status: 'error', error: message, syncType: 'watermark', valuesNulled: 0, nulled: {},
    ...(schemaChange === undefined ? {} : { schemaChange }),
  };
}
