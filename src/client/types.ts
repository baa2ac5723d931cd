/**
 * Bodies the client sends and receives. Most come from `src/api-types/`, which the server's routes
 * use too; the few below exist only on the client side.
 */
import type { SyncLogEntry } from '../api-types/index.js';

export type * from '../api-types/index.js';

/** Table counts of `GET /api/sync/status`; a count is null when its side could not be read. */
export interface SyncTableCounts {
  mysql: number | null;
  duckdb: number | null;
  synced: number | null;
  pending: number | null;
}

/** Body of `GET /api/sync/status`. */
export interface SyncStatusResponse {
  watermarks: Array<Record<string, unknown>>;
  recentLogs: SyncLogEntry[];
  tables: SyncTableCounts;
  timestamp: string;
  /** The database's scheduled sync; times are ISO 8601, null before the first turn or while the scheduler is stopped. */
  schedule: { enabled: boolean; intervalMinutes: number; lastRunAt: string | null; nextRunAt: string | null };
}

/** Query parameters of `GET /api/sync-logs`; the server defaults are limit 100 and offset 0. */
export interface SyncLogQuery {
  limit?: number;
  offset?: number;
  status?: 'success' | 'error' | 'skipped';
  table?: string;
}

/** One event of `GET /api/sync/events` with its JSON data parsed. */
export interface SyncEvent {
  /** SSE event name; `message` for the unnamed progress messages. */
  event: string;
  /** A `SyncEventMessage` for unnamed messages; named events carry their own shapes. */
  data: unknown;
}
