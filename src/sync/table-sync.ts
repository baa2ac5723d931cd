import type { Config } from '../config/index.js';
import { errorMessage } from '../errors/index.js';
import { planTable, type TablePlan } from '../catalog/index.js';
import type { SourceDatabase, SourceTable } from '../source/index.js';
import type { Replica } from '../replica/index.js';
import type { Logger } from '../logging/index.js';
import type { ProgressBoard } from './progress.js';
import { SinkFailure } from './row-sinks.js';
import { abandonSession, readSession, setSessionStatus, type LoadSession } from './sessions.js';
import { mainTableExists, stagingTableName } from './staging.js';
import { swapInStaging } from './swap.js';
import { insertSyncLog } from './sync-log.js';
import { LoadStopped, keyColumnIndexes, loadTable, type LoadContext, type LoadOutcome, type LoadStart } from './table-load.js';
import type { DatabaseSyncOptions, SyncTrigger, TableSyncResult } from './types.js';
import { chooseTableWatermark } from './incremental-choice.js';
import { compareWithReplica } from './schema-evolution.js';

/** Prefix of Duckling's own objects, which a source table may not use. */
const RESERVED_PREFIX = '__duckling_';

export interface TableJob {
  databaseId: string;
  runId: string;
  trigger: SyncTrigger;
  replica: Replica;
  source: SourceDatabase;
  table: SourceTable;
  settings: Config['sync'];
  progress: ProgressBoard;
  logger: Logger;
  shouldStop(): boolean;
  /** The database's `sync` settings, which can name the watermark column of a table. */
  syncOptions?: DatabaseSyncOptions;
  /** Reason that a schema change which could be followed in place is reloaded instead, appended to `schemaChange`. */
  reloadReason?: string;
}

/**
 * Loads one table fully and swaps it in, recording how its source definition changed since the
 * last sync as `schemaChange`. A failure becomes an `error` result and a sync_log row instead of
 * an exception.
 */
export async function syncTableFully(job: TableJob): Promise<TableSyncResult> {
  const startedAtMs = Date.now();
  const logger = job.logger.child({ table: job.table.name });
  job.progress.phase(job.databaseId, job.table.name, 'loading');
  logger.info({ estimatedRows: job.table.estimatedRows }, 'table sync started');
  let schemaChange: string | null = null;
  try {
    assertNameNotReserved(job.table.name);
    schemaChange = await describeSchemaChange(job, logger);
    const result = await loadAndSwap(job, logger, startedAtMs, schemaChange);
    job.progress.phase(job.databaseId, job.table.name, 'done');
    logger.info({ rows: result.recordsProcessed, durationMs: result.durationMs, valuesNulled: result.valuesNulled }, 'table sync finished');
    await checkpointQuietly(job.replica, logger);
    return result;
  } catch (error) {
    const message = errorMessage(error);
    job.progress.phase(job.databaseId, job.table.name, 'error', message);
    if (error instanceof LoadStopped) logger.warn({ err: error }, 'table sync stopped');
    else {
      logger.error({ err: error }, 'table sync failed');
      await discardSession(job, message, logger);
    }
    const durationMs = Date.now() - startedAtMs;
    await job.replica
      .withWriter((writer) => insertSyncLog(writer, {
        runId: job.runId, tableName: job.table.name, syncType: 'sequential', trigger: job.trigger,
        recordsProcessed: 0, rowsRead: 0, durationMs, status: 'error', errorMessage: message, valuesNulled: 0,
        schemaChange,
      }))
      .catch((logError: unknown) => logger.error({ err: logError }, 'writing the sync_log error row failed'));
    return {
      table: job.table.name, recordsProcessed: 0, durationMs, status: 'error', error: message,
      syncType: 'sequential', valuesNulled: 0, nulled: {}, ...(schemaChange === null ? {} : { schemaChange }),
    };
  }
}

