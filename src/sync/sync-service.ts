import { randomUUID } from 'node:crypto';
import type { Config } from '../config/index.js';
import { DucklingError, errorMessage, isDucklingError } from '../errors/index.js';
import type { Logger } from '../logging/index.js';
import type { RetryPolicy } from '../source/index.js';
import { discoverTables } from './discovery.js';
import { runFullSync, type TableDrop } from './full-run.js';
import { chooseStrategy, runIncrementalSync, syncTableByStrategy } from './incremental-run.js';
import { ProgressBoard } from './progress.js';
import { DatabaseActivity } from './database-activity.js';
import { runReconcile } from './reconcile-run.js';
import type { ReconcileOptions, ReconcileReport } from './reconcile-types.js';
import { SourceGuard } from './source-guard.js';
import { clearReplica, clearSourceState } from './source-identity.js';
import { readSyncStatus } from './status.js';
import { insertSyncLog, querySyncLogs } from './sync-log.js';
import { TableLocks } from './table-locks.js';
import type {
  FullRunOptions,
  IncrementalRunOptions,
  ProgressRunType,
  SyncLogFilter,
  SyncLogPage,
  SyncProgress,
  SyncRunHandle,
  SyncRunStats,
  SyncRunType,
  SyncTarget,
  SyncTrigger,
  TableSyncOptions,
  TableSyncResult,
} from './types.js';

/** How long `shutdown` waits for runs to reach their next flush. */
const SHUTDOWN_TIMEOUT_MS = 30_000;

/** Result of a full, incremental or single-table sync: `success` when no table failed. */
export type SyncOutcome = 'success' | 'failure';
type OutcomeListener = (databaseId: string, outcome: SyncOutcome) => void;

/**
 * Full, incremental and single-table syncs of every database: one run per database at a time,
 * one load per table at a time, progress and sync history. Before each run it compares the
 * source's identity with the one the replica recorded, and halts the database on a mismatch.
 */
export class SyncService {
  private readonly config: Config;
  private readonly logger: Logger;
  private readonly activity = new DatabaseActivity();
  private readonly locks = new TableLocks();
  private readonly tableSyncProgress = new Map<string, { runId: string; members: number }>();
  private readonly progressBoard = new ProgressBoard();
  private readonly sourceGuard: SourceGuard;
  private readonly outcomeListeners = new Set<OutcomeListener>();
  private stopping = false;
  private readonly onTableDropped: ((drop: TableDrop) => void) | undefined;

  constructor(deps: { config: Config; logger: Logger; onTableDropped?: (drop: TableDrop) => void }) {
    this.config = deps.config;
    this.logger = deps.logger.child({ subsystem: 'sync' });
    this.sourceGuard = new SourceGuard(this.logger);
    this.onTableDropped = deps.onTableDropped;
  }

  /** Starts a full run in the background. Throws DUCKLING_SYNC_IN_PROGRESS (409) when a run of that database is running. */
  startFullRun(target: SyncTarget, options: FullRunOptions): SyncRunHandle {
    const planned = startSignal();
    const run = this.startRun(target, 'full', options.trigger, (runId, logger) => runFullSync({
      runId, target, trigger: options.trigger, allowMassDrop: options.allowMassDrop ?? false,
      settings: this.config.sync, progress: this.progressBoard, locks: this.locks, logger,
      shouldStop: () => this.shouldStop(target.databaseId), onTableDropped: this.onTableDropped, onTablesPlanned: planned.mark,
    }));
    return this.reportOutcome(target.databaseId, { ...run, started: planned.settle(run.completion) });
  }

  /**
   * Starts an incremental run in the background: tables with a stored watermark merge their
   * changed rows, the others load fully. Throws DUCKLING_SYNC_IN_PROGRESS (409) when a run of
   * that database is running.
   */
  startIncrementalRun(target: SyncTarget, options: IncrementalRunOptions): SyncRunHandle {
    const planned = startSignal();
    const run = this.startRun(target, 'incremental', options.trigger, (runId, logger) => runIncrementalSync({
      runId, target, trigger: options.trigger, allowMassDrop: options.allowMassDrop ?? false,
      settings: this.config.sync, progress: this.progressBoard, locks: this.locks, logger,
      shouldStop: () => this.shouldStop(target.databaseId), onTableDropped: this.onTableDropped, retry: this.retryPolicy(),
      onTablesPlanned: planned.mark,
    }));
    return this.reportOutcome(target.databaseId, { ...run, started: planned.settle(run.completion) });
  }

