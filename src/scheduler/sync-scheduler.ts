import { errorMessage, isDucklingError } from '../errors/index.js';
import type { Logger } from '../logging/index.js';
import type { Replica } from '../replica/index.js';
import type { SourceDatabase } from '../source/index.js';
import type { ReconcileOptions, ReconcileReport } from '../sync/reconcile-types.js';
import type { DatabaseSyncOptions, FullRunOptions, IncrementalRunOptions, SyncRunHandle, SyncTarget } from '../sync/types.js';
import { DatabaseTimers } from './database-timers.js';

/** Delay of the first scheduled run of the first database, so startup settles first. */
export const FIRST_RUN_DELAY_MS = 5_000;

/** One database as the scheduler reads it. The HTTP layer's `DatabaseHandle` has this shape. */
export interface ScheduledDatabase {
  readonly id: string;
  readonly replica: Replica | null;
  readonly source: SourceDatabase | null;
  readonly excludedTables: readonly string[];
  readonly syncOptions?: DatabaseSyncOptions;
}

export interface ScheduleDirectory {
  get(id: string): ScheduledDatabase | undefined;
  list(): readonly ScheduledDatabase[];
}

export interface ScheduleSyncPort {
  startFullRun(target: SyncTarget, options: FullRunOptions): SyncRunHandle;
  startIncrementalRun(target: SyncTarget, options: IncrementalRunOptions): SyncRunHandle;
  /** Needed only when `reconcileIntervalMs` is above 0. */
  startReconcileRun?(target: SyncTarget, options: ReconcileOptions): { runId: string; completion: Promise<ReconcileReport> };
  /**
   * Settles when the run holding the database's guard ends; null when none holds it. Without it,
   * a reconcile turn that meets a running sync is skipped.
   */
  whenRunEnds?(databaseId: string): Promise<void> | null;
}

export interface SchedulerOptions {
  databases: ScheduleDirectory;
  sync: ScheduleSyncPort;
  logger: Logger;
  /** Period between runs of one database; 0 disables the schedule. */
  intervalMs: number;
  /** Scheduled runs are incremental, else full. */
  incremental: boolean;
  /** Delay of the first run of database 0; tests shorten it. */
  firstRunDelayMs?: number;
  /** Period between scheduled reconciliations of one database; 0 or absent disables them. */
  reconcileIntervalMs?: number;
}

/** The schedule of one database as `GET /api/sync/status` and `/api/automation/status` show it. */
export interface ScheduleView {
  /** True while the scheduler runs and the interval is not 0. */
  enabled: boolean;
  intervalMinutes: number;
  /** Start of the last scheduled turn (ISO 8601), also of a skipped one. Null before the first turn. */
  lastRunAt: string | null;
  /** Due time of the next scheduled turn (ISO 8601). Null while the schedule is off. */
  nextRunAt: string | null;
}

/** A scheduled job: which run it starts and how its log lines name it. */
type JobKind = 'sync' | 'reconcile';

/**
 * Runs a sync of every database on a fixed period, and with `reconcileIntervalMs` a reconciliation
 * on its own period. Database i of N first runs at `firstRunDelay + i × interval ÷ N` after `start`
 * and then every interval, so the databases do not all read their sources at once. When another
 * run of a database is still going, the sync service rejects the new one, and the turn is skipped
 * and logged. A reconcile turn instead waits for that run to end and then starts. With a reconcile
 * interval that is a multiple of the sync interval, both timers fire together, so a skipped
 * reconcile turn would never run.
 */
export class SyncScheduler {
  private readonly syncTimers: DatabaseTimers;
  private readonly reconcileTimers: DatabaseTimers;
  private readonly logger: Logger;
  /** Databases whose reconcile turn waits for the end of a running sync. */
  private readonly deferredReconciles = new Set<string>();
  private running = false;

  constructor(private readonly options: SchedulerOptions) {
    this.logger = options.logger.child({ subsystem: 'scheduler' });
    this.syncTimers = new DatabaseTimers(options.intervalMs, (databaseId) => this.fire('sync', databaseId));
    this.reconcileTimers = new DatabaseTimers(this.reconcileIntervalMs, (databaseId) => this.fire('reconcile', databaseId));
  }

