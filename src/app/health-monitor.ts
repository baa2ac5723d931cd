import type { DatabaseHealth, HealthStatus } from '../api-types/index.js';
import type { DatabaseDirectory, DatabaseHandle, HealthPort } from '../http/index.js';
import type { Logger } from '../logging/index.js';

/** Results are reused for this long, so callers of /health cannot load the sources. */
const CACHE_MS = 5_000;

/**
 * Checks each database on demand: the replica must answer `SELECT 1` and the source must answer a
 * ping. A replica that cannot answer makes the whole status `unhealthy`; a source that is down only
 * makes it `degraded`, because the replica still serves reads.
 */
export class HealthMonitor implements HealthPort {
  private cached: { atMs: number; value: { status: HealthStatus; databases: DatabaseHealth[] } } | null = null;
  private inFlight: Promise<{ status: HealthStatus; databases: DatabaseHealth[] }> | null = null;

  constructor(
    private readonly databases: DatabaseDirectory,
    private readonly logger: Logger,
  ) {}

  async check(): Promise<{ status: HealthStatus; databases: DatabaseHealth[] }> {
    if (this.cached && Date.now() - this.cached.atMs < CACHE_MS) return this.cached.value;
    this.inFlight ??= this.refresh().finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  private async refresh(): Promise<{ status: HealthStatus; databases: DatabaseHealth[] }> {
    const databases = await Promise.all(this.databases.list().map((handle) => this.checkDatabase(handle)));
    const value = { status: worstStatus(databases.map((database) => database.status)), databases };
    this.cached = { atMs: Date.now(), value };
    return value;
  }

  private async checkDatabase(handle: DatabaseHandle): Promise<DatabaseHealth> {
    const [duckdb, mysql] = await Promise.all([this.checkReplica(handle), this.checkSource(handle)]);
    let status: HealthStatus = 'healthy';
    if (duckdb === 'down') status = 'unhealthy';
    else if (mysql !== 'up') status = 'degraded';
    return { databaseId: handle.id, name: handle.name, status, services: { mysql, duckdb } };
  }

  private async checkReplica(handle: DatabaseHandle): Promise<'up' | 'down'> {
    if (!handle.replica) return 'down';
    try {
      await handle.replica.withReader((connection) => connection.run('SELECT 1'));
      return 'up';
    } catch (error) {
      this.logger.warn({ err: error, databaseId: handle.id }, 'replica health check failed');
      return 'down';
    }
  }

  private async checkSource(handle: DatabaseHandle): Promise<'up' | 'down' | 'unknown'> {
    if (!handle.source) return 'unknown';
    try {
      await handle.source.ping();
      return 'up';
    } catch (error) {
      this.logger.warn({ err: error, databaseId: handle.id }, 'source health check failed');
      return 'down';
    }
  }
}

function worstStatus(statuses: HealthStatus[]): HealthStatus {
  if (statuses.includes('unhealthy')) return 'unhealthy';
  if (statuses.includes('degraded')) return 'degraded';
  return 'healthy';
}
