import type { DuckDBConnection } from '@duckdb/node-api';
import type { Replica } from '../replica/index.js';
import { STAGING_PREFIX, quoteIdentifier } from '../replica/index.js';
import type { Flavour, SourceIdentity } from '../source/index.js';
import { listReplicaTables } from './staging.js';

/** `_duckling.meta` keys of the source a replica was copied from. */
const META_KEYS = { schema: 'source_schema', flavour: 'source_flavour', identity: 'source_identity' } as const;

/** Reads the source identity recorded in the replica; null when none was recorded yet. */
export async function readRecordedIdentity(replica: Replica): Promise<SourceIdentity | null> {
  const rows = await replica.withReader(async (connection) => {
    const reader = await connection.runAndReadAll(
      `SELECT key, value FROM _duckling.meta WHERE key IN ($schema, $flavour, $identity)`,
      { ...META_KEYS },
    );
    return reader.getRowObjectsJS();
  });
  const values = new Map(rows.map((row) => [String(row.key), row.value === null ? null : String(row.value)]));
  const schema = values.get(META_KEYS.schema);
  const flavour = values.get(META_KEYS.flavour);
  const identity = values.get(META_KEYS.identity);
  if (!schema || !identity || (flavour !== 'mysql' && flavour !== 'mariadb')) return null;
  return { schema, flavour: flavour as Flavour, identity };
}

/** Stores `identity` as the replica's source, replacing any earlier one. */
export async function recordIdentity(replica: Replica, identity: SourceIdentity): Promise<void> {
  await replica.withWriter(async (connection) => {
    const upsert = `INSERT OR REPLACE INTO _duckling.meta (key, value) VALUES ($key, $value)`;
    await connection.run('BEGIN TRANSACTION');
    try {
      await connection.run(upsert, { key: META_KEYS.schema, value: identity.schema });
      await connection.run(upsert, { key: META_KEYS.flavour, value: identity.flavour });
      await connection.run(upsert, { key: META_KEYS.identity, value: identity.identity });
      await connection.run('COMMIT');
    } catch (error) {
      await connection.run('ROLLBACK');
      throw error;
    }
  });
}

/** Names the fields in which two identities differ, e.g. `schema "a" instead of "b"`; null when equal. */
export function describeIdentityChange(recorded: SourceIdentity, current: SourceIdentity): string | null {
  const changes: string[] = [];
  if (recorded.schema !== current.schema) changes.push(`schema "${current.schema}" instead of "${recorded.schema}"`);
  if (recorded.flavour !== current.flavour) changes.push(`a ${current.flavour} server instead of ${recorded.flavour}`);
  if (recorded.identity !== current.identity) changes.push('another server (its server identifiers differ)');
  return changes.length === 0 ? null : changes.join(', ');
}

/**
 * Deletes the replica's state about its old source: the recorded identity, watermarks, resumable
 * full-sync sessions and their staging tables, so the next sync loads every table from the current
 * source and records its identity. Replicated tables stay readable until that sync replaces them.
 * TODO(cdc): also clear the CDC position once `_duckling.cdc_state` exists — a resync must not resume the old binlog.
 */
export async function clearSourceState(replica: Replica): Promise<void> {
  await replica.withWriter(async (connection) => {
    const staging = await listStagingTables(connection);
    await inTransaction(connection, async () => {
      await deleteSourceState(connection);
      for (const table of staging) await connection.run(`DROP TABLE IF EXISTS main.${quoteIdentifier(table)}`);
    });
  });
}

/**
 * Drops every replicated and staging table and deletes the source state as `clearSourceState`
 * does, in one transaction. Returns the names of the replicated tables dropped, sorted.
 */
export async function clearReplica(replica: Replica): Promise<string[]> {
  return replica.withWriter(async (connection) => {
    const staging = await listStagingTables(connection);
    const replicated = await listReplicaTables(connection);
    await inTransaction(connection, async () => {
      await deleteSourceState(connection);
      await connection.run('DELETE FROM _duckling.tables');
      for (const table of [...replicated, ...staging]) await connection.run(`DROP TABLE IF EXISTS main.${quoteIdentifier(table)}`);
    });
    return replicated;
  });
}

async function deleteSourceState(connection: DuckDBConnection): Promise<void> {
  await connection.run('DELETE FROM _duckling.watermarks');
  await connection.run('DELETE FROM _duckling.full_sync_sessions');
  await connection.run('DELETE FROM _duckling.meta WHERE key IN ($schema, $flavour, $identity)', { ...META_KEYS });
}

async function listStagingTables(connection: DuckDBConnection): Promise<string[]> {
  const reader = await connection.runAndReadAll(
    `SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' AND starts_with(table_name, $prefix)`,
    { prefix: STAGING_PREFIX },
  );
  return reader.getRowObjectsJS().map((row) => String(row.table_name));
}

async function inTransaction(connection: DuckDBConnection, work: () => Promise<void>): Promise<void> {
  await connection.run('BEGIN TRANSACTION');
  try {
    await work();
    await connection.run('COMMIT');
  } catch (error) {
    await connection.run('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
