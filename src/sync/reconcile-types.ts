import type { SyncTrigger } from './types.js';

export interface ReconcileOptions {
  trigger: SyncTrigger;
  /** Reconciles only this table; otherwise every keyed source table. */
  table?: string;
  /** Also re-copies rows whose values differ, not only missing and deleted keys. */
  content?: boolean;
}

/** Result of one table in `POST /api/sync/reconcile`. */
export interface TableReconcileResult {
  table: string;
  /** Chunks of `CHECKSUM_CHUNK_ROWS` source keys compared. */
  chunks: number;
  /** Chunks that needed a repair. */
  mismatchedChunks: number;
  /** Replica rows deleted because their key is absent at the source. */
  rowsDeleted: number;
  /** Rows copied from the source: missing keys, and with `content` rows whose values differed. */
  rowsRepaired: number;
  /** Why the table was not reconciled or stopped part way (earlier chunks stay repaired). */
  error?: string;
}

/** Body of `POST /api/sync/reconcile`. */
export interface ReconcileReport {
  runId: string;
  tables: TableReconcileResult[];
}