  /**
   * Calls `listener` when a full, incremental or single-table sync of any database ends. Returns
   * an unsubscribe function.
   */
  onSyncOutcome(listener: OutcomeListener): () => void {
    this.outcomeListeners.add(listener);
    return () => this.outcomeListeners.delete(listener);
  }

  private reportOutcome(databaseId: string, run: SyncRunHandle): SyncRunHandle {
    run.completion.then(
      (stats) => this.emitOutcome(databaseId, stats.failedTables === 0 ? 'success' : 'failure'),
      () => this.emitOutcome(databaseId, 'failure'),
    );
    return run;
  }

  private emitOutcome(databaseId: string, outcome: SyncOutcome): void {
    for (const listener of this.outcomeListeners) {
      try {
        listener(databaseId, outcome);
      } catch (error) {
        this.logger.error({ err: error, databaseId }, 'sync outcome listener failed');
      }
    }
  }

  /**
   * Starts a reconciliation in the background (SPEC 6.9): deletes replica rows whose keys are gone
   * at the source, copies missing rows and, with `content`, re-copies rows whose values differ.
   * Throws DUCKLING_SYNC_IN_PROGRESS (409) when a run of that database is running.
   */
  startReconcileRun(target: SyncTarget, options: ReconcileOptions): { runId: string; completion: Promise<ReconcileReport> } {
    return this.startRun(target, 'reconcile', options.trigger, (runId, logger) => runReconcile({
      runId, target, options, progress: this.progressBoard, locks: this.locks, logger,
      shouldStop: () => this.shouldStop(target.databaseId),
    }));
  }

  /**
   * Returns a promise that settles (never rejects) when the run holding the database's guard
   * ends, or null when no run holds it.
   */
  whenRunEnds(databaseId: string): Promise<void> | null {
    const completion = this.activity.runCompletion(databaseId);
    return completion ? completion.then(() => undefined, () => undefined) : null;
  }

  /**
   * Registers the run under the per-database guard and starts it after the source identity
   * check. A check that fails (changed or unreachable source) fails the run as a whole and writes
   * one `sync_log` row.
   */
  private startRun<T>(
    target: SyncTarget,
    type: ProgressRunType,
    trigger: SyncTrigger,
    run: (runId: string, logger: Logger) => Promise<T>,
  ): { runId: string; completion: Promise<T> } {
    this.assertAcceptingRuns(target.databaseId);
    this.activity.assertNoRun(target.databaseId);
    this.sourceGuard.assertNotHalted(target.databaseId);
    const runId = randomUUID();
    const logger = this.logger.child({ databaseId: target.databaseId, runId });
    this.progressBoard.begin(target.databaseId, runId, type);

    const checkedRun = async (): Promise<T> => {
      const startedAtMs = Date.now();
      let identity;
      try {
        ({ identity } = await this.sourceGuard.check(target));
      } catch (error) {
        logger.error({ err: error, runType: type }, 'sync run failed before it started');
        await writeRunFailure(target, { runId, trigger, syncType: type === 'incremental' ? 'watermark' : 'sequential', startedAtMs, error }, logger);
        throw error;
      }
      const result = await run(runId, logger);
      await this.sourceGuard.recordIfMissing(target, identity);
      return result;
    };
    const completion: Promise<T> = checkedRun().finally(() => this.progressBoard.end(target.databaseId, runId));
    // The caller may start a run and never await it (async=true), and its failure is already logged.
    completion.catch(() => undefined);
    this.activity.addRun(target.databaseId, { runId, type, completion });
    return { runId, completion };
  }

