import type { DuckDBConnection } from '@duckdb/node-api';
import type { SourceSnapshot } from '../source/index.js';
import { decodeTuple, encodeTuple } from './key-codec.js';
import { dropMainTable } from './staging.js';

export type SnapshotPosition = SourceSnapshot['position'];
export type SessionStatus = 'loading' | 'swapping' | 'abandoned';

/** The greatest `(watermark value, key)` pair read so far, as exact source text and key tuple. */
export interface WatermarkMark {
  value: string;
  key: unknown[];
}

/** One row of `_duckling.full_sync_sessions`: the resumable state of a table's load. */
export interface LoadSession {
  tableName: string;
  runId: string;
  status: SessionStatus;
  stagingTable: string;
  schemaHash: string;
  keyColumns: string[];
  /** Key of the last row flushed to staging, or null before the first flush. */
  cursor: unknown[] | null;
  rowsLoaded: number;
  snapshotPosition: SnapshotPosition;
  watermarkMax: WatermarkMark | null;
  nulledDetail: Record<string, number>;
  reasons: string | null;
}

/** Inserts or replaces the session row of `session.tableName`. */
export async function saveSession(connection: DuckDBConnection, session: LoadSession): Promise<void> {
  await connection.run(
    `INSERT INTO _duckling.full_sync_sessions
       (table_name, run_id, status, staging_table, schema_hash, key_columns, cursor, rows_loaded,
        snapshot_position, watermark_max, nulled_detail, reasons, started_at, updated_at)
     VALUES ($table, $runId, $status, $staging, $hash, $keyColumns, $cursor, $rows,
        $position, $watermark, $nulled, $reasons, now(), now())
     ON CONFLICT (table_name) DO UPDATE SET
       run_id = excluded.run_id, status = excluded.status, staging_table = excluded.staging_table,
       schema_hash = excluded.schema_hash, key_columns = excluded.key_columns, cursor = excluded.cursor,
       rows_loaded = excluded.rows_loaded, snapshot_position = excluded.snapshot_position,
       watermark_max = excluded.watermark_max, nulled_detail = excluded.nulled_detail,
       reasons = excluded.reasons,
       started_at = CASE WHEN full_sync_sessions.staging_table = excluded.staging_table
                         THEN full_sync_sessions.started_at ELSE excluded.started_at END,
       updated_at = excluded.updated_at`,
    {
      table: session.tableName,
      runId: session.runId,
      status: session.status,
      staging: session.stagingTable,
      hash: session.schemaHash,
      keyColumns: JSON.stringify(session.keyColumns),
      cursor: session.cursor === null ? null : encodeTuple(session.cursor),
      rows: session.rowsLoaded,
      position: session.snapshotPosition === null ? null : JSON.stringify(session.snapshotPosition),
      watermark: session.watermarkMax === null ? null : JSON.stringify({
        value: session.watermarkMax.value,
        key: JSON.parse(encodeTuple(session.watermarkMax.key)),
      }),
      nulled: JSON.stringify(session.nulledDetail),
      reasons: session.reasons,
    },
  );
}

/** Returns the session of a table, or null when there is none. */
export async function readSession(connection: DuckDBConnection, table: string): Promise<LoadSession | null> {
  const reader = await connection.runAndReadAll(
    `SELECT table_name, run_id, status, staging_table, schema_hash, CAST(key_columns AS VARCHAR) AS key_columns,
            CAST(cursor AS VARCHAR) AS cursor, rows_loaded, CAST(snapshot_position AS VARCHAR) AS snapshot_position,
            CAST(watermark_max AS VARCHAR) AS watermark_max, CAST(nulled_detail AS VARCHAR) AS nulled_detail, reasons
       FROM _duckling.full_sync_sessions WHERE table_name = $table`,
    { table },
  );
  const row = reader.getRowObjectsJS()[0];
  if (!row) return null;
  return {
    tableName: String(row.table_name),
    runId: String(row.run_id),
    status: String(row.status) as SessionStatus,
    stagingTable: String(row.staging_table),
    schemaHash: String(row.schema_hash),
    keyColumns: JSON.parse(String(row.key_columns)) as string[],
    cursor: row.cursor === null ? null : decodeTuple(String(row.cursor)),
    rowsLoaded: Number(row.rows_loaded),
    snapshotPosition: row.snapshot_position === null ? null : (JSON.parse(String(row.snapshot_position)) as SnapshotPosition),
    watermarkMax: row.watermark_max === null ? null : decodeMark(String(row.watermark_max)),
    nulledDetail: row.nulled_detail === null ? {} : (JSON.parse(String(row.nulled_detail)) as Record<string, number>),
    reasons: row.reasons === null ? null : String(row.reasons),
  };
}

function decodeMark(text: string): WatermarkMark {
  const parsed = JSON.parse(text) as { value: string; key: unknown };
  return { value: parsed.value, key: decodeTuple(JSON.stringify(parsed.key)) };
}

export async function setSessionStatus(connection: DuckDBConnection, table: string, status: SessionStatus): Promise<void> {
  await connection.run(
    `UPDATE _duckling.full_sync_sessions SET status = $status, updated_at = now() WHERE table_name = $table`,
    { table, status },
  );
}

/** Marks a session `abandoned` with its reasons and drops its staging table. */
export async function abandonSession(connection: DuckDBConnection, session: LoadSession, reasons: string[]): Promise<void> {
  await connection.run(
    `UPDATE _duckling.full_sync_sessions SET status = 'abandoned', reasons = $reasons, updated_at = now()
      WHERE table_name = $table`,
    { table: session.tableName, reasons: reasons.join('; ') },
  );
  await dropMainTable(connection, session.stagingTable);
}

export async function deleteSession(connection: DuckDBConnection, table: string): Promise<void> {
  await connection.run(`DELETE FROM _duckling.full_sync_sessions WHERE table_name = $table`, { table });
}
