import { planTable } from '../catalog/index.js';
import { DucklingError, errorMessage } from '../errors/index.js';
import type { Logger } from '../logging/index.js';
import type { SourceSnapshot, SourceTable } from '../source/index.js';
import { discoverTables } from './discovery.js';
import { readStoredTableState } from './incremental-merge.js';
import type { ProgressBoard } from './progress.js';
import { reconcileTable } from './reconcile-table.js';
import type { ReconcileOptions, ReconcileReport, TableReconcileResult } from './reconcile-types.js';
import { insertSyncLog } from './sync-log.js';
import type { TableLocks } from './table-locks.js';
import type { SyncTarget } from './types.js';

export interface ReconcileRunContext {
  runId: string;
  target: SyncTarget;
  options: ReconcileOptions;
  progress: ProgressBoard;
  locks: TableLocks;
  logger: Logger;
  shouldStop(): boolean;
}

/**
 * Reconciles every keyed source table (or the one asked for) against one consistent snapshot,
 * one table at a time. A table that fails reports its error and the others continue; a source
 * that cannot be listed fails the run.
 */
export async function runReconcile(context: ReconcileRunContext): Promise<ReconcileReport> {
  const { target, options, logger } = context;
  logger.info({ trigger: options.trigger, table: options.table, content: options.content ?? false }, 'reconcile started');
  const tables = selectTables(target, options.table, await discoverTables(target));
  context.progress.plan(target.databaseId, tables.map((table) => ({ name: table.name, estimatedRows: table.estimatedRows })));

  const results: TableReconcileResult[] = [];
  const snapshot = await target.source.openSnapshot();
  try {
    const lookups = await target.source.openSnapshot();
    try {
      for (const table of tables) results.push(await reconcileOne(context, snapshot, lookups, table));
    } finally {
      await lookups.release();
    }
  } finally {
    await snapshot.release();
  }

  const rowsDeleted = results.reduce((sum, result) => sum + result.rowsDeleted, 0);
  const rowsRepaired = results.reduce((sum, result) => sum + result.rowsRepaired, 0);
  logger.info({ tables: results.length, rowsDeleted, rowsRepaired }, 'reconcile finished');
  return { runId: context.runId, tables: results };
}

function selectTables(target: SyncTarget, table: string | undefined, tables: SourceTable[]): SourceTable[] {
  if (table === undefined) return tables;
  const found = tables.find((candidate) => candidate.name === table);
  if (found) return [found];
  const hint = target.excludedTables.includes(table)
    ? ': it is excluded by EXCLUDED_TABLES or the database\'s excludedTables'
    : ': it is not a base table of the source schema; check the spelling and case of the name';
  throw new DucklingError('DUCKLING_TABLE_NOT_FOUND', { table, db: target.databaseId, hint });
}

async function reconcileOne(context: ReconcileRunContext, snapshot: SourceSnapshot, lookups: SourceSnapshot, table: SourceTable): Promise<TableReconcileResult> {
  const { target, logger } = context;
  const result: TableReconcileResult = { table: table.name, chunks: 0, mismatchedChunks: 0, rowsDeleted: 0, rowsRepaired: 0 };
  if (context.shouldStop()) return finish(context, result, 'not started because Duckling is shutting down', 0, 'skipped');
  if (!context.locks.tryAcquire(target.databaseId, table.name)) {
    return finish(context, result, 'another load of this table is running; reconcile it again when that load ends', 0, 'skipped');
  }

  const startedAtMs = Date.now();
  context.progress.phase(target.databaseId, table.name, 'loading');
  try {
    const problem = await unreconcilable(target, table);
    if (problem) return await finish(context, result, problem.message, 0, problem.status);
    const counts = await reconcileTable(snapshot, lookups, target.replica, table, planTable(table), context.options.content ?? false);
    Object.assign(result, counts);
    logger.info({ table: table.name, ...counts }, 'table reconciled');
    return await finish(context, result, undefined, Date.now() - startedAtMs);
  } catch (error) {
    logger.error({ err: error, table: table.name }, 'table reconcile failed');
    return await finish(context, result, `reconcile failed: ${errorMessage(error)}`, Date.now() - startedAtMs);
  } finally {
    context.locks.release(target.databaseId, table.name);
  }
}

/** DuckDB types of key columns whose values a source point lookup matches exactly. */
const LOOKUP_SAFE_KEY_TYPE = /^(U?(TINYINT|SMALLINT|INTEGER|BIGINT)|VARCHAR)$/;

/** Says why a table cannot be compared key by key, or null when it can. */
async function unreconcilable(target: SyncTarget, table: SourceTable): Promise<{ message: string; status: 'error' | 'skipped' } | null> {
  if (table.key.kind === 'none') {
    return { status: 'skipped', message: 'not applicable: the table has no primary key or NOT NULL unique key; a full sync of the table repairs it' };
  }
  const plan = planTable(table);
  // Deleting a replica row rests on a point lookup at the source, and only integer and text key
  // values are known to bind back exactly; any other key type could miss its row and delete it.
  const unsafeKey = plan.columns.find((column) => plan.keyColumns.includes(column.name) && !LOOKUP_SAFE_KEY_TYPE.test(column.duckdbType));
  if (unsafeKey) {
    return {
      status: 'skipped',
      message: `not supported yet: key column ${unsafeKey.name} has type ${unsafeKey.sourceType}; reconcile handles integer and text keys, and a full sync of the table repairs it`,
    };
  }
  const state = await target.replica.withReader((reader) => readStoredTableState(reader, table.name));
  if (!state.liveExists) return { status: 'error', message: `table missing in the replica; sync it with POST /api/sync/table/${table.name}` };
  if (state.schemaHash !== plan.schemaHash) {
    return { status: 'error', message: `the source schema of the table changed since its last sync; sync it with POST /api/sync/table/${table.name} first` };
  }
  return null;
}

/** Records the table's outcome in progress and `_duckling.sync_log`. */
async function finish(
  context: ReconcileRunContext,
  result: TableReconcileResult,
  error: string | undefined,
  durationMs: number,
  status: 'success' | 'error' | 'skipped' = error === undefined ? 'success' : 'error',
): Promise<TableReconcileResult> {
  const { target } = context;
  if (error !== undefined) result.error = error;
  context.progress.phase(target.databaseId, result.table, error === undefined ? 'done' : 'error', error);
  // sync_log has two sync types, so a reconcile writes like a full load of the repaired rows.
  // TODO(sync-log): add a `reconcile` sync_type once SPEC 6.9 lists one — until then it logs as `sequential`.
  await target.replica.withWriter((writer) => insertSyncLog(writer, {
    runId: context.runId, tableName: result.table, syncType: 'sequential', trigger: context.options.trigger,
    recordsProcessed: result.rowsDeleted + result.rowsRepaired, rowsRead: 0, durationMs,
    status, errorMessage: error ?? null, valuesNulled: 0,
  }));
  return result;
}
