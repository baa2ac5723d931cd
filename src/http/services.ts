/**
 * Dependencies of the HTTP layer. The composition root (`src/app/`) builds them from the concrete
 * services. Routes see only these shapes, so they hold no SQL.
 */
import type { DatabaseHealth, HealthStatus } from '../api-types/index.js';
import type { AuditLog } from '../audit/index.js';
import type { AuthServices } from '../auth/index.js';
import type { BackupService } from '../backup/index.js';
import type { Config } from '../config/index.js';
import type { Logger } from '../logging/index.js';
import type { ErrorReporter } from '../observability/sentry.js';
import type { QueryService } from '../query/query-service.js';
import type { RateLimiter } from '../ratelimit/index.js';
import type { TableService } from '../query/table-service.js';
import type { Replica } from '../replica/index.js';
import type { DatabaseSyncSettings } from '../registry/index.js';
import type { RecoveryView, ScheduleView } from '../scheduler/index.js';
import type { SecurityFindings } from '../security/index.js';
import type { SourceDatabase, SourceEndpoint } from '../source/index.js';
import type {
  DatabaseSyncOptions,
  FullRunOptions,
  IncrementalRunOptions,
  SyncLogFilter,
  SyncLogPage,
  SyncProgress,
  SyncRunHandle,
  SyncTarget,
  TableSyncOptions,
  TableSyncResult,
} from '../sync/types.js';
import type { ReconcileOptions, ReconcileReport } from '../sync/reconcile-types.js';
import type { S3SettingsService } from '../backup/s3/s3-settings-service.js';
import type { S3BackupService } from '../backup/s3/s3-backup-service.js';

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
  /** The record's incremental settings (`sync.watermarkColumns`, `appendOnlyTables`, `lookbackSeconds`). */
  readonly syncOptions?: DatabaseSyncOptions;
  /** True while a restore swaps the replica file; requests then get 503 DUCKLING_DATABASE_RESTORING. */
  readonly restoring?: boolean;
}

export interface DatabaseDirectory {
  get(id: string): DatabaseHandle | undefined;
  list(): readonly DatabaseHandle[];
}

/**
 * Database state: `ready` (serving), `syncing` (a sync runs), `unavailable` (no replica) or
 * `source_error`. The last means the connection string cannot be used, or it reaches another
 * source than the one the replica was copied from.
 */
export type DatabaseStatus = 'ready' | 'syncing' | 'unavailable' | 'source_error';

/** One database in `GET /api/databases`: the record without its connection string. */
export interface DatabaseView {
  id: string;
  name: string;
  duckdbPath: string;
  createdAt: string;
  updatedAt: string;
  /** Parsed from the connection string, password left out; null when it cannot be parsed. */
  mysql: SourceEndpoint | null;
  sync: DatabaseSyncSettings;
  status: DatabaseStatus;
  /** Reason for the status `unavailable` or `source_error`. */
  error?: string;
}

/** Body of `POST /api/databases`. */
export interface NewDatabaseInput {
  name: string;
  mysqlConnectionString: string;
  sync?: DatabaseSyncSettings;
}

/** Body of `PUT /api/databases/:id`; absent fields keep their value. */
export interface DatabaseChanges {
  name?: string;
  mysqlConnectionString?: string;
  sync?: DatabaseSyncSettings;
}

/** Body of `POST /api/databases/:id/test`. */
export interface ConnectionTestResult {
  success: boolean;
  connections: { mysql: boolean; duckdb: boolean };
  details: { mysqlVersion: string | null; latencyMs: number | null; error?: string };
}

/** Runtime changes of the registry; each takes effect at once. */
export interface DatabaseAdminPort {
  describeAll(): Promise<DatabaseView[]>;
  create(input: NewDatabaseInput): Promise<DatabaseView>;
  update(id: string, changes: DatabaseChanges, options: { resync: boolean }): Promise<DatabaseView>;
  remove(id: string, options: { deleteFiles: boolean }): Promise<{ message: string }>;
  testConnection(id: string): Promise<ConnectionTestResult>;
}

export interface SyncPort {
  startFullRun(target: SyncTarget, options: FullRunOptions): SyncRunHandle;
  startIncrementalRun(target: SyncTarget, options: IncrementalRunOptions): SyncRunHandle;
  startReconcileRun(target: SyncTarget, options: ReconcileOptions): { runId: string; completion: Promise<ReconcileReport> };
  syncTable(target: SyncTarget, table: string, options: TableSyncOptions): Promise<TableSyncResult>;
  progress(databaseId: string): SyncProgress;
  onProgress(listener: (databaseId: string, progress: SyncProgress) => void): () => void;
  status(target: SyncTarget): Promise<Record<string, unknown>>;
  listSyncLogs(target: SyncTarget, filter: SyncLogFilter): Promise<SyncLogPage>;
  /** Drops every replicated table and clears the sync state; returns the dropped table names. */
  clearAll(target: Pick<SyncTarget, 'databaseId' | 'replica'>): Promise<string[]>;
}

/** Query execution and the governor's counters. */
export type QueryPort = Pick<QueryService, 'execute' | 'stream' | 'governorStats'>;

/** Reads behind the table routes. */
export type TablePort = Pick<TableService, 'listTables' | 'listTableDetails' | 'countAll' | 'schema' | 'page' | 'count'>;

export interface HealthPort {
  /** Health of every database, from a cache refreshed at most every few seconds. */
  check(): Promise<{ status: HealthStatus; databases: DatabaseHealth[] }>;
}

/** The sync scheduler and recovery behind `/api/automation/*` and the `schedule` field of the sync status. */
export interface AutomationPort {
  readonly isRunning: boolean;
  start(): void;
  stop(): void;
  describe(databaseId: string): ScheduleView;
  /** The database's scheduled reconciliation (`RECONCILE_INTERVAL_MINUTES`). */
  describeReconcile(databaseId: string): ScheduleView;
  /** The database's recovery syncs (`AUTO_RESTART`), as `autoRestart` of the automation status. */
  describeRecovery(databaseId: string): RecoveryView;
}

/** The `s3` block of each database behind `/api/databases/:id/s3`. */
export type S3SettingsPort = Pick<S3SettingsService, 'get' | 'put' | 'remove' | 'test'>;

/** S3 backups and restores behind `/api/backups/s3*`. */
export type S3BackupPort = Pick<S3BackupService, 'backupNow' | 'restore' | 'transferProgress' | 'describeAutomation'>;
/** Methods of the backup service that the backup routes call. */
export type BackupPort = Pick<BackupService, 'list' | 'createLocalBackup' | 'verify' | 'restoreLocal' | 'lastBackupAt'>;

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
  databaseAdmin: DatabaseAdminPort;
  sync: SyncPort;
  query: QueryPort;
  tables: TablePort;
  health: HealthPort;
  automation: AutomationPort;
  s3Settings: S3SettingsPort;
  s3Backups: S3BackupPort;
  /** Local backups, verification and restores; the S3 side registers its parts on it. */
  backups: BackupPort;
  audit: AuditLog;
  /** Charges every route with a rate-limit category; also backs the authentication-attempt guard. */
  rateLimiter: RateLimiter;
  /** Startup and run-time security findings. */
  security: SecurityFindings;
  /** Receives the errors behind 5xx responses; absent when Sentry is off. */
  errors?: ErrorReporter;
  /** Login, tokens, cookies, tickets, revocations and database keys. */
  auth: AuthServices;
  readiness(): Readiness;
}
