import { errorMessage, isDucklingError } from '../errors/index.js';
import type { Logger } from '../logging/index.js';
import { readLastSuccessAt } from '../sync/sync-log.js';
import type { SyncOutcome } from '../sync/sync-service.js';
import type { IncrementalRunOptions, SyncRunHandle, SyncTarget } from '../sync/types.js';
import type { ScheduleDirectory, ScheduledDatabase } from './sync-scheduler.js';

/** A database counts as stale when no sync succeeded for max(2 × sync interval, this). */
export const MIN_STALE_WINDOW_MS = 30 * 60_000;
/** Back-off after the n-th failed attempt is min(2ⁿ s, this). */
const MAX_BACKOFF_MS = 60_000;

/** The sync service as recovery uses it. */
export interface RecoverySyncPort {
  startIncrementalRun(target: SyncTarget, options: IncrementalRunOptions): SyncRunHandle;
  /** Reads the source identity, so the pool opens a connection in place of lost ones; a mismatch halts the database. */
  verifySource(target: SyncTarget): Promise<'match' | 'unrecorded' | 'changed'>;
  onSyncOutcome(listener: (databaseId: string, outcome: SyncOutcome) => void): () => void;
}

/** The sync schedule as recovery reads it: recovery acts only while scheduled syncs happen. */
export interface RecoverySchedule {
  readonly syncScheduleActive: boolean;
  readonly intervalMs: number;
}

export interface RecoveryOptions {
  databases: ScheduleDirectory;
  sync: RecoverySyncPort;
  schedule: RecoverySchedule;
  logger: Logger;
  /** `AUTO_RESTART` with the health monitor on. */
  enabled: boolean;
  /** `MAX_RESTART_ATTEMPTS`. */
  maxAttempts: number;
  /** Clock in ms since the epoch; tests move it forward instead of waiting. */
  now?: () => number;
}

/**
 * Outcome of one `evaluate` call. Nothing was tried with `disabled` (AUTO_RESTART off), `inactive`
 * (no sync schedule), `fresh` (a sync succeeded within the window), `unusable` (no replica or
 * source), `waiting` (back-off, or a recovery sync still runs) and `exhausted` (all attempts used).
 * `skipped` means the database cannot sync now and no attempt was used. `failed` means the
 * reconnect failed and used an attempt. `started` means a recovery sync started.
 */
export type RecoveryStep = 'disabled' | 'inactive' | 'fresh' | 'unusable' | 'waiting' | 'exhausted' | 'skipped' | 'failed' | 'started';

/** `autoRestart` of `GET /api/automation/status`. */
export interface RecoveryView {
  enabled: boolean;
  restartAttempts: number;
  maxAttempts: number;
}

interface DatabaseRecovery {
  /** Newest successful sync seen, or when recovery first saw the database; ms since the epoch. */
  lastSuccessAtMs: number;
  attempts: number;
  nextAttemptAtMs: number;
  running: boolean;
  exhaustedLogged: boolean;
}

/**
 * Recovery syncs of the health monitor, while the sync schedule is active. A database whose last
 * successful sync is older than max(2 × interval, 30 min) gets a reconnect: a source identity read,
 * for which the mysql2 pool opens a connection in place of any it lost. Then a guarded incremental sync with trigger
 * `recovery` starts. There are at most `maxAttempts` attempts, with back-off min(2ⁿ s, 60 s) after
 * attempt n. A turn the database cannot take (another sync runs, its source changed, shutdown) is
 * a skip and uses no attempt. Any successful sync of the database, recovery or not, resets the count.
 */
export class Recovery {
  private readonly state = new Map<string, DatabaseRecovery>();
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly unsubscribe: () => void;

  constructor(private readonly options: RecoveryOptions) {
    this.logger = options.logger.child({ subsystem: 'recovery' });
    this.now = options.now ?? Date.now;
    this.unsubscribe = options.sync.onSyncOutcome((databaseId, outcome) => {
      if (outcome === 'success') this.recordSuccess(databaseId);
    });
  }

  get enabled(): boolean {
    return this.options.enabled;
  }

  /** Stale window in ms: max(2 × sync interval, 30 min). */
  get staleWindowMs(): number {
    return Math.max(2 * this.options.schedule.intervalMs, MIN_STALE_WINDOW_MS);
  }

  describe(databaseId: string): RecoveryView {
    return { enabled: this.options.enabled, restartAttempts: this.state.get(databaseId)?.attempts ?? 0, maxAttempts: this.options.maxAttempts };
  }

  /** Forgets a removed database. */
  remove(databaseId: string): void {
    this.state.delete(databaseId);
  }

  /** Stops listening to sync outcomes. */
  close(): void {
    this.unsubscribe();
  }