  private retryPolicy(): RetryPolicy {
    const { maxRetries, retryBaseDelayMs, retryMaxDelayMs } = this.config.mysql;
    return { maxRetries, baseDelayMs: retryBaseDelayMs, maxDelayMs: retryMaxDelayMs };
  }

  /**
   * Syncs one table: mode `full` (the default) loads it fully, `auto` and `incremental` merge its
   * changed rows when it has a stored watermark and load it fully otherwise. Throws 404
   * DUCKLING_TABLE_NOT_FOUND when the table is not in the filtered source list, and 409
   * DUCKLING_TABLE_LOCKED or DUCKLING_SYNC_IN_PROGRESS.
   */
  async syncTable(target: SyncTarget, table: string, options: TableSyncOptions): Promise<TableSyncResult> {
    this.assertAcceptingRuns(target.databaseId);
    this.activity.assertNoRun(target.databaseId);
    this.sourceGuard.assertNotHalted(target.databaseId);
    if (!this.locks.tryAcquire(target.databaseId, table)) {
      throw new DucklingError('DUCKLING_TABLE_LOCKED', { table, db: target.databaseId });
    }

    const work = this.checkedTableSync(target, table, options);
    this.activity.addTableSync(target.databaseId, work);
    try {
      const result = await work;
      this.emitOutcome(target.databaseId, result.status === 'success' ? 'success' : 'failure');
      return result;
    } catch (error) {
      this.emitOutcome(target.databaseId, 'failure');
      throw error;
    } finally {
      this.locks.release(target.databaseId, table);
    }
  }

  private async checkedTableSync(target: SyncTarget, table: string, options: TableSyncOptions): Promise<TableSyncResult> {
    const { identity } = await this.sourceGuard.check(target);
    const result = await this.runTableSync(target, table, options);
    if (result.status === 'success') await this.sourceGuard.recordIfMissing(target, identity);
    return result;
  }

  private async runTableSync(target: SyncTarget, table: string, options: TableSyncOptions): Promise<TableSyncResult> {
    const runId = randomUUID();
    const logger = this.logger.child({ databaseId: target.databaseId, runId });
    const startedAtMs = Date.now();
    let sourceTable;
    try {
      const tables = await discoverTables(target);
      sourceTable = tables.find((candidate) => candidate.name === table);
    } catch (error) {
      logger.error({ err: error, table }, 'table sync failed');
      await target.replica.withWriter((writer) => insertSyncLog(writer, {
        runId, tableName: table, syncType: 'sequential', trigger: options.trigger, recordsProcessed: 0, rowsRead: 0,
        durationMs: Date.now() - startedAtMs, status: 'error', errorMessage: (error as Error).message, valuesNulled: 0,
      }));
      throw error;
    }
    if (!sourceTable) {
      const hint = target.excludedTables.includes(table)
        ? ': it is excluded by EXCLUDED_TABLES or the database\'s excludedTables'
        : ': it is not a base table of the source schema; check the spelling and case of the name';
      throw new DucklingError('DUCKLING_TABLE_NOT_FOUND', { table, db: target.databaseId, hint });
    }

    const mode = options.mode ?? 'full';
    const strategy = mode === 'full'
      ? { kind: 'full' as const, reason: 'mode full' }
      : await chooseStrategy(target, sourceTable, this.config.sync);
    const progressRunId = this.joinProgress(target.databaseId, runId, strategy.kind === 'full' ? 'full' : 'incremental');
    this.progressBoard.plan(target.databaseId, [{ name: sourceTable.name, estimatedRows: strategy.kind === 'merge' ? 0 : sourceTable.estimatedRows }]);
    try {
      return await syncTableByStrategy({
        runId, target, trigger: options.trigger, settings: this.config.sync, progress: this.progressBoard, logger,
        shouldStop: () => this.shouldStop(target.databaseId), retry: this.retryPolicy(),
      }, sourceTable, strategy);
    } finally {
      this.leaveProgress(target.databaseId, progressRunId);
    }
  }

