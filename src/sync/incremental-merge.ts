import type { DuckDBConnection } from '@duckdb/node-api';
import type { TablePlan } from '../catalog/index.js';
import { quoteIdentifier } from '../replica/index.js';
import { decodeTuple, encodeTuple } from './key-codec.js';
import type { WatermarkMark } from './sessions.js';
import { readWatermarkValue } from './swap.js';
import { insertSyncLog, type SyncLogRow } from './sync-log.js';

/** A table's `_duckling.watermarks` row and the `_duckling.tables` facts an incremental merge depends on. */
export interface StoredTableState {
  /** False when the live replica table is missing. */
  liveExists: boolean;
  schemaHash: string | null;
  /** True when a full load of the table was interrupted and can resume. */
  openSession: boolean;
  watermark: { mode: string; column: string | null; mark: WatermarkMark | null } | null;
}

/** Reads what decides between an incremental merge and a full load of `table`. */
export async function readStoredTableState(connection: DuckDBConnection, table: string): Promise<StoredTableState> {
  const read = async (sql: string) => (await connection.runAndReadAll(sql, { table })).getRowObjectsJS()[0];
  const live = await read(`SELECT count(*) AS n FROM duckdb_tables() WHERE schema_name = 'main' AND table_name = $table`);
  const meta = await read(`SELECT schema_hash FROM _duckling.tables WHERE table_name = $table`);
  const session = await read(
    `SELECT count(*) AS n FROM _duckling.full_sync_sessions WHERE table_name = $table AND status IN ('loading', 'swapping')`,
  );
  const watermark = await read(
    `SELECT mode, column_name, last_value, CAST(last_key AS VARCHAR) AS last_key FROM _duckling.watermarks WHERE table_name = $table`,
  );
  return {
    liveExists: Number(live?.n ?? 0) > 0,
    schemaHash: meta ? String(meta.schema_hash) : null,
    openSession: Number(session?.n ?? 0) > 0,
    watermark: watermark
      ? {
          mode: String(watermark.mode),
          column: watermark.column_name === null ? null : String(watermark.column_name),
          mark: watermark.last_value === null || watermark.last_key === null
            ? null
            : { value: String(watermark.last_value), key: decodeTuple(String(watermark.last_key)) },
        }
      : null,
  };
}

export interface MergeInput {
  table: string;
  plan: TablePlan;
  stagingTable: string;
  /** The watermark to store; null keeps the stored one. */
  mark: WatermarkMark | null;
  lookbackSeconds: number;
  log: Omit<SyncLogRow, 'watermarkBefore' | 'watermarkAfter' | 'recordsProcessed'>;
}

/**
 * Merges staged rows into the live table in one writer transaction: deletes live rows whose key
 * is staged, inserts the staged rows (one per key, the last one read wins), stores the watermark,
 * updates `_duckling.tables`, writes sync_log and drops staging. A failure rolls everything back.
 * Returns the number of rows inserted.
 */
export async function mergeStaging(connection: DuckDBConnection, input: MergeInput): Promise<number> {
  const live = `main.${quoteIdentifier(input.table)}`;
  const staging = `main.${quoteIdentifier(input.stagingTable)}`;
  const keys = input.plan.keyColumns.map(quoteIdentifier);
  const columns = input.plan.columns.map((column) => quoteIdentifier(column.name)).join(', ');

  await connection.run('BEGIN TRANSACTION');
  try {
    const watermarkBefore = await readWatermarkValue(connection, input.table);
    // Replica tables have no key constraint, so the tuple delete is an equality join on every key column.
    const matches = keys.map((key) => `${quoteIdentifier(input.table)}.${key} = __duckling_staged.${key}`).join(' AND ');
    await connection.run(`DELETE FROM ${live} USING (SELECT DISTINCT ${keys.join(', ')} FROM ${staging}) AS __duckling_staged WHERE ${matches}`);
    // Appended rows keep their read order in rowid, so the greatest rowid per key is the last row read.
    const inserted = await connection.run(
      `INSERT INTO ${live} (${columns}) SELECT ${columns} FROM ${staging}
        QUALIFY row_number() OVER (PARTITION BY ${keys.join(', ')} ORDER BY rowid DESC) = 1`,
    );
    const rowsMerged = Number(inserted.rowsChanged);

    const watermarkAfter = input.mark === null ? watermarkBefore : await storeMark(connection, input);
    await connection.run(
      `UPDATE _duckling.tables SET row_count = (SELECT count(*) FROM ${live}), last_sync_at = now(),
              last_sync_type = 'watermark', updated_at = now()
        WHERE table_name = $table`,
      { table: input.table },
    );
    await insertSyncLog(connection, { ...input.log, recordsProcessed: rowsMerged, watermarkBefore, watermarkAfter });
    await connection.run(`DROP TABLE ${staging}`);
    await connection.run('COMMIT');
    return rowsMerged;
  } catch (error) {
    // The original error is the one to report, because a failed ROLLBACK means the transaction is already gone.
    await connection.run('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/** Writes the new mark into the watermark row and returns the row as JSON text for sync_log. */
async function storeMark(connection: DuckDBConnection, input: MergeInput): Promise<string | null> {
  const mark = input.mark!;
  await connection.run(
    `UPDATE _duckling.watermarks SET last_value = $value, last_key = $key, lookback_seconds = $lookback, updated_at = now()
      WHERE table_name = $table`,
    { table: input.table, value: mark.value, key: encodeTuple(mark.key), lookback: input.lookbackSeconds },
  );
  return readWatermarkValue(connection, input.table);
}
