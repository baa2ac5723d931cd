/**
 * Contract between the query pipeline (query/, catalog/encode) and its callers (http/, cli/,
 * later the WebSocket and MySQL protocol servers).
 */
import type { Replica } from '../replica/index.js';

import type { EncodedValue } from '../catalog/encode.js';

export type { EncodedValue } from '../catalog/encode.js';

export interface ResultColumn {
  name: string;
  /** DuckDB type text, e.g. `DECIMAL(12,2)` or `TIMESTAMP WITH TIME ZONE`. */
  type: string;
}

export type QueryParams = unknown[] | Record<string, unknown> | undefined;

export interface QueryRequest {
  databaseId: string;
  replica: Replica;
  sql: string;
  params?: QueryParams;
  /** Row cap in force (already lowered by the caller's `maxRows`). */
  maxRows: number;
  /** Queue wait plus execution limit in ms; 0 disables. */
  timeoutMs: number;
  /** Aborted when the client disconnects; the running statement is interrupted. */
  signal?: AbortSignal;
  /** Who asked, for fairness and logs (username or key fingerprint). */
  principal: string;
  /** Internal reads (status, counts) are `high`; user queries `normal`. */
  priority?: 'high' | 'normal';
  /** Running queries the principal may hold in the governor, when lower than its default share. */
  maxRunning?: number;
  protocol: 'rest' | 'cli' | 'internal';
}

export interface QueryResult {
  columns: ResultColumn[];
  /** One array of encoded values per row, in column order. */
  rows: EncodedValue[][];
  rowCount: number;
  truncated: boolean;
  durationMs: number;
}
