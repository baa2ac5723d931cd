import { Command } from 'commander';
import type { DatabaseStatusEntry, DucklingHttpClient, SyncTableCounts } from '../../client/index.js';
import { createContext } from '../context.js';
import { formatBytes, formatCount, formatDuration, type Output } from '../output.js';

/** One database's line of the status report. */
interface DatabaseStatus {
  databaseId: string;
  name: string;
  tables: SyncTableCounts | null;
  lastSyncAt: string | null;
  fileSizeBytes: number | null;
  /** Reachability of the source from the server's health check: `up`, `down` or `unknown`. */
  source: string;
  /** Reason the database's syncs are halted because its source changed identity; null when they are not halted. */
  halted: string | null;
  error: string | null;
}

/** One database's entry of the admin `/health` body. */
interface SourceHealth {
  mysql: string;
  reason: string | null;
}

/** `duckling status`: server version and uptime, then per database its table counts and last sync. */
export function statusCommand(): Command {
  return new Command('status')
    .description('Show each database: source and replica tables, synced and pending tables, last sync')
    .action(async function (this: Command) {
      const context = createContext(this);
      const client = context.client();
      const server = await client.status();
      const sources = await sourceStates(client);
      const databases = await Promise.all(
        server.databases.map((database) => describeDatabase(client, database, sources.get(database.databaseId) ?? { mysql: 'unknown', reason: null })),
      );
      const output = context.output;

      if (output.json) {
        output.jsonLine({ url: client.baseUrl, version: server.version, uptime: server.uptime, databases });
        return;
      }

      output.line(`Duckling ${server.version} at ${client.baseUrl}, up ${formatDuration(server.uptime * 1000)}`);
      output.line('');
      if (databases.length === 0) {
        output.line('No databases are configured: set MYSQL_CONNECTION_STRING in .env and restart the server.');
        return;
      }
      output.table(
        ['Database', 'Name', 'Source', 'Source tables', 'Replica tables', 'Synced', 'Pending', 'Last sync', 'Size'],
        databases.map((database) => [
          database.databaseId,
          database.name,
          sourceCell(output, database),
          ...(database.error
            ? [output.red(`error: ${database.error}`), '', '', '', '', '']
            : [
                formatCount(database.tables?.mysql),
                formatCount(database.tables?.duckdb),
                formatCount(database.tables?.synced),
                formatCount(database.tables?.pending),
                database.lastSyncAt ?? 'never',
                formatBytes(database.fileSizeBytes),
              ]),
        ]),
        ['left', 'left', 'left', 'right', 'right', 'right', 'right', 'left', 'right'],
      );
      for (const database of databases) {
        if (database.halted !== null) output.line(output.yellow(`${database.databaseId}: ${database.halted}`));
      }
    });
}

function sourceCell(output: Output, database: DatabaseStatus): string {
  if (database.source === 'down') return output.red('down');
  if (database.halted !== null) return output.yellow('halted');
  return database.source;
}

/** Adds the sync status of one database; a database the server could not read keeps its error. */
async function describeDatabase(client: DucklingHttpClient, database: DatabaseStatusEntry, health: SourceHealth): Promise<DatabaseStatus> {
  const source = health.mysql;
  const halted = health.reason;
  if ('error' in database) {
    return { databaseId: database.databaseId, name: database.name, tables: null, lastSyncAt: null, fileSizeBytes: null, source, halted, error: database.error };
  }

  const base: DatabaseStatus = {
    databaseId: database.databaseId,
    name: database.name,
    tables: null,
    lastSyncAt: database.lastSyncAt,
    fileSizeBytes: database.fileSizeBytes,
    source,
    halted,
    error: null,
  };
  try {
    const syncStatus = await client.forDatabase(database.databaseId).syncStatus();
    return { ...base, tables: syncStatus.tables };
  } catch (error) {
    return { ...base, error: `sync status unavailable: ${(error as Error).message}` };
  }
}

/** Source reachability and halt reason per database id from the admin `/health` body (cached by the server for 5 s). */
async function sourceStates(client: DucklingHttpClient): Promise<Map<string, SourceHealth>> {
  const health = await client.health();
  const databases = 'databases' in health ? health.databases : [];
  return new Map(databases.map((database) => [database.databaseId, { mysql: database.services.mysql, reason: database.reason ?? null }]));
}
