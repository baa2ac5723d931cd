/**
 * Dependencies of the HTTP layer. The composition root (`src/app/`) builds them from the concrete
 * services. Routes see only these shapes, so they hold no SQL.
 */
import type { DatabaseHealth, HealthStatus } from '../api-types/index.js';
import type { Config } from '../config/index.js';
import type { Logger } from '../logging/index.js';
import type { QueryService } from '../query/query-service.js';
import type { TableService } from '../query/table-service.js';
import type { Replica } from '../replica/index.js';
import type { SourceDatabase } from '../source/index.js';
import type {
  FullRunOptions,
  SyncLogFilter,
  SyncLogPage,
  SyncProgress,
  SyncRunHandle,
  SyncTarget,
  TableSyncOptions,
  TableSyncResult,
} from '../sync/types.js';

/** One configured database as the routes see it. */
export interface DatabaseHandle {
  readonly id: string;
  readonly name: string;
  /** `EXCLUDED_TABLES` merged with the record's `sync.excludedTables`. */
  readonly excludedTables: readonly string[];
  /** Null when the replica could not be opened; `unavailableReason` gives the cause. */
  readonly replica: Replica | null;
  readonly unavailableReason: string | null;
  /** Null when the connection string could not be used; `sourceError` gives the cause. */
  readonly source: SourceDatabase | null;
  readonly sourceError: Error | null;
}

export interface DatabaseDirectory {
  get(id: string): DatabaseHandle | undefined;
  list(): readonly DatabaseHandle[];
}

export interface SyncPort {
  startFullRun(target: SyncTarget, options: FullRunOptions): SyncRunHandle;
  syncTable(target: SyncTarget, table: string, options: TableSyncOptions): Promise<TableSyncResult>;
  progress(databaseId: string): SyncProgress;
  onProgress(listener: (databaseId: string, progress: SyncProgress) => void): () => void;
  status(target: SyncTarget): Promise<Record<string, unknown>>;
  listSyncLogs(target: SyncTarget, filter: SyncLogFilter): Promise<SyncLogPage>;
}

/** Query execution and the governor's counters. */
export type QueryPort = Pick<QueryService, 'execute' | 'stream' | 'governorStats'>;

/** Reads behind the table routes. */
export type TablePort = Pick<TableService, 'listTables' | 'listTableDetails' | 'countAll' | 'schema' | 'page' | 'count'>;

export interface HealthPort {
  /** Health of every database, from a cache refreshed at most every few seconds. */
  check(): Promise<{ status: HealthStatus; databases: DatabaseHealth[] }>;
}

export interface Readiness {
  ready: boolean;
  reasons: string[];
}

export interface HttpDependencies {
  config: Config;
  logger: Logger;
  version: string;
  /** `Date.now()` when the process started serving, for `uptime`. */
  startedAtMs: number;
  databases: DatabaseDirectory;
  sync: SyncPort;
  query: QueryPort;
  tables: TablePort;
  health: HealthPort;
  readiness(): Readiness;
}
