import { randomBytes } from 'node:crypto';
import type { DuckDBConnection } from '@duckdb/node-api';
import { STAGING_PREFIX, quoteIdentifier } from '../replica/index.js';
import type { TablePlan } from '../catalog/index.js';

/** Maximum number of characters of the source table name in a staging table's name. */
const STAGING_NAME_CHARS = 24;

/** Returns a fresh staging name: `__duckling_stage_<first 24 chars of table>_<32 hex>`. */
export function stagingTableName(table: string): string {
  return `${STAGING_PREFIX}${table.slice(0, STAGING_NAME_CHARS)}_${randomBytes(16).toString('hex')}`;
}

/** Creates the staging table with the planned DuckDB types. Every column is nullable and there is no key constraint. */
export async function createStagingTable(connection: DuckDBConnection, name: string, plan: TablePlan): Promise<void> {
  const columns = plan.columns.map((column) => `${quoteIdentifier(column.name)} ${column.duckdbType}`).join(', ');
  await connection.run(`CREATE TABLE main.${quoteIdentifier(name)} (${columns})`);
}

export async function dropMainTable(connection: DuckDBConnection, name: string): Promise<void> {
  await connection.run(`DROP TABLE IF EXISTS main.${quoteIdentifier(name)}`);
}

export async function mainTableExists(connection: DuckDBConnection, name: string): Promise<boolean> {
  const reader = await connection.runAndReadAll(
    `SELECT count(*) AS n FROM duckdb_tables() WHERE schema_name = 'main' AND table_name = $name`,
    { name },
  );
  return Number(reader.getRowObjectsJS()[0]?.n ?? 0) > 0;
}

/** Lists the replicated tables in schema `main`, leaving out staging tables. */
export async function listReplicaTables(connection: DuckDBConnection): Promise<string[]> {
  const reader = await connection.runAndReadAll(
    `SELECT table_name FROM duckdb_tables()
      WHERE schema_name = 'main' AND NOT starts_with(table_name, $prefix)
      ORDER BY table_name`,
    { prefix: STAGING_PREFIX },
  );
  return reader.getRowObjectsJS().map((row) => String(row.table_name));
}

export async function countRows(connection: DuckDBConnection, name: string): Promise<number> {
  const reader = await connection.runAndReadAll(`SELECT count(*) AS n FROM main.${quoteIdentifier(name)}`);
  return Number(reader.getRowObjectsJS()[0]?.n ?? 0);
}
