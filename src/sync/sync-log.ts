import { randomUUID } from 'node:crypto';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { SyncLogEntry, SyncLogFilter, SyncTrigger } from './types.js';

/** A row to write into `_duckling.sync_log`. */
export interface SyncLogRow {
  runId: string;
  tableName: string | null;
  syncType: 'sequential' | 'watermark';
  trigger: SyncTrigger;
  recordsProcessed: number;
  rowsRead: number;
  durationMs: number;
  status: 'success' | 'error' | 'skipped';
  errorMessage?: string | null;
  watermarkBefore?: string | null;
  watermarkAfter?: string | null;
  valuesNulled: number;
  nulledDetail?: Record<string, number> | null;
  schemaChange?: string | null;
}

export async function insertSyncLog(connection: DuckDBConnection, row: SyncLogRow): Promise<void> {
  await connection.run(
    `INSERT INTO _duckling.sync_log
       (id, run_id, table_name, sync_type, "trigger", records_processed, rows_read, duration_ms, status,
        error_message, watermark_before, watermark_after, values_nulled, nulled_detail, schema_change, created_at)
     VALUES ($id, $runId, $table, $syncType, $trigger, $records, $rowsRead, $durationMs, $status,
        $error, $before, $after, $nulled, $detail, $schemaChange, now())`,
    {
      id: randomUUID(),
      runId: row.runId,
      table: row.tableName,
      syncType: row.syncType,
      trigger: row.trigger,
      records: row.recordsProcessed,
      rowsRead: row.rowsRead,
      durationMs: Math.round(row.durationMs),
      status: row.status,
      error: row.errorMessage ?? null,
      before: row.watermarkBefore ?? null,
      after: row.watermarkAfter ?? null,
      nulled: row.valuesNulled,
      detail: row.nulledDetail && Object.keys(row.nulledDetail).length > 0 ? JSON.stringify(row.nulledDetail) : null,
      schemaChange: row.schemaChange ?? null,
    },
  );
}

/** Returns the time (ms since the epoch) of the newest successful `sync_log` row, or null when there is none. */
export async function readLastSuccessAt(connection: DuckDBConnection): Promise<number | null> {
  const reader = await connection.runAndReadAll(`SELECT epoch_ms(max(created_at)) AS at FROM _duckling.sync_log WHERE status = 'success'`);
  const at = reader.getRowObjectsJS()[0]?.at;
  return at === null || at === undefined ? null : Number(at);
}

const SELECT_COLUMNS = `id, run_id, table_name, sync_type, "trigger", records_processed, rows_read, duration_ms, status,
  error_message, watermark_before, watermark_after, values_nulled, CAST(nulled_detail AS VARCHAR) AS nulled_detail,
  schema_change, strftime(created_at, '%Y-%m-%dT%H:%M:%S.%gZ') AS created_at`;

/** Returns one page of sync_log rows, newest first, and the number of rows matching the filter. */
export async function querySyncLogs(
  connection: DuckDBConnection,
  filter: SyncLogFilter,
): Promise<{ logs: SyncLogEntry[]; total: number }> {
  const conditions: string[] = [];
  const params: Record<string, string | number> = {};
  if (filter.status) {
    conditions.push('status = $status');
    params.status = filter.status;
  }
  if (filter.table) {
    conditions.push('table_name = $table');
    params.table = filter.table;
  }
  const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';

  const counted = await connection.runAndReadAll(`SELECT count(*) AS n FROM _duckling.sync_log ${where}`, params);
  const total = Number(counted.getRowObjectsJS()[0]?.n ?? 0);
  const page = await connection.runAndReadAll(
    `SELECT ${SELECT_COLUMNS} FROM _duckling.sync_log ${where}
      ORDER BY created_at DESC, id LIMIT $limit OFFSET $offset`,
    { ...params, limit: filter.limit, offset: filter.offset },
  );
  return { logs: page.getRowObjectsJS().map(toEntry), total };
}

function toEntry(row: Record<string, unknown>): SyncLogEntry {
  const text = (value: unknown): string | null => (value === null || value === undefined ? null : String(value));
  return {
    id: String(row.id),
    run_id: String(row.run_id),
    table_name: text(row.table_name),
    sync_type: String(row.sync_type),
    trigger: String(row.trigger),
    records_processed: Number(row.records_processed),
    rows_read: Number(row.rows_read),
    duration_ms: Number(row.duration_ms),
    status: String(row.status),
    error_message: text(row.error_message),
    watermark_before: text(row.watermark_before),
    watermark_after: text(row.watermark_after),
    values_nulled: Number(row.values_nulled),
    nulled_detail: row.nulled_detail === null ? null : (JSON.parse(String(row.nulled_detail)) as Record<string, number>),
    schema_change: text(row.schema_change),
    created_at: String(row.created_at),
  };
}