/**
 * Compares the source definition with the one stored at the last sync and logs a difference.
 * Returns the `schemaChange` text, or null when nothing changed. The full load that follows
 * rebuilds the table whatever the change, so nothing is altered here.
 */
async function describeSchemaChange(job: TableJob, logger: Logger): Promise<string | null> {
  const comparison = await compareWithReplica(job.replica, job.table);
  if (comparison.kind === 'unchanged') return null;
  const schemaChange = job.reloadReason === undefined ? comparison.summary : `${comparison.summary}; reloaded because ${job.reloadReason}`;
  logger.info({ schemaChange, action: 'full load' }, 'source schema changed');
  return schemaChange;
}

function assertNameNotReserved(table: string): void {
  if (table.startsWith(RESERVED_PREFIX)) {
    throw new Error(`source table name ${table} starts with ${RESERVED_PREFIX}, which Duckling reserves for its own tables; rename the table or add it to EXCLUDED_TABLES`);
  }
}

async function loadAndSwap(job: TableJob, logger: Logger, startedAtMs: number, schemaChange: string | null): Promise<TableSyncResult> {
  const plan = planTable(job.table);
  const choice = chooseTableWatermark(job.table, plan, job.settings.watermarkColumns, job.syncOptions);
  const watermarkIndex = choice.mode === 'timestamp' ? choice.columnIndex : null;
  const context: LoadContext = {
    replica: job.replica, source: job.source, table: job.table, plan,
    batchSize: job.settings.fullSyncBatchSize,
    flushInterval: job.settings.fullSyncAppenderFlushInterval,
    insertBatchSize: job.settings.insertBatchSize,
    watermarkIndex, logger, shouldStop: job.shouldStop,
    onRows: (rows) => job.progress.rows(job.databaseId, job.table.name, rows),
  };

  const start = await decideStart(job, plan, logger);
  const resumed = start.kind !== 'fresh';
  const outcome: LoadOutcome = start.kind === 'swap'
    ? { session: start.session, rowsRead: 0 }
    : await loadWithFallback(context, start, logger, job);

  const session = outcome.session;
  job.progress.phase(job.databaseId, job.table.name, 'swapping');
  await job.replica.withWriter((writer) => setSessionStatus(writer, job.table.name, 'swapping'));
  const valuesNulled = Object.values(session.nulledDetail).reduce((sum, count) => sum + count, 0);
  const durationMs = Date.now() - startedAtMs;
  await job.replica.withWriter((writer) => swapInStaging(writer, {
    table: job.table, plan, stagingTable: session.stagingTable, rowCount: session.rowsLoaded,
    watermarkColumn: choice.mode === 'none' ? null : choice.column,
    watermarkMode: choice.mode === 'id' ? 'id' : 'timestamp',
    // Rows arrive in key order, so in id mode the last key read is the greatest.
    watermarkMark: choice.mode === 'id'
      ? (session.cursor === null ? null : { value: String(session.cursor[0]), key: session.cursor })
      : session.watermarkMax,
    log: {
      runId: job.runId, tableName: job.table.name, syncType: 'sequential', trigger: job.trigger,
      recordsProcessed: session.rowsLoaded, rowsRead: outcome.rowsRead, durationMs, status: 'success',
      valuesNulled, nulledDetail: session.nulledDetail, schemaChange,
    },
  }));
  return {
    table: job.table.name, recordsProcessed: session.rowsLoaded, durationMs, status: 'success',
    syncType: 'sequential', valuesNulled, nulled: { ...session.nulledDetail },
    ...(schemaChange === null ? {} : { schemaChange }),
    ...(resumed ? { resumed: true } : {}),
  };
}

type Start = LoadStart | { kind: 'swap'; session: LoadSession };

