import type { DuckDBConnection } from '@duckdb/node-api';
import { quoteIdentifier } from '../../replica/index.js';
import { countRows, listReplicaTables, mainTableExists } from '../staging.js';

export { countRows, listReplicaTables, mainTableExists };

/** Last successful sync of a table as `_duckling.tables` records it. */
export interface TableSyncInfo {
  lastSyncAt: string | null;
  syncType: string | null;
}

/** Reads `last_sync_at` and `last_sync_type` of every table the replica tracks. */
export async function readTableSyncInfo(reader: DuckDBConnection): Promise<Map<string, TableSyncInfo>> {
  const result = await reader.runAndReadAll(
    `SELECT table_name, strftime(last_sync_at, '%Y-%m-%dT%H:%M:%S.%gZ') AS last_sync_at, last_sync_type
       FROM _duckling.tables`,
  );
  const info = new Map<string, TableSyncInfo>();
  for (const row of result.getRowObjectsJS()) {
    info.set(String(row.table_name), {
      lastSyncAt: row.last_sync_at === null ? null : String(row.last_sync_at),
      syncType: row.last_sync_type === null ? null : String(row.last_sync_type),
    });
  }
  return info;
}

/** Column names of a replica table in order; empty when the table does not exist. */
export async function replicaColumns(reader: DuckDBConnection, table: string): Promise<string[]> {
  const result = await reader.runAndReadAll(
    `SELECT column_name FROM duckdb_columns() WHERE schema_name = 'main' AND table_name = $table ORDER BY column_index`,
    { table },
  );
  return result.getRowObjectsJS().map((row) => String(row.column_name));
}

/** `main.<table>` quoted for DuckDB. */
export function replicaTableName(table: string): string {
  return `main.${quoteIdentifier(table)}`;
}