  /**
   * Single-table syncs of one database share one progress run, which the first of them begins
   * and the last of them ends. Returns the id of that progress run.
   */
  private joinProgress(databaseId: string, runId: string, type: SyncRunType): string {
    const shared = this.tableSyncProgress.get(databaseId);
    if (shared) {
      shared.members += 1;
      return shared.runId;
    }
    this.tableSyncProgress.set(databaseId, { runId, members: 1 });
    this.progressBoard.begin(databaseId, runId, type);
    return runId;
  }

  private leaveProgress(databaseId: string, runId: string): void {
    const shared = this.tableSyncProgress.get(databaseId);
    if (!shared || shared.runId !== runId) return;
    shared.members -= 1;
    if (shared.members > 0) return;
    this.tableSyncProgress.delete(databaseId);
    this.progressBoard.end(databaseId, runId);
  }

  progress(databaseId: string): SyncProgress {
    return this.progressBoard.snapshot(databaseId);
  }

  /** Listener called on each progress change (the SSE route throttles to 4/s itself). Returns an unsubscribe function. */
  onProgress(listener: (databaseId: string, progress: SyncProgress) => void): () => void {
    return this.progressBoard.subscribe((databaseId, progress) => {
      try {
        listener(databaseId, progress);
      } catch (error) {
        this.logger.error({ err: error, databaseId }, 'progress listener failed');
      }
    });
  }

  /** Builds the body of GET /api/sync/status without `schedule` and `cdc`. `tables.mysql` is null while the source is down. */
  status(target: SyncTarget): Promise<Record<string, unknown>> {
    return readSyncStatus(target, this.logger.child({ databaseId: target.databaseId }));
  }

  /** Body of GET /api/sync-logs, newest first. */
  async listSyncLogs(target: SyncTarget, filter: SyncLogFilter): Promise<SyncLogPage> {
    const { logs, total } = await target.replica.withReader((reader) => querySyncLogs(reader, filter));
    return { success: true, logs, count: logs.length, total, limit: filter.limit, offset: filter.offset };
  }

  /**
   * Stops the database's run and single-table syncs at their next flush and waits for them, at
   * most `timeoutMs`. Returns true when nothing of the database runs any more. Work that is still
   * running at the timeout stops at its next flush all the same.
   */
  async stopDatabase(databaseId: string, timeoutMs: number): Promise<boolean> {
    const pending = this.activity.requestStop(databaseId);
    if (pending.length === 0) return true;
    this.logger.info({ databaseId, runs: pending.length }, 'stopping the syncs of a database at their next flush');

    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const outcome = await Promise.race([Promise.allSettled(pending).then(() => 'stopped' as const), timeout]);
    clearTimeout(timer);
    if (outcome === 'timeout') this.logger.warn({ databaseId, timeoutMs }, 'syncs of the database did not stop in time');
    return outcome === 'stopped';
  }

  /**
   * Checks the source identity of a database outside any run, at start or after a reconnect: a
   * mismatch halts the database's syncs (409 DUCKLING_SOURCE_CHANGED). Returns `changed` then,
   * `unrecorded` when the replica has no identity yet, else `match`. Source errors propagate.
   */
  async verifySource(target: SyncTarget): Promise<'match' | 'unrecorded' | 'changed'> {
    try {
      const { recorded } = await this.sourceGuard.check(target);
      return recorded ? 'match' : 'unrecorded';
    } catch (error) {
      if (isDucklingError(error) && error.code === 'DUCKLING_SOURCE_CHANGED') return 'changed';
      throw error;
    }
  }

  /** Lifts the source halt of a database whose connection string now reaches its recorded source. */
  releaseSourceHalt(databaseId: string): void {
    this.sourceGuard.release(databaseId);
  }

  /** Returns the identity difference that halted the database's syncs, or null when they are not halted. */
  sourceHalt(databaseId: string): string | null {
    return this.sourceGuard.haltReason(databaseId);
  }

