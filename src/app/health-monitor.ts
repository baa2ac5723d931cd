import type { DatabaseHealth, HealthStatus } from '../api-types/index.js';
import type { DatabaseDirectory, DatabaseHandle, HealthPort } from '../http/index.js';
import type { Logger } from '../logging/index.js';
import type { SyncProgress } from '../sync/types.js';

/** Results are reused for this long, so callers of /health cannot load the sources. */
const CACHE_MS = 5_000;
/** A replica or source that does not respond to a check within this time counts as down. */
export const CHECK_TIMEOUT_MS = 5_000;

type HealthResult = { status: HealthStatus; databases: DatabaseHealth[] };

export interface HealthMonitorOptions {
  databases: DatabaseDirectory;
  logger: Logger;
  /** Sync progress per database: a database that syncs is not checked, and keeps its last result. */
  syncActivity: {
    progress(databaseId: string): SyncProgress;
    /** The identity difference that halted the database's syncs, or null when they are not halted. */
    sourceHalt?(databaseId: string): string | null;
  };
  /** The backup or restore running on a database, or null; a database busy with one is not checked either. */
  backupActivity?: (databaseId: string) => string | null;
  /** Period of the background checks in ms (`HEALTH_CHECK_INTERVAL`); 0 checks on demand only. */
  intervalMs: number;
  /** Called for each database checked by a background round, after its check; recovery hooks in here. */
  afterCheck?: (databaseId: string) => Promise<unknown>;
  /** Timeout of one check in ms; tests shorten it. */
  checkTimeoutMs?: number;
}

/**
 * Checks each database: the replica must return `SELECT 1` and the source must reply to a ping,
 * each within 5 s. A replica that cannot answer makes the whole status `unhealthy`; a source that is
 * down only makes it `degraded`, because the replica still serves reads. With an interval above 0
 * a background round refreshes the cache every interval; `/health` refreshes it on demand when it
 * is older than 5 s.
 */
export class HealthMonitor implements HealthPort {
  private cached: { atMs: number; value: HealthResult } | null = null;
  private readonly lastByDatabase = new Map<string, DatabaseHealth>();
  private inFlight: Promise<HealthResult> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private round: Promise<void> | null = null;
  private readonly logger: Logger;

  constructor(private readonly options: HealthMonitorOptions) {
    this.logger = options.logger.child({ subsystem: 'health' });
  }

  async check(): Promise<HealthResult> {
    if (this.cached && Date.now() - this.cached.atMs < CACHE_MS) return this.cached.value;
    return this.refresh();
  }

  /** Starts the background rounds; does nothing when the interval is 0 or they already run. */
  start(): void {
    if (this.options.intervalMs <= 0 || this.timer) return;
    this.logger.info({ intervalMs: this.options.intervalMs }, 'health monitor started');
    this.schedule();
  }

  /** Stops the background rounds and waits for a round in progress. */
  async stop(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
      this.logger.info('health monitor stopped');
    }
    await this.round;
  }

  /** Checks every database, then calls `afterCheck` for each; one background round, also called by tests. */
  async runRound(): Promise<void> {
    const result = await this.refresh();
    for (const database of result.databases) {
      if (this.isSyncing(database.databaseId)) continue;
      try {
        await this.options.afterCheck?.(database.databaseId);
      } catch (error) {
        this.logger.error({ err: error, databaseId: database.databaseId }, 'health follow-up failed');
      }
    }
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      this.round = this.runRound()
        .catch((error: unknown) => this.logger.error({ err: error }, 'health check round failed'))
        .finally(() => {
          this.round = null;
          if (this.timer) this.schedule();
        });
    }, this.options.intervalMs);
    // A pending round must not keep the process alive on its own.
    this.timer.unref();
  }

  /** Checks every database once; concurrent callers share one refresh. */
  private refresh(): Promise<HealthResult> {
    this.inFlight ??= this.checkAll().finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  private async checkAll(): Promise<HealthResult> {
    const handles = this.options.databases.list();
    const databases = await Promise.all(handles.map((handle) => this.checkDatabase(handle)));
    for (const id of this.lastByDatabase.keys()) {
      if (!handles.some((handle) => handle.id === id)) this.lastByDatabase.delete(id);
    }
    const value = { status: worstStatus(databases.map((database) => database.status)), databases };
    this.cached = { atMs: Date.now(), value };
    return value;
  }

  private async checkDatabase(handle: DatabaseHandle): Promise<DatabaseHealth> {
    // The monitor leaves a syncing database alone, because the sync itself reports source failures.
    const previous = this.lastByDatabase.get(handle.id);
    if (previous && this.isSyncing(handle.id)) return previous;

    const [duckdb, mysql] = await Promise.all([this.checkReplica(handle), this.checkSource(handle)]);
    let status: HealthStatus = 'healthy';
    if (duckdb === 'down') status = 'unhealthy';
    else if (mysql !== 'up') status = 'degraded';
    const health: DatabaseHealth = { databaseId: handle.id, name: handle.name, status, services: { mysql, duckdb } };

    // A replica whose source changed identity still serves reads, but no sync refreshes it.
    const halt = this.options.syncActivity.sourceHalt?.(handle.id) ?? null;
    if (halt !== null) {
      if (health.status === 'healthy') health.status = 'degraded';
      health.reason = `syncs are halted because the source differs from the one the replica was copied from (${halt}); ` +
        `resync with PUT /api/databases/${handle.id}?resync=true or DELETE /api/sync/clear-all?db=${handle.id}`;
    }
    this.lastByDatabase.set(handle.id, health);
    return health;
  }

  /** True while the database syncs, backs up or restores: a check then would only measure that work. */
  private isSyncing(databaseId: string): boolean {
    if (this.options.syncActivity.progress(databaseId).inProgress) return true;
    return (this.options.backupActivity?.(databaseId) ?? null) !== null;
  }

  private async checkReplica(handle: DatabaseHandle): Promise<'up' | 'down'> {
    if (!handle.replica) return 'down';
    const replica = handle.replica;
    try {
      await this.withTimeout(replica.withReader((connection) => connection.run('SELECT 1')), 'replica');
      return 'up';
    } catch (error) {
      this.logger.warn({ err: error, databaseId: handle.id }, 'replica health check failed');
      return 'down';
    }
  }

  private async checkSource(handle: DatabaseHandle): Promise<'up' | 'down' | 'unknown'> {
    if (!handle.source) return 'unknown';
    const source = handle.source;
    try {
      await this.withTimeout(source.ping(), 'source');
      return 'up';
    } catch (error) {
      this.logger.warn({ err: error, databaseId: handle.id }, 'source health check failed');
      return 'down';
    }
  }

  /** Rejects when `work` does not settle within the check timeout. The work itself continues and its result is dropped. */
  private async withTimeout<T>(work: Promise<T>, side: string): Promise<T> {
    const timeoutMs = this.options.checkTimeoutMs ?? CHECK_TIMEOUT_MS;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`${side} check timed out after ${timeoutMs} ms`)), timeoutMs);
    });
    work.catch(() => undefined);
    try {
      return await Promise.race([work, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}

function worstStatus(statuses: HealthStatus[]): HealthStatus {
  if (statuses.includes('unhealthy')) return 'unhealthy';
  if (statuses.includes('degraded')) return 'degraded';
  return 'healthy';
}
