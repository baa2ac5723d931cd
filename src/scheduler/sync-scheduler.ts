import { errorMessage, isDucklingError } from '../errors/index.js';
import type { Logger } from '../logging/index.js';
import type { Replica } from '../replica/index.js';
import type { SourceDatabase } from '../source/index.js';
import type { DatabaseSyncOptions, FullRunOptions, IncrementalRunOptions, SyncRunHandle, SyncTarget } from '../sync/types.js';

/** Delay of the first scheduled run of the first database, so startup settles first. */
export const FIRST_RUN_DELAY_MS = 5_000;

/** Maximum delay of one `setTimeout` (2³¹ − 1 ms, about 24.8 days). A longer wait takes several timers. */
const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

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

interface DatabaseTimer {
  timer: NodeJS.Timeout;
  dueAtMs: number;
}

/**
 * Runs a sync of every database on a fixed period. Database i of N first runs at
 * `firstRunDelay + i × interval ÷ N` after `start` and then every interval, so the databases do not
 * all read their sources at once. When the previous run of a database is still going, the sync
 * service rejects the new one, and the turn is skipped and logged.
 */
export class SyncScheduler {
  private readonly timers = new Map<string, DatabaseTimer>();
  private readonly lastRunAt = new Map<string, string>();
  private readonly logger: Logger;
  private running = false;

  constructor(private readonly options: SchedulerOptions) {
    this.logger = options.logger.child({ subsystem: 'scheduler' });
  }

  /** True between `start` and `stop`, even when the interval is 0. */
  get isRunning(): boolean {
    return this.running;
  }

  get intervalMs(): number {
    return this.options.intervalMs;
  }

  /** Schedules every database of the directory; does nothing when already running. */
  start(): void {
    if (this.running) return;
    this.running = true;
    if (this.options.intervalMs <= 0) {
      this.logger.info({ intervalMs: 0 }, 'scheduler started with the schedule disabled');
      return;
    }

    const databases = this.options.databases.list();
    const spacingMs = this.options.intervalMs / Math.max(databases.length, 1);
    databases.forEach((database, index) => this.arm(database.id, this.firstDelayMs() + Math.round(index * spacingMs)));
    this.logger.info({ intervalMs: this.options.intervalMs, incremental: this.options.incremental, databases: databases.length }, 'scheduler started');
  }

  /** Cancels every timer. A run that has started continues to its end. */
  stop(): void {
    if (!this.running) return;
    this.running = false;
    for (const entry of this.timers.values()) clearTimeout(entry.timer);
    this.timers.clear();
    this.logger.info('scheduler stopped');
  }

  /** Schedules a database added at runtime. Its first run comes after the first-run delay. */
  add(databaseId: string): void {
    if (!this.running || this.options.intervalMs <= 0 || this.timers.has(databaseId)) return;
    this.arm(databaseId, this.firstDelayMs());
    this.logger.info({ databaseId }, 'database scheduled');
  }

  /** Unschedules a removed database. */
  remove(databaseId: string): void {
    const entry = this.timers.get(databaseId);
    if (entry) clearTimeout(entry.timer);
    this.timers.delete(databaseId);
    this.lastRunAt.delete(databaseId);
    if (entry) this.logger.info({ databaseId }, 'database unscheduled');
  }

  /** Ids of the databases with a pending timer. */
  scheduledIds(): string[] {
    return [...this.timers.keys()];
  }

  describe(databaseId: string): ScheduleView {
    const entry = this.timers.get(databaseId);
    return {
      enabled: this.running && this.options.intervalMs > 0,
      intervalMinutes: this.options.intervalMs / 60_000,
      lastRunAt: this.lastRunAt.get(databaseId) ?? null,
      nextRunAt: entry ? new Date(entry.dueAtMs).toISOString() : null,
    };
  }

  private firstDelayMs(): number {
    return this.options.firstRunDelayMs ?? FIRST_RUN_DELAY_MS;
  }

  private arm(databaseId: string, delayMs: number): void {
    this.armUntil(databaseId, Date.now() + delayMs);
  }

  private armUntil(databaseId: string, dueAtMs: number): void {
    const waitMs = Math.min(Math.max(dueAtMs - Date.now(), 0), MAX_TIMER_DELAY_MS);
    const timer = setTimeout(() => this.fire(databaseId, dueAtMs), waitMs);
    // A pending schedule must not keep the process alive on its own.
    timer.unref();
    this.timers.set(databaseId, { timer, dueAtMs });
  }

  private fire(databaseId: string, dueAtMs: number): void {
    this.timers.delete(databaseId);
    if (!this.running) return;

    // An interval longer than one timer's maximum delay takes several timers.
    if (Date.now() < dueAtMs) {
      this.armUntil(databaseId, dueAtMs);
      return;
    }

    const database = this.options.databases.get(databaseId);
    if (!database) {
      this.remove(databaseId);
      return;
    }

    // The next turn is counted from when this one was due, so a slow run does not shift the period.
    this.armUntil(databaseId, Math.max(dueAtMs + this.options.intervalMs, Date.now()));
    this.lastRunAt.set(databaseId, new Date().toISOString());
    this.runOnce(database);
  }

  /** Starts the run and logs its end. A database that cannot run now skips the turn, and the reason is logged. */
  private runOnce(database: ScheduledDatabase): void {
    // TODO(scheduler): skip incremental turns while CDC runs — needs the CDC service's state per database.
    const logger = this.logger.child({ databaseId: database.id });
    const type = this.options.incremental ? 'incremental' : 'full';
    if (!database.replica || !database.source) {
      logger.warn({ runType: type, reason: database.replica ? 'source not usable' : 'replica not open' }, 'scheduled sync skipped');
      return;
    }

    const target: SyncTarget = {
      databaseId: database.id, replica: database.replica, source: database.source, excludedTables: database.excludedTables,
      ...(database.syncOptions ? { sync: database.syncOptions } : {}),
    };
    let run: SyncRunHandle;
    try {
      run = this.options.incremental
        ? this.options.sync.startIncrementalRun(target, { trigger: 'schedule' })
        : this.options.sync.startFullRun(target, { trigger: 'schedule' });
    } catch (error) {
      // Another run of the database is going (manual, or the previous scheduled one), or the server shuts down.
      const reason = isDucklingError(error) ? error.code : 'error';
      logger.info({ runType: type, reason, detail: errorMessage(error) }, 'scheduled sync skipped');
      return;
    }

    logger.info({ runType: type, runId: run.runId }, 'scheduled sync started');
    run.completion.then(
      (stats) => logger.info({ runId: run.runId, failedTables: stats.failedTables, durationMs: stats.durationMs }, 'scheduled sync finished'),
      (error: unknown) => logger.error({ err: error, runId: run.runId }, 'scheduled sync failed'),
    );
  }
}