/** Chooses between a fresh load, resuming a `loading` session and redoing a `swapping` session's swap. */
async function decideStart(job: TableJob, plan: TablePlan, logger: Logger): Promise<Start> {
  const fresh = (): Start => ({ kind: 'fresh', session: newSession(job, plan) });
  const existing = await job.replica.withWriter((writer) => readSession(writer, job.table.name));
  if (!existing || existing.status === 'abandoned') return fresh();

  const stagingExists = await job.replica.withWriter((writer) => mainTableExists(writer, existing.stagingTable));
  const reasons = resumeBlockers(existing, plan, stagingExists, job.settings.fullSyncResumeEnabled);
  if (reasons.length > 0) {
    logger.info({ reasons, stagingTable: existing.stagingTable }, 'load session abandoned');
    await job.replica.withWriter((writer) => abandonSession(writer, existing, reasons));
    return fresh();
  }
  const session: LoadSession = { ...existing, runId: job.runId };
  logger.info({ status: existing.status, rowsLoaded: existing.rowsLoaded }, existing.status === 'swapping' ? 'redoing interrupted swap' : 'load resumed');
  return existing.status === 'swapping' ? { kind: 'swap', session } : { kind: 'resume', session };
}

/** Returns why a session cannot continue, or an empty list when it can. */
function resumeBlockers(session: LoadSession, plan: TablePlan, stagingExists: boolean, resumeEnabled: boolean): string[] {
  const reasons: string[] = [];
  if (!resumeEnabled) reasons.push('FULL_SYNC_RESUME_ENABLED is false');
  if (session.schemaHash !== plan.schemaHash) reasons.push('source schema changed');
  if (JSON.stringify(session.keyColumns) !== JSON.stringify(plan.keyColumns)) reasons.push('key columns changed');
  if (!stagingExists) reasons.push(`staging table ${session.stagingTable} is missing`);
  if (session.status === 'loading') {
    if (plan.keyColumns.length === 0) reasons.push('table has no key to resume by');
    else if (!plan.keyOrdersSame) reasons.push('key columns do not order the same in the source and DuckDB');
    if (session.cursor === null) reasons.push('no rows were flushed before the interruption');
  }
  return reasons;
}

function newSession(job: TableJob, plan: TablePlan): LoadSession {
  return {
    tableName: job.table.name, runId: job.runId, status: 'loading', stagingTable: stagingTableName(job.table.name),
    schemaHash: plan.schemaHash, keyColumns: [...plan.keyColumns], cursor: null, rowsLoaded: 0,
    snapshotPosition: null, watermarkMax: null, nulledDetail: {}, reasons: null,
  };
}

/**
 * Loads through the Appender. An Appender failure other than a value conversion is retried once
 * from the start through multi-row INSERTs into fresh staging.
 */
async function loadWithFallback(context: LoadContext, start: LoadStart, logger: Logger, job: TableJob): Promise<LoadOutcome> {
  try {
    return await loadTable(context, start, 'appender');
  } catch (error) {
    if (!(error instanceof SinkFailure)) throw error;
    logger.warn({ err: error }, 'appender failed, retrying the table with inserts');
    const failed = await context.replica.withWriter((writer) => readSession(writer, context.table.name));
    if (failed) await context.replica.withWriter((writer) => abandonSession(writer, failed, [error.message]));
    return loadTable(context, { kind: 'fresh', session: newSession(job, context.plan) }, 'insert');
  }
}

/** Drops the table's staging after a failure and marks its session abandoned. The live table is untouched. */
async function discardSession(job: TableJob, reason: string, logger: Logger): Promise<void> {
  try {
    const session = await job.replica.withWriter((writer) => readSession(writer, job.table.name));
    if (session && session.status !== 'abandoned') {
      await job.replica.withWriter((writer) => abandonSession(writer, session, [reason]));
    }
  } catch (error) {
    logger.error({ err: error }, 'dropping the staging table of a failed load failed');
  }
}

async function checkpointQuietly(replica: Replica, logger: Logger): Promise<void> {
  try {
    await replica.withWriter((writer) => writer.run('CHECKPOINT'));
  } catch (error) {
    // A checkpoint only shortens the WAL. The swap already committed, so the sync stays successful.
    logger.warn({ err: error }, 'checkpoint after swap failed');
  }
}
