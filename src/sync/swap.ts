import type { DuckDBConnection } from '@duckdb/node-api';
import { quoteIdentifier } from '../replica/index.js';
import type { ColumnPlan, TablePlan } from '../catalog/index.js';
import type { SourceTable } from '../source/index.js';
import { encodeTuple } from './key-codec.js';
import type { WatermarkMark } from './sessions.js';
import { insertSyncLog, type SyncLogRow } from './sync-log.js';

export interface SwapInput {
  table: SourceTable;
  plan: TablePlan;
  stagingTable: string;
  rowCount: number;
  /** Watermark column name, or null for mode `none`. */
  watermarkColumn: string | null;
  /** Mode of a non-null watermark column; default `timestamp`. */
  watermarkMode?: 'timestamp' | 'id';
  watermarkMark: WatermarkMark | null;
  /** The sync_log row, without `watermarkBefore` and `watermarkAfter`, which the swap fills in. */
  log: Omit<SyncLogRow, 'watermarkBefore' | 'watermarkAfter'>;
}

/**
 * Replaces the live table by its staging table in one writer transaction: drop live, rename
 * staging, column comments, `_duckling.tables`, watermark, sync_log, session row. Readers see the
 * old table or the new one, never a mix. On any error the transaction rolls back, so the live
 * table stays as it was.
 */
export async function swapInStaging(connection: DuckDBConnection, input: SwapInput): Promise<void> {
  await connection.run('BEGIN TRANSACTION');
  try {
    const watermarkBefore = await readWatermarkValue(connection, input.table.name);
    await replaceLiveTable(connection, input);
    await upsertTableMetadata(connection, input);
    const watermarkAfter = await upsertWatermark(connection, input);
    await insertSyncLog(connection, { ...input.log, watermarkBefore, watermarkAfter });
    await connection.run(`DELETE FROM _duckling.full_sync_sessions WHERE table_name = $table`, { table: input.table.name });
    await connection.run('COMMIT');
  } catch (error) {
    // The original error is the one to report, because a failed ROLLBACK means the transaction is already gone.
    await connection.run('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

async function replaceLiveTable(connection: DuckDBConnection, input: SwapInput): Promise<void> {
  const live = quoteIdentifier(input.table.name);
  await connection.run(`DROP TABLE IF EXISTS main.${live}`);
  await connection.run(`ALTER TABLE main.${quoteIdentifier(input.stagingTable)} RENAME TO ${live}`);
  for (const column of input.plan.columns) await setColumnComment(connection, input.table.name, column);
}

/** Sets a replica column's comment to its source `COLUMN_TYPE`. */
export async function setColumnComment(connection: DuckDBConnection, table: string, column: ColumnPlan): Promise<void> {
  // COMMENT ON takes a literal only, so the source type is quoted as a SQL string here.
  const comment = `'${column.sourceType.replace(/'/g, "''")}'`;
  await connection.run(`COMMENT ON COLUMN main.${quoteIdentifier(table)}.${quoteIdentifier(column.name)} IS ${comment}`);
}

async function upsertTableMetadata(connection: DuckDBConnection, input: SwapInput): Promise<void> {
  await connection.run(
    `INSERT OR REPLACE INTO _duckling.tables
       (table_name, source_columns, key_columns, key_kind, type_plan, schema_hash, row_count,
        last_sync_at, last_sync_type, updated_at)
     VALUES ($table, $columns, $keyColumns, $keyKind, $typePlan, $hash, $rows, now(), 'sequential', now())`,
    {
      table: input.table.name,
      columns: sourceColumnsJson(input.table),
      keyColumns: JSON.stringify(input.plan.keyColumns),
      keyKind: input.plan.keyKind,
      typePlan: typePlanJson(input.plan),
      hash: input.plan.schemaHash,
      rows: input.rowCount,
    },
  );
}

/** Writes the watermark row and returns its JSON text for `sync_log.watermark_after`. */
async function upsertWatermark(connection: DuckDBConnection, input: SwapInput): Promise<string> {
  const timestamped = input.watermarkColumn !== null;
  const mark = timestamped ? input.watermarkMark : null;
  const row = {
    table: input.table.name,
    mode: timestamped ? (input.watermarkMode ?? 'timestamp') : 'none',
    column: input.watermarkColumn,
    keyColumns: JSON.stringify(input.plan.keyColumns),
    lastValue: mark?.value ?? null,
    lastKey: mark ? encodeTuple(mark.key) : null,
  };
  await connection.run(
    `INSERT OR REPLACE INTO _duckling.watermarks
       (table_name, mode, column_name, key_columns, last_value, last_key, lookback_seconds, updated_at)
     VALUES ($table, $mode, $column, $keyColumns, $lastValue, $lastKey, 0, now())`,
    row,
  );
  return JSON.stringify({ mode: row.mode, column: row.column, value: row.lastValue, key: mark ? JSON.parse(row.lastKey!) : null });
}

export async function readWatermarkValue(connection: DuckDBConnection, table: string): Promise<string | null> {
  const reader = await connection.runAndReadAll(
    `SELECT mode, column_name, last_value, CAST(last_key AS VARCHAR) AS last_key
       FROM _duckling.watermarks WHERE table_name = $table`,
    { table },
  );
  const row = reader.getRowObjectsJS()[0];
  if (!row) return null;
  return JSON.stringify({
    mode: row.mode,
    column: row.column_name,
    value: row.last_value,
    key: row.last_key === null ? null : JSON.parse(String(row.last_key)),
  });
}

/** Returns the `_duckling.tables.source_columns` text of a table. */
export function sourceColumnsJson(table: SourceTable): string {
  return JSON.stringify(table.columns, jsonSafe);
}

/** Returns the `_duckling.tables.type_plan` text of a plan: name, source type and DuckDB type per column. */
export function typePlanJson(plan: TablePlan): string {
  return JSON.stringify(plan.columns.map((column) => ({ name: column.name, sourceType: column.sourceType, duckdbType: column.duckdbType })));
}

function jsonSafe(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  return value;
}

/**
 * Drops a replica table with its watermark, metadata, session and staging, and writes `log` (the
 * drop's sync_log row) in the same transaction. Earlier sync_log rows of the table stay.
 */
export async function dropReplicaTable(connection: DuckDBConnection, table: string, log: SyncLogRow): Promise<void> {
  await connection.run('BEGIN TRANSACTION');
  try {
    const sessions = await connection.runAndReadAll(
      `SELECT staging_table FROM _duckling.full_sync_sessions WHERE table_name = $table`,
      { table },
    );
    for (const row of sessions.getRowObjectsJS()) {
      await connection.run(`DROP TABLE IF EXISTS main.${quoteIdentifier(String(row.staging_table))}`);
    }
    await connection.run(`DROP TABLE IF EXISTS main.${quoteIdentifier(table)}`);
    for (const internal of ['watermarks', 'tables', 'full_sync_sessions']) {
      await connection.run(`DELETE FROM _duckling.${internal} WHERE table_name = $table`, { table });
    }
    await insertSyncLog(connection, log);
    await connection.run('COMMIT');
  } catch (error) {
    await connection.run('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
