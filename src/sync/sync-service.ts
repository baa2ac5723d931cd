import { randomUUID } from 'node:crypto';
import type { Config } from '../config/index.js';
import { DucklingError } from '../errors/index.js';
import type { Logger } from '../logging/index.js';
import type { RetryPolicy } from '../source/index.js';
import { discoverTables } from './discovery.js';
import { runFullSync, type TableDrop } from './full-run.js';
import { chooseStrategy, runIncrementalSync, syncTableByStrategy } from './incremental-run.js';
import { ProgressBoard } from './progress.js';
import { runReconcile } from './reconcile-run.js';
import type { ReconcileOptions, ReconcileReport } from './reconcile-types.js';
import { readSyncStatus } from './status.js';
import { insertSyncLog, querySyncLogs } from './sync-log.js';
import { TableLocks } from './table-locks.js';
import type {
  FullRunOptions,
  IncrementalRunOptions,
  SyncLogFilter,
  SyncLogPage,
  SyncProgress,
  SyncRunHandle,
  SyncRunStats,
  SyncRunType,
  SyncTarget,
  TableSyncOptions,
  TableSyncResult,
} from './types.js';

/** How long `shutdown` waits for runs to reach their next flush. */
const SHUTDOWN_TIMEOUT_MS = 30_000;

interface ActiveRun {
  runId: string;
  type: SyncRunType | 'reconcile';
  completion: Promise<unknown>;
}

/**
 * Full, incremental and single-table syncs of every database: one run per database at a time,
 * one load per table at a time, progress and sync history.
 */
export class SyncService {
  private readonly config: Config;
  private readonly logger: Logger;
  private readonly runs = new Map<string, ActiveRun>();
  private readonly tableSyncs = new Set<Promise<unknown>>();
  private readonly locks = new TableLocks();
  private readonly tableSyncProgress = new Map<string, { runId: string; members: number }>();
  private readonly progressBoard = new ProgressBoard();
  private stopping = false;
  private readonly onTableDropped: ((drop: TableDrop) => void) | undefined;

  constructor(deps: { config: Config; logger: Logger; onTableDropped?: (drop: TableDrop) => void }) {
    this.config = deps.config;
    this.logger = deps.logger.child({ subsystem: 'sync' });
    this.onTableDropped = deps.onTableDropped;
  }

  /** Starts a full run in the background. Throws DUCKLING_SYNC_IN_PROGRESS (409) when a run of that database is running. */
  startFullRun(target: SyncTarget, options: FullRunOptions): SyncRunHandle {
    return this.startRun(target, 'full', (runId, logger) => runFullSync({
      runId, target, trigger: options.trigger, allowMassDrop: options.allowMassDrop ?? false,
      settings: this.config.sync, progress: this.progressBoard, locks: this.locks, logger,
      shouldStop: () => this.stopping, onTableDropped: this.onTableDropped,
    }));
  }

  /**
   * Starts an incremental run in the background: tables with a stored watermark merge their
   * changed rows, the others load fully. Throws DUCKLING_SYNC_IN_PROGRESS (409) when a run of
   * that database is running.
   */
  startIncrementalRun(target: SyncTarget, options: IncrementalRunOptions): SyncRunHandle {
    return this.startRun(target, 'incremental', (runId, logger) => runIncrementalSync({
      runId, target, trigger: options.trigger, allowMassDrop: options.allowMassDrop ?? false,
      settings: this.config.sync, progress: this.progressBoard, locks: this.locks, logger,
      shouldStop: () => this.stopping, retry: this.retryPolicy(), onTableDropped: this.onTableDropped,
    }));
  }

  /**
   * Starts a reconciliation in the background (SPEC 6.9): deletes replica rows whose keys are gone
   * at the source, copies missing rows and, with `content`, re-copies rows whose values differ.
   * Throws DUCKLING_SYNC_IN_PROGRESS (409) when a run of that database is running.
   */
  startReconcileRun(target: SyncTarget, options: ReconcileOptions): { runId: string; completion: Promise<ReconcileReport> } {
    // Progress has only the types full and incremental, so a reconcile reports as incremental, which it resembles.
    return this.startRun(target, 'reconcile', (runId, logger) => runReconcile({
      runId, target, options, progress: this.progressBoard, locks: this.locks, logger,
      shouldStop: () => this.stopping,
    }));
  }

  private startRun<T>(
    target: SyncTarget,
    type: SyncRunType | 'reconcile',
    run: (runId: string, logger: Logger) => Promise<T>,
  ): { runId: string; completion: Promise<T> } {
    this.assertAcceptingRuns(target.databaseId);
    this.assertNoRun(target.databaseId);
    const runId = randomUUID();
    const logger = this.logger.child({ databaseId: target.databaseId, runId });
    this.progressBoard.begin(target.databaseId, runId, type === 'reconcile' ? 'incremental' : type);
    const completion: Promise<T> = run(runId, logger).finally(() => {
      this.runs.delete(target.databaseId);
      this.progressBoard.end(target.databaseId, runId);
    });
    // The caller may start a run and never await it (async=true), and its failure is already logged.
    completion.catch(() => undefined);
    this.runs.set(target.databaseId, { runId, type, completion });
    return { runId, completion };
  }

  private assertNoRun(databaseId: string): void {
    const running = this.runs.get(databaseId);
    if (running) {
      throw new DucklingError('DUCKLING_SYNC_IN_PROGRESS', { runType: running.type, db: databaseId, runId: running.runId });
    }
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
    this.assertNoRun(target.databaseId);
    if (!this.locks.tryAcquire(target.databaseId, table)) {
      throw new DucklingError('DUCKLING_TABLE_LOCKED', { table, db: target.databaseId });
    }

    const work = this.runTableSync(target, table, options);
    this.tableSyncs.add(work);
    try {
      return await work;
    } finally {
      this.tableSyncs.delete(work);
      this.locks.release(target.databaseId, table);
    }
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
        shouldStop: () => this.stopping, retry: this.retryPolicy(),
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

  /** Stops runs at their next flush with their sessions resumable, and resolves within 30 s. */
  async shutdown(): Promise<void> {
    this.stopping = true;
    const pending = [...[...this.runs.values()].map((run) => run.completion), ...this.tableSyncs];
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
