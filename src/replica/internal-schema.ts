import type { DuckDBConnection } from '@duckdb/node-api';

/** Version of the `_duckling` schema layout; stored in `_duckling.meta`. */
export const INTERNAL_FORMAT_VERSION = 1;

/** Prefix of staging tables in schema `main`; such tables are never listed. */
export const STAGING_PREFIX = '__duckling_stage_';

/**
 * Bookkeeping tables kept inside each replica so a backup carries its own history. They hold no
 * source host, user or credential because queries can read them, and use no sequences.
 */
const INTERNAL_TABLES = [
  `CREATE SCHEMA IF NOT EXISTS _duckling`,
  `CREATE TABLE IF NOT EXISTS _duckling.meta (
     key VARCHAR PRIMARY KEY,
     value VARCHAR
   )`,
  `CREATE TABLE IF NOT EXISTS _duckling.tables (
     table_name VARCHAR PRIMARY KEY,
     source_columns JSON NOT NULL,
     key_columns JSON NOT NULL,
     key_kind VARCHAR NOT NULL,
     type_plan JSON NOT NULL,
     schema_hash VARCHAR NOT NULL,
     row_count BIGINT,
     last_sync_at TIMESTAMPTZ,
     last_sync_type VARCHAR,
     updated_at TIMESTAMPTZ NOT NULL
   )`,
  `CREATE TABLE IF NOT EXISTS _duckling.watermarks (
     table_name VARCHAR PRIMARY KEY,
     mode VARCHAR NOT NULL,
     column_name VARCHAR,
     key_columns JSON NOT NULL,
     last_value VARCHAR,
     last_key JSON,
     lookback_seconds INTEGER NOT NULL DEFAULT 0,
     updated_at TIMESTAMPTZ NOT NULL
   )`,
  `CREATE TABLE IF NOT EXISTS _duckling.sync_log (
     id VARCHAR PRIMARY KEY,
     run_id VARCHAR NOT NULL,
     table_name VARCHAR,
     sync_type VARCHAR NOT NULL,
     "trigger" VARCHAR NOT NULL,
     records_processed BIGINT NOT NULL DEFAULT 0,
     rows_read BIGINT NOT NULL DEFAULT 0,
     duration_ms BIGINT NOT NULL DEFAULT 0,
     status VARCHAR NOT NULL,
     error_message VARCHAR,
     watermark_before VARCHAR,
     watermark_after VARCHAR,
     values_nulled BIGINT NOT NULL DEFAULT 0,
     nulled_detail JSON,
     schema_change VARCHAR,
     created_at TIMESTAMPTZ NOT NULL
   )`,
  `CREATE TABLE IF NOT EXISTS _duckling.full_sync_sessions (
     table_name VARCHAR PRIMARY KEY,
     run_id VARCHAR NOT NULL,
     status VARCHAR NOT NULL,
     staging_table VARCHAR NOT NULL,
     schema_hash VARCHAR NOT NULL,
     key_columns JSON NOT NULL,
     cursor JSON,
     rows_loaded BIGINT NOT NULL DEFAULT 0,
     snapshot_position JSON,
     watermark_max JSON,
     nulled_detail JSON,
     reasons VARCHAR,
     started_at TIMESTAMPTZ NOT NULL,
     updated_at TIMESTAMPTZ NOT NULL
   )`,
];

/** Creates or upgrades the internal schema and records the format version. Idempotent. */
export async function migrateInternalSchema(connection: DuckDBConnection, databaseId: string, ducklingVersion: string): Promise<void> {
  for (const statement of INTERNAL_TABLES) await connection.run(statement);
  const upsert = `INSERT OR REPLACE INTO _duckling.meta (key, value) VALUES ($key, $value)`;
  await connection.run(upsert, { key: 'format_version', value: String(INTERNAL_FORMAT_VERSION) });
  await connection.run(upsert, { key: 'database_id', value: databaseId });
  await connection.run(upsert, { key: 'duckling_version', value: ducklingVersion });
}

/** Drops staging tables that no loading or swapping session owns; returns their names. */
export async function dropOrphanStagingTables(connection: DuckDBConnection): Promise<string[]> {
  const reader = await connection.runAndReadAll(
    `SELECT table_name FROM duckdb_tables()
      WHERE schema_name = 'main' AND starts_with(table_name, $prefix)
        AND table_name NOT IN (
          SELECT staging_table FROM _duckling.full_sync_sessions WHERE status IN ('loading', 'swapping'))`,
    { prefix: STAGING_PREFIX },
  );
  const names = reader.getRowObjectsJS().map((row) => String(row.table_name));
  for (const name of names) await connection.run(`DROP TABLE IF EXISTS main.${quoteIdentifier(name)}`);
  return names;
}

/** Quotes a DuckDB identifier. */
export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
