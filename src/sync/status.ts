import { errorMessage } from '../errors/index.js';
import type { Logger } from '../logging/index.js';
import { discoverTables } from './discovery.js';
import { listReplicaTables } from './staging.js';
import { querySyncLogs } from './sync-log.js';
import type { SyncTarget } from './types.js';

/** Number of sync_log rows in `recentLogs`. */
const RECENT_LOG_COUNT = 20;

/**
 * Builds the body of `GET /api/sync/status` (without `schedule` and `cdc`). The source count
 * comes from the source. While the source is down it is null, and the other fields are still returned.
 */
export async function readSyncStatus(target: SyncTarget, logger: Logger): Promise<Record<string, unknown>> {
  const replicaState = await target.replica.withReader(async (reader) => {
    const watermarks = await reader.runAndReadAll(
      `SELECT table_name, mode, column_name, CAST(key_columns AS VARCHAR) AS key_columns, last_value,
              CAST(last_key AS VARCHAR) AS last_key, strftime(updated_at, '%Y-%m-%dT%H:%M:%S.%gZ') AS updated_at
         FROM _duckling.watermarks ORDER BY table_name`,
    );
    const recent = await querySyncLogs(reader, { limit: RECENT_LOG_COUNT, offset: 0 });
    const tables = await listReplicaTables(reader);
    return { watermarks: watermarks.getRowObjectsJS(), recentLogs: recent.logs, tables };
  });

  let sourceNames: string[] | null = null;
  try {
    sourceNames = (await discoverTables(target)).map((table) => table.name);
  } catch (error) {
    logger.warn({ err: error, detail: errorMessage(error) }, 'source table count unavailable for sync status');
  }

  const replicaNames = new Set(replicaState.tables);
  const synced = sourceNames === null ? replicaNames.size : sourceNames.filter((name) => replicaNames.has(name)).length;
  return {
    watermarks: replicaState.watermarks.map((row) => ({
      table_name: String(row.table_name),
      mode: String(row.mode),
      timestamp_column: row.column_name === null ? null : String(row.column_name),
      primary_key_columns: JSON.parse(String(row.key_columns)) as string[],
      last_processed_timestamp: row.last_value === null ? null : String(row.last_value),
      last_processed_key: row.last_key === null ? null : (JSON.parse(String(row.last_key)) as unknown),
      updated_at: String(row.updated_at),
    })),
    recentLogs: replicaState.recentLogs,
    tables: {
      mysql: sourceNames === null ? null : sourceNames.length,
      duckdb: replicaNames.size,
      synced,
      pending: sourceNames === null ? null : sourceNames.length - synced,
    },
    timestamp: new Date().toISOString(),
  };
}
