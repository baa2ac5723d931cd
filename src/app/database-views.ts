import type { Config } from '../config/index.js';
import { errorMessage } from '../errors/index.js';
import type { ConnectionTestResult, DatabaseHandle, DatabaseStatus, DatabaseView } from '../http/index.js';
import type { Logger } from '../logging/index.js';
import type { DatabaseRecord } from '../registry/index.js';
import { parseConnectionString } from '../source/index.js';
import { readRecordedIdentity, recordIdentity } from '../sync/index.js';

/**
 * Builds the API view of a record: every field but the connection string, plus the live status.
 * `sourceHalt` is the identity difference that halted the database's syncs, or null.
 */
export function describeDatabase(
  config: Config,
  record: DatabaseRecord,
  handle: DatabaseHandle | undefined,
  activity: { syncing: boolean; sourceHalt: string | null },
): DatabaseView {
  let mysql: DatabaseView['mysql'] = null;
  let parseError: string | null = null;
  try {
    mysql = parseConnectionString(record.mysqlConnectionString, config.mysql.tlsDir).endpoint;
  } catch (error) {
    parseError = errorMessage(error);
  }

  let status: DatabaseStatus = activity.syncing ? 'syncing' : 'ready';
  let error: string | undefined;
  if (!handle?.replica) {
    status = 'unavailable';
    error = handle?.unavailableReason ?? 'the replica is not open';
  } else if (!handle.source) {
    status = 'source_error';
    error = handle.sourceError ? errorMessage(handle.sourceError) : (parseError ?? 'the database has no connection string');
  } else if (activity.sourceHalt !== null) {
    status = 'source_error';
    error = `syncs are halted because the source differs from the one the replica was copied from: ${activity.sourceHalt}; resync with PUT /api/databases/${record.id}?resync=true or DELETE /api/sync/clear-all?db=${record.id}`;
  }

  const view: DatabaseView = {
    id: record.id,
    name: record.name,
    duckdbPath: record.duckdbPath,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    mysql,
    sync: record.sync ?? {},
    status,
  };
  if (error !== undefined) view.error = error;
  return view;
}

/**
 * Checks both sides of a database by running `SELECT 1` on the replica and pinging the source. The
 * first successful check records the source identity when the replica has none yet.
 */
export async function testDatabaseConnections(handle: DatabaseHandle, logger: Logger): Promise<ConnectionTestResult> {
  const errors: string[] = [];

  let duckdb = false;
  if (handle.replica) {
    try {
      await handle.replica.withReader((connection) => connection.run('SELECT 1'));
      duckdb = true;
    } catch (error) {
      errors.push(`replica: ${errorMessage(error)}`);
    }
  } else {
    errors.push(`replica: ${handle.unavailableReason ?? 'it is not open'}`);
  }

  let mysql = false;
  let mysqlVersion: string | null = null;
  let latencyMs: number | null = null;
  if (handle.source) {
    try {
      const ping = await handle.source.ping();
      mysql = true;
      mysqlVersion = ping.version;
      latencyMs = ping.latencyMs;
    } catch (error) {
      errors.push(`source: ${errorMessage(error)}`);
    }
  } else {
    errors.push(`source: ${handle.sourceError ? errorMessage(handle.sourceError) : 'the database has no connection string'}`);
  }

  if (mysql && duckdb) await recordFirstIdentity(handle, logger);

  const details: ConnectionTestResult['details'] = { mysqlVersion, latencyMs };
  if (errors.length > 0) details.error = errors.join('; ');
  return { success: mysql && duckdb, connections: { mysql, duckdb }, details };
}

async function recordFirstIdentity(handle: DatabaseHandle, logger: Logger): Promise<void> {
  if (!handle.replica || !handle.source) return;
  try {
    if ((await readRecordedIdentity(handle.replica)) !== null) return;
    await recordIdentity(handle.replica, await handle.source.identify());
  } catch (error) {
    logger.warn({ err: error, databaseId: handle.id }, 'recording the source identity failed');
  }
}
