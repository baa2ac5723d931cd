/**
 * Request and response bodies of the HTTP API, shared by the server (`src/http/`) and the typed
 * client (`src/client/`). Sync and query bodies come from the domain contracts so the two sides
 * cannot drift apart.
 */
export type { SyncProgress, SyncRunStats, TableSyncResult, TableProgress } from '../sync/types.js';
export type { EncodedValue, ResultColumn } from '../query/types.js';
export type { TableDetail, TableSchema, TableSchemaColumn } from '../query/table-service.js';
export type { SyncLogEntry, SyncLogPage } from '../sync/types.js';
import type { EncodedValue, ResultColumn } from '../query/types.js';
import type { SyncProgress } from '../sync/types.js';

/** Body of every error response. */
export interface ErrorBody {
  success: false;
  statusCode: number;
  code: string;
  /** HTTP reason phrase, e.g. `Not Found`. */
  error: string;
  message: string;
  requestId: string;
  /** Field problems of a `DUCKLING_VALIDATION_FAILED` error. */
  details?: Array<{ field: string; message: string }>;
  [extra: string]: unknown;
}

export type QueryFormat = 'json' | 'ndjson' | 'csv';

/** Body of `POST /api/query`. */
export interface QueryRequestBody {
  sql: string;
  params?: unknown[] | Record<string, unknown>;
  format?: QueryFormat;
  rowFormat?: 'object' | 'array';
  maxRows?: number;
  timeoutMs?: number;
}

/** JSON response of `POST /api/query`. */
export type { JsonQueryBody as QueryResponseBody } from '../query/formats.js';

/** First line of an NDJSON query stream. */
export interface NdjsonMetaLine {
  type: 'meta';
  columns: ResultColumn[];
}

/** Last line of an NDJSON query stream that completed. */
export interface NdjsonEndLine {
  type: 'end';
  rowCount: number;
  truncated: boolean;
  durationMs: number;
}

/** Last line of an NDJSON query stream that failed after it started. */
export interface NdjsonErrorLine {
  type: 'error';
  code: string;
  message: string;
}

/** `POST /api/sync/full?async=true`. */
export interface SyncStartedBody {
  runId: string;
}

/** First message of `GET /api/sync/events`; later messages carry only `progress`. */
export interface SyncEventMessage {
  progress: SyncProgress;
  syncStatus?: Record<string, unknown>;
}

export type HealthStatus = 'healthy' | 'degraded' | 'unhealthy';

/** `/health` for anonymous callers. */
export interface PublicHealthBody {
  status: HealthStatus;
}

export interface DatabaseHealth {
  databaseId: string;
  name: string;
  status: HealthStatus;
  services: { mysql: 'up' | 'down' | 'unknown'; duckdb: 'up' | 'down' };
  /** Why the database is `degraded` while both services are up: its syncs are halted. */
  reason?: string;
}

/** `/health` for callers with the API key. */
export interface AdminHealthBody {
  status: HealthStatus;
  timestamp: string;
  version: string;
  uptime: number;
  databases: DatabaseHealth[];
  /** Counts of the security findings; `GET /api/security/findings` lists them. */
  security: { fatal: number; warnings: number };
}

export interface ReadyBody {
  ready: boolean;
  reasons?: string[];
}

export type DatabaseStatusEntry =
  | {
      databaseId: string;
      name: string;
      tables: { mysql: number | null; duckdb: number };
      lastSyncAt: string | null;
      fileSizeBytes: number | null;
    }
  | { databaseId: string; name: string; error: string };

/** `/status`. */
export interface StatusBody {
  uptime: number;
  version: string;
  nodeVersion: string;
  duckdbVersion: string;
  memory: { rssBytes: number; heapUsedBytes: number; heapTotalBytes: number; externalBytes: number };
  databases: DatabaseStatusEntry[];
  governor: Record<string, unknown>;
  /** Counts of the security findings. */
  security: { fatal: number; warnings: number };
}

/** Bodies of `GET /api/sync/validate` and the `/api/validation/*` routes. */
export type { MismatchedRange, TableValidation, ValidationReport, ValidationMode } from '../sync/validation/types.js';
/** Body of `POST /api/sync/reconcile`. */
export type { ReconcileReport, TableReconcileResult } from '../sync/reconcile-types.js';