  /** True between `start` and `stop`, even when the interval is 0. */
  get isRunning(): boolean {
    return this.running;
  }

  get intervalMs(): number {
    return this.options.intervalMs;
  }

  get reconcileIntervalMs(): number {
    return this.options.reconcileIntervalMs ?? 0;
  }

  /** True while the scheduler runs with a sync interval above 0, so scheduled syncs happen. */
  get syncScheduleActive(): boolean {
    return this.running && this.options.intervalMs > 0;
  }

  /** Schedules every database of the directory; does nothing when already running. */
  start(): void {
    if (this.running) return;
    this.running = true;
    const databases = this.options.databases.list();
    this.armAll(this.syncTimers, this.options.intervalMs, databases);
    this.armAll(this.reconcileTimers, this.reconcileIntervalMs, databases);
    this.logger.info(
      { intervalMs: this.options.intervalMs, reconcileIntervalMs: this.reconcileIntervalMs, incremental: this.options.incremental, databases: databases.length },
      this.options.intervalMs > 0 ? 'scheduler started' : 'scheduler started with the schedule disabled',
    );
  }

  /** Cancels every timer. A run that has started continues to its end. */
  stop(): void {
    if (!this.running) return;
    this.running = false;
    this.syncTimers.clear();
    this.reconcileTimers.clear();
    this.logger.info('scheduler stopped');
  }

  /** Schedules a database added at runtime. Its first run comes after the first-run delay. */
  add(databaseId: string): void {
    if (!this.running) return;
    let added = false;
    for (const [timers, intervalMs] of [[this.syncTimers, this.options.intervalMs], [this.reconcileTimers, this.reconcileIntervalMs]] as const) {
      if (intervalMs <= 0 || timers.has(databaseId)) continue;
      timers.arm(databaseId, this.firstDelayMs());
      added = true;
    }
    if (added) this.logger.info({ databaseId }, 'database scheduled');
  }

  /** Unschedules a removed database. */
  remove(databaseId: string): void {
    const wasSync = this.syncTimers.remove(databaseId);
    const wasReconcile = this.reconcileTimers.remove(databaseId);
    if (wasSync || wasReconcile) this.logger.info({ databaseId }, 'database unscheduled');
  }

  /** Ids of the databases with a pending sync timer. */
  scheduledIds(): string[] {
    return this.syncTimers.ids();
  }

  describe(databaseId: string): ScheduleView {
    return {
      enabled: this.running && this.options.intervalMs > 0,
      intervalMinutes: this.options.intervalMs / 60_000,
      lastRunAt: this.syncTimers.lastTurn(databaseId),
      nextRunAt: this.syncTimers.nextTurn(databaseId),
    };
  }

  /** Describes the reconciliation schedule of one database, in the shape of the sync schedule. */
  describeReconcile(databaseId: string): ScheduleView {
    return {
      enabled: this.running && this.reconcileIntervalMs > 0,
      intervalMinutes: this.reconcileIntervalMs / 60_000,
      lastRunAt: this.reconcileTimers.lastTurn(databaseId),
      nextRunAt: this.reconcileTimers.nextTurn(databaseId),
    };
  }

  private firstDelayMs(): number {
    return this.options.firstRunDelayMs ?? FIRST_RUN_DELAY_MS;
  }

  private armAll(timers: DatabaseTimers, intervalMs: number, databases: readonly ScheduledDatabase[]): void {
    if (intervalMs <= 0) return;
    const spacingMs = intervalMs / Math.max(databases.length, 1);
    databases.forEach((database, index) => timers.arm(database.id, this.firstDelayMs() + Math.round(index * spacingMs)));
  }

  private fire(kind: JobKind, databaseId: string): void {
    if (!this.running) return;
    const database = this.options.databases.get(databaseId);
    if (!database) {
      this.remove(databaseId);
      return;
    }
    this.runOnce(kind, database);
  }