  /** Decides whether the database needs a recovery sync now, and starts it when it does. */
  async evaluate(databaseId: string): Promise<RecoveryStep> {
    if (!this.options.enabled) return 'disabled';
    if (!this.options.schedule.syncScheduleActive) return 'inactive';
    const database = this.options.databases.get(databaseId);
    if (!database?.replica || !database.source) return 'unusable';

    const state = await this.stateOf(database);
    if (this.now() - state.lastSuccessAtMs < this.staleWindowMs) return 'fresh';
    if (state.running || this.now() < state.nextAttemptAtMs) return 'waiting';
    if (state.attempts >= this.options.maxAttempts) {
      if (!state.exhaustedLogged) {
        state.exhaustedLogged = true;
        this.logger.error({ databaseId, attempts: state.attempts }, 'recovery gave up; the next successful sync resets the attempts');
      }
      return 'exhausted';
    }
    return this.attempt(database, state);
  }

  private async attempt(database: ScheduledDatabase, state: DatabaseRecovery): Promise<RecoveryStep> {
    const target: SyncTarget = {
      databaseId: database.id, replica: database.replica!, source: database.source!, excludedTables: database.excludedTables,
      ...(database.syncOptions ? { sync: database.syncOptions } : {}),
    };
    const logger = this.logger.child({ databaseId: database.id });
    const staleForMs = this.now() - state.lastSuccessAtMs;

    // Set during the reconnect too, so an evaluation meanwhile does not start a second attempt.
    state.running = true;
    let started = false;
    try {
      let identity: 'match' | 'unrecorded' | 'changed';
      try {
        identity = await this.options.sync.verifySource(target);
      } catch (error) {
        this.countAttempt(state);
        logger.warn({ err: error, attempt: state.attempts, maxAttempts: this.options.maxAttempts, retryInMs: state.nextAttemptAtMs - this.now() }, 'recovery reconnect failed');
        return 'failed';
      }
      if (identity === 'changed') {
        logger.warn({ reason: 'DUCKLING_SOURCE_CHANGED' }, 'recovery sync skipped');
        return 'skipped';
      }

      let run: SyncRunHandle;
      try {
        run = this.options.sync.startIncrementalRun(target, { trigger: 'recovery' });
      } catch (error) {
        logger.info({ reason: isDucklingError(error) ? error.code : 'error', detail: errorMessage(error) }, 'recovery sync skipped');
        return 'skipped';
      }

      started = true;
      this.countAttempt(state);
      logger.warn({ runId: run.runId, attempt: state.attempts, maxAttempts: this.options.maxAttempts, staleForMs }, 'recovery sync started');
      run.completion.then(
        (stats) => {
          state.running = false;
          logger.info({ runId: run.runId, failedTables: stats.failedTables }, 'recovery sync finished');
        },
        (error: unknown) => {
          state.running = false;
          logger.error({ err: error, runId: run.runId }, 'recovery sync failed');
        },
      );
      return 'started';
    } finally {
      if (!started) state.running = false;
    }
  }

  /** Uses one attempt and sets the back-off before the next: min(2ⁿ s, 60 s) after attempt n. */
  private countAttempt(state: DatabaseRecovery): void {
    state.attempts += 1;
    state.nextAttemptAtMs = this.now() + Math.min(2 ** state.attempts * 1000, MAX_BACKOFF_MS);
  }

  private recordSuccess(databaseId: string): void {
    const state = this.state.get(databaseId);
    if (!state) return;
    state.lastSuccessAtMs = Math.max(state.lastSuccessAtMs, this.now());
    if (state.attempts > 0) this.logger.info({ databaseId, attempts: state.attempts }, 'sync succeeded; recovery attempts reset');
    state.attempts = 0;
    state.nextAttemptAtMs = 0;
    state.exhaustedLogged = false;
  }

  /**
   * Returns the database's state. On first sight it starts from the newest successful `sync_log`
   * row. A database without one counts from now, so a new database is not stale at once.
   */
  private async stateOf(database: ScheduledDatabase): Promise<DatabaseRecovery> {
    const known = this.state.get(database.id);
    if (known) return known;

    let lastSuccessAtMs = this.now();
    try {
      const logged = await database.replica!.withReader((reader) => readLastSuccessAt(reader));
      if (logged !== null) lastSuccessAtMs = Math.min(logged, lastSuccessAtMs);
    } catch (error) {
      this.logger.warn({ err: error, databaseId: database.id }, 'reading the last successful sync failed; counting from now');
    }
    const created: DatabaseRecovery = { lastSuccessAtMs, attempts: 0, nextAttemptAtMs: 0, running: false, exhaustedLogged: false };
    // Another evaluation may have created it while the read ran.
    const raced = this.state.get(database.id);
    if (raced) return raced;
    this.state.set(database.id, created);
    return created;
  }
}
