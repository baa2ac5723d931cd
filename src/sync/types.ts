/**
 * Contract between the replication pipeline (source/, catalog/, sync/) and its callers (http/,
 * cli/, app/). Field names follow the product's JSON bodies.
 */
import type { Replica } from '../replica/index.js';
import type { SourceDatabase } from '../source/index.js';

export type SyncTrigger = 'manual' | 'schedule' | 'recovery' | 'cdc';
export type SyncRunType = 'full' | 'incremental';
/** Run types of progress: the sync runs plus reconciliation (`POST /api/sync/reconcile`). */
export type ProgressRunType = SyncRunType | 'reconcile';
export type TablePhase = 'pending' | 'loading' | 'swapping' | 'done' | 'error' | 'skipped';

export interface TableProgress {
  table: string;
  phase: TablePhase;
  rowsDone: number;
  rowsEstimated: number;
  rowsPerSecond: number;
}

/** Body of `GET /api/sync/progress` and of each `/api/sync/events` message. */
export interface SyncProgress {
  inProgress: boolean;
  runId: string | null;
  type: ProgressRunType | null;
  tablesCompleted: number;
  tablesTotal: number;
  currentTable: string | null;
  currentTables: string[];
  recordsProcessed: number;
  startedAt: string | null;
  lastError: string | null;
  tables: TableProgress[];
}

/** Result of one table within a run, and of `POST /api/sync/table/:table`. */
export interface TableSyncResult {
  table: string;
  recordsProcessed: number;
  durationMs: number;
  status: 'success' | 'error' | 'skipped';
  error?: string;
  syncType: 'sequential' | 'watermark';
  valuesNulled: number;
  /** Column name to the number of zero or partial dates stored as NULL. */
  nulled: Record<string, number>;
  schemaChange?: string;
  /** Watermark stored after a successful sync of a table that has one. */
  watermark?: WatermarkState;
  /** True when the load continued an interrupted session instead of starting over. */
  resumed?: boolean;
}

/** Body of a finished run (`POST /api/sync/full`). */
export interface SyncRunStats {
  runId: string;
  totalTables: number;
  successfulTables: number;
  failedTables: number;
  skippedTables: number;
  recordsProcessed: number;
  durationMs: number;
  valuesNulled: number;
  errors: string[];
  syncDetails: { sequential: number; watermark: number };
  tables: TableSyncResult[];
}

export interface SyncRunHandle {
  runId: string;
  /** Resolves with the stats when the run ends; rejects only when the run fails as a whole. */
  completion: Promise<SyncRunStats>;
  /**
   * Resolves once the run passed its checks (source identity, table discovery, mass-drop guard)
   * and planned its tables. Rejects with the run's error when the run fails before that.
   */
  started?: Promise<void>;
}

/** A table's stored watermark as the API shows it; `value` is exact source text. */
export interface WatermarkState {
  mode: 'timestamp' | 'id' | 'none';
  column: string | null;
  value: string | null;
  /** Key tuple of the row the value was read from, JSON-encoded as in `_duckling.watermarks`. */
  key: unknown;
}

/** Per-database incremental settings: the `sync` block of a `databases.json` record. */
export interface DatabaseSyncOptions {
  /** Table name to its watermark column: a DATETIME/TIMESTAMP column, or the single integer key for id mode. */
  watermarkColumns?: Readonly<Record<string, string>>;
  /** Tables read in id mode: rows with a key above the greatest key seen; updates are never seen. */
  appendOnlyTables?: readonly string[];
  /** Overrides `INCREMENTAL_LOOKBACK_SECONDS` for this database. */
  lookbackSeconds?: number;
}

/** One database to sync: its replica, its source and the tables it never syncs. */
export interface SyncTarget {
  databaseId: string;
  replica: Replica;
  source: SourceDatabase;
  /** `EXCLUDED_TABLES` merged with the database's own list; exact, case-sensitive names. */
  excludedTables: readonly string[];
  /** The database's own incremental settings; absent means the environment's defaults only. */
  sync?: DatabaseSyncOptions;
}

export interface FullRunOptions {
  trigger: SyncTrigger;
  /** Allows a run that drops more than half of the replica's tables. */
  allowMassDrop?: boolean;
}

export interface IncrementalRunOptions {
  trigger: SyncTrigger;
  /** Allows a run that drops more than half of the replica's tables. */
  allowMassDrop?: boolean;
}

/**
 * `auto` and `incremental` merge the changed rows when the table has a stored watermark, else
 * load it fully; `full` always loads it fully. Default `full`.
 */
export type TableSyncMode = 'auto' | 'full' | 'incremental';

export interface TableSyncOptions {
  trigger: SyncTrigger;
  mode?: TableSyncMode;
}

/** Filter and page of `GET /api/sync-logs`. */
export interface SyncLogFilter {
  limit: number;
  offset: number;
  status?: string;
  table?: string;
}

/** One `_duckling.sync_log` row as the API returns it; field names are the column names. */
export interface SyncLogEntry {
  id: string;
  run_id: string;
  table_name: string | null;
  sync_type: string;
  trigger: string;
  records_processed: number;
  rows_read: number;
  duration_ms: number;
  status: string;
  error_message: string | null;
  watermark_before: string | null;
  watermark_after: string | null;
  values_nulled: number;
  nulled_detail: Record<string, number> | null;
  schema_change: string | null;
  /** ISO-8601 UTC time. */
  created_at: string;
}

/** Body of `GET /api/sync-logs`. */
export interface SyncLogPage {
  success: true;
  logs: SyncLogEntry[];
  count: number;
  total: number;
  limit: number;
  offset: number;
}
