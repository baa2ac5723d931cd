/**
 * Request and response bodies of the HTTP API, shared by the server (`src/http/`) and the typed
 * client (`src/client/`). Sync and query bodies come from the domain contracts so the two sides
 * cannot drift apart.
 */
export type { SyncProgress, SyncRunStats, TableSyncResult, TableProgress } from '../sync/types.js';
export type { EncodedValue, ResultColumn } from '../query/types.js';
export type { TableDetail, TableSchema, TableSchemaColumn } from '../query/table-service.js';
export type { SyncLogEntry, SyncLogPage } from '../sync/types.js';
export type { BackupListEntry, BackupManifest, VerifyCheck } from '../backup/index.js';
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
  /** `memory` or `redis` while healthy, `degraded` while Redis fails, `disabled` with `RATE_LIMIT_ENABLED=false`. */
  rateLimitStore: 'memory' | 'redis' | 'degraded' | 'disabled';
  rateLimit: RateLimitHealth;
}

/** Limiter state in the admin `/health` body. */
export interface RateLimitHealth {
  mode: 'enforce' | 'shadow';
  /** Redis failures since start. */
  storeErrors: number;
  /** Decisions since start; combinations that never occurred are left out. */
  decisions: Array<{
    category: 'auth' | 'monitoring' | 'read' | 'query' | 'write';
    tier: 'anonymous' | 'jwt' | 'apiKey';
    outcome: 'allowed' | 'blocked' | 'shadow_blocked';
    count: number;
  }>;
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

/** Body of `POST /api/login`. */
export interface LoginResponseBody {
  success: true;
  message: string;
  username: string;
  /** HS256 JWT; send it as `Authorization: Bearer <token>`. */
  token: string;
  /** `JWT_EXPIRES_IN` as configured, e.g. `1h`. */
  expiresIn: string;
  expiresAt: string;
}

export type AuthMethodName = 'api-key' | 'database-key' | 'jwt' | 'session';

/** Body of `GET /api/check-auth`. */
export type CheckAuthBody =
  | { authenticated: false; message: string }
  | { authenticated: true; username: string | null; authMethod: AuthMethodName };

/** Body of `GET /api/me`. */
export interface MeBody {
  /** The admin's name, or `api-key:<fingerprint>` / `database-key:<keyId>`. */
  username: string | null;
  authMethod: AuthMethodName;
  tier: 'jwt' | 'apiKey';
  /** `all`, or `database:<id>` for a database key. */
  scope: string;
  expiresAt: string | null;
}

/** Body of `POST /api/tickets`. */
export interface TicketBody {
  ticket: string;
  purpose: 'sse' | 'ws';
  db: string;
  expiresAt: string;
}

/** One database key as `GET /api/databases/:id/keys` lists it. */
export interface DatabaseKeyEntry {
  keyId: string;
  name: string;
  /** `dk_<id>_` and the key's first characters, to tell keys apart. */
  prefix: string;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
}

/** Body of `POST /api/databases/:id/keys`: the only response that shows the key. */
export interface CreatedDatabaseKeyBody {
  keyId: string;
  name: string;
  key: string;
  expiresAt: string | null;
}