  /** Starts the run and logs its end. A database that cannot run now skips the turn, and the reason is logged. */
  private runOnce(kind: JobKind, database: ScheduledDatabase): void {
    // TODO(scheduler): skip incremental turns and reconcile tables under CDC — needs the CDC service's state per database.
    const logger = this.logger.child({ databaseId: database.id });
    let type = this.options.incremental ? 'incremental' : 'full';
    if (kind === 'reconcile') type = 'reconcile';
    const label = kind === 'reconcile' ? 'scheduled reconcile' : 'scheduled sync';
    if (!database.replica || !database.source) {
      logger.warn({ runType: type, reason: database.replica ? 'source not usable' : 'replica not open' }, `${label} skipped`);
      return;
    }

    const target: SyncTarget = {
      databaseId: database.id, replica: database.replica, source: database.source, excludedTables: database.excludedTables,
      ...(database.syncOptions ? { sync: database.syncOptions } : {}),
    };
    let run: { runId: string; completion: Promise<unknown> };
    try {
      run = this.startRun(kind, target);
    } catch (error) {
      // Another run of the database is going (manual, or the previous scheduled one), its source
      // changed, or the server shuts down.
      const reason = isDucklingError(error) ? error.code : 'error';
      if (kind === 'reconcile' && reason === 'DUCKLING_SYNC_IN_PROGRESS' && this.deferReconcile(database.id)) {
        logger.info({ runType: type, detail: errorMessage(error) }, `${label} deferred until the running sync ends`);
        return;
      }
      logger.info({ runType: type, reason, detail: errorMessage(error) }, `${label} skipped`);
      return;
    }

    logger.info({ runType: type, runId: run.runId }, `${label} started`);
    run.completion.then(
      (result) => logger.info({ runId: run.runId, ...summaryOf(result) }, `${label} finished`),
      (error: unknown) => logger.error({ err: error, runId: run.runId }, `${label} failed`),
    );
  }

  /**
   * Starts the database's reconcile turn again once the run that holds its guard ends. Returns
   * false when the sync port cannot report that end or no run holds the guard any more. At most
   * one deferred turn waits per database.
   */
  private deferReconcile(databaseId: string): boolean {
    if (this.deferredReconciles.has(databaseId)) return true;
    const runEnd = this.options.sync.whenRunEnds?.(databaseId);
    if (!runEnd) return false;

    this.deferredReconciles.add(databaseId);
    void runEnd.then(() => {
      this.deferredReconciles.delete(databaseId);
      // The scheduler stopped or the database was removed while the sync ran.
      if (!this.running || !this.reconcileTimers.has(databaseId)) return;
      this.fire('reconcile', databaseId);
    });
    return true;
  }

  private startRun(kind: JobKind, target: SyncTarget): { runId: string; completion: Promise<unknown> } {
    const { sync } = this.options;
    if (kind === 'reconcile') {
      if (!sync.startReconcileRun) throw new Error('the sync port has no startReconcileRun, so reconciliations cannot be scheduled');
      return sync.startReconcileRun(target, { trigger: 'schedule' });
    }
    return this.options.incremental
      ? sync.startIncrementalRun(target, { trigger: 'schedule' })
      : sync.startFullRun(target, { trigger: 'schedule' });
  }
}

/** Log fields of a finished run: failed and total tables of a sync, or repaired rows of a reconcile. */
function summaryOf(result: unknown): Record<string, unknown> {
  if (!result || typeof result !== 'object') return {};
  const fields = result as Partial<{ failedTables: number; durationMs: number; tables: Array<{ rowsDeleted?: number; rowsRepaired?: number; error?: string }> }>;
  if (fields.failedTables !== undefined) return { failedTables: fields.failedTables, durationMs: fields.durationMs };
  const tables = fields.tables ?? [];
  return {
    tables: tables.length,
    failedTables: tables.filter((table) => table.error !== undefined).length,
    rowsDeleted: tables.reduce((sum, table) => sum + (table.rowsDeleted ?? 0), 0),
    rowsRepaired: tables.reduce((sum, table) => sum + (table.rowsRepaired ?? 0), 0),
  };
}
