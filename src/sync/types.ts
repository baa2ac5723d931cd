/**
 * Contract between the replication pipeline (source/, catalog/, sync/) and its callers (http/,
 * cli/, app/). Field names follow the product's JSON bodies.
 */
export type SyncTrigger = 'manual' | 'schedule' | 'recovery' | 'cdc';
export type SyncRunType = 'full' | 'incremental';
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
  type: SyncRunType | null;
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
}