  /**
   * Forgets the replica's source (recorded identity, watermarks and sync sessions) so the next
   * sync reloads every table from the current source, and lifts a source halt. Throws 409
   * DUCKLING_SYNC_IN_PROGRESS while a sync of the database runs.
   */
  async resync(target: Pick<SyncTarget, 'databaseId' | 'replica'>): Promise<void> {
    await this.underGuard(target.databaseId, () => clearSourceState(target.replica));
    this.sourceGuard.release(target.databaseId);
  }

  /**
   * Drops every replicated table, clears watermarks, sync sessions and the recorded source
   * identity, and lifts a source halt (`DELETE /api/sync/clear-all`). Returns the dropped tables.
   * Throws 409 DUCKLING_SYNC_IN_PROGRESS while a sync of the database runs.
   * TODO(cdc): also stop CDC and clear its position once the CDC service exists.
   */
  async clearAll(target: Pick<SyncTarget, 'databaseId' | 'replica'>): Promise<string[]> {
    const dropped = await this.underGuard(target.databaseId, () => clearReplica(target.replica));
    this.sourceGuard.release(target.databaseId);
    this.logger.info({ databaseId: target.databaseId, tablesDropped: dropped.length }, 'replica cleared');
    return dropped;
  }

  /** Runs `work` while holding the per-database guard, so no sync starts meanwhile. */
  private underGuard<T>(databaseId: string, work: () => Promise<T>): Promise<T> {
    this.assertAcceptingRuns(databaseId);
    this.activity.assertIdle(databaseId);
    const completion = work();
    this.activity.addRun(databaseId, { runId: 'clear-all', type: 'clear-all', completion });
    return completion;
  }

  private shouldStop(databaseId: string): boolean {
    return this.stopping || this.activity.isStopping(databaseId);
  }

  /** Stops runs at their next flush with their sessions resumable, and resolves within 30 s. */
  async shutdown(): Promise<void> {
    this.stopping = true;
    const pending = this.activity.allPending();
    if (pending.length === 0) return;
    this.logger.info({ runs: pending.length }, 'stopping syncs at their next flush');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), SHUTDOWN_TIMEOUT_MS);
    });
    const outcome = await Promise.race([Promise.allSettled(pending).then(() => 'stopped' as const), timeout]);
    clearTimeout(timer);
    if (outcome === 'timeout') this.logger.warn({ timeoutMs: SHUTDOWN_TIMEOUT_MS }, 'syncs still running at shutdown timeout');
    else this.logger.info('syncs stopped');
  }

  private assertAcceptingRuns(databaseId: string): void {
    if (this.stopping) {
      throw new DucklingError('DUCKLING_NOT_READY', { detail: `shutting down; no new sync of database "${databaseId}" starts` });
    }
  }
}

/** Writes the single `sync_log` row of a run that failed before its first table; a write failure is only logged. */
async function writeRunFailure(
  target: SyncTarget,
  run: { runId: string; trigger: SyncTrigger; syncType: 'sequential' | 'watermark'; startedAtMs: number; error: unknown },
  logger: Logger,
): Promise<void> {
  try {
    await target.replica.withWriter((writer) => insertSyncLog(writer, {
      runId: run.runId, tableName: null, syncType: run.syncType, trigger: run.trigger, recordsProcessed: 0, rowsRead: 0,
      durationMs: Date.now() - run.startedAtMs, status: 'error', errorMessage: errorMessage(run.error), valuesNulled: 0,
    }));
  } catch (logError) {
    logger.error({ err: logError }, 'writing the sync_log error row failed');
  }
}

/**
 * Creates the `started` promise of a run handle. `mark` resolves it when the run planned its
 * tables, and `settle` also settles it with the run's end, so a run that fails before planning
 * rejects it.
 */
function startSignal(): { mark: () => void; settle: (completion: Promise<unknown>) => Promise<void> } {
  let mark: () => void = () => undefined;
  const planned = new Promise<void>((resolve) => {
    mark = resolve;
  });
  return {
    mark: () => mark(),
    settle: (completion) => {
      const started = Promise.race([planned, completion.then(() => undefined)]);
      // Callers that wait for the whole run never read `started`, and its failure is the run's.
      started.catch(() => undefined);
      return started;
    },
  };
}
