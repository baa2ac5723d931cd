import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import { NULLED, planTable, type TablePlan } from '../../catalog/index.js';
import { createEncoder, textForm, type EncodedValue } from '../../catalog/encode.js';
import { DucklingError } from '../../errors/index.js';
import { quoteIdentifier } from '../../replica/index.js';
import { hasRawByteColumns, quoteMysqlIdentifier, type SourceSnapshot, type SourceTable } from '../../source/index.js';
import type { SyncTarget } from '../types.js';
import { keyColumnOrders, type KeyColumnOrder } from './key-order.js';
import { countRows, mainTableExists, replicaColumns, replicaTableName } from './replica-reads.js';
import { countSourceRows, sourceRows } from './source-reads.js';
import type { TableDetailsReport, TableErrorType, TableSideDetails } from './types.js';

/** Source data types whose SUM is an exact integer. */
const INTEGER_TYPES = new Set(['tinyint', 'smallint', 'mediumint', 'int', 'integer', 'bigint']);

const ABSENT: TableSideDetails = { exists: false, columnCount: 0, recordCount: null, columns: [], maxId: null, checksum: null };

/**
 * Compares one table's shape and summary values on both sides (`POST /api/validation/table-details`):
 * columns, exact counts, the greatest key and the SUM of an integer key. Throws
 * DUCKLING_TABLE_NOT_FOUND when neither side has the table.
 */
export async function tableDetails(target: SyncTarget, tableName: string, options: { skipMySQLCount: boolean }): Promise<TableDetailsReport> {
  const sourceTable = await target.source.describeTable(tableName);
  const plan = sourceTable ? planOrNull(sourceTable) : null;
  const orders = sourceTable && plan && sourceTable.key.kind !== 'none' ? keyColumnOrders(sourceTable, plan) : null;

  const mysql = sourceTable ? await readSourceSide(target, sourceTable, plan, orders, options.skipMySQLCount) : ABSENT;
  const duckdb = await target.replica.withReader((reader) => readReplicaSide(reader, tableName, sourceTable, orders));
  if (!mysql.exists && !duckdb.exists) {
    throw new DucklingError('DUCKLING_TABLE_NOT_FOUND', {
      table: tableName,
      db: target.databaseId,
      hint: ' in the source or the replica; list the source tables with GET /api/validation/mysql-tables',
    });
  }

  const missingColumns = mysql.columns.filter((column) => !duckdb.columns.includes(column));
  const extraColumns = duckdb.columns.filter((column) => !mysql.columns.includes(column));
  const columnsMatch = mysql.exists && duckdb.exists && missingColumns.length === 0 && extraColumns.length === 0;
  const error = classify(mysql, duckdb, columnsMatch, missingColumns, extraColumns);
  return {
    primaryKey: sourceTable ? [...sourceTable.key.columns] : [],
    duckdb,
    mysql,
    columnsMatch,
    missingColumns,
    extraColumns,
    errorType: error?.type ?? null,
    errorMessage: error?.message ?? null,
    mysqlCountSkipped: options.skipMySQLCount,
  };
}

function planOrNull(table: SourceTable): TablePlan | null {
  try {
    return planTable(table);
  } catch {
    // An unsupported column type leaves maxId unknown; the columns and counts are still compared.
    return null;
  }
}

async function readSourceSide(
  target: SyncTarget,
  table: SourceTable,
  plan: TablePlan | null,
  orders: KeyColumnOrder[] | null,
  skipCount: boolean,
): Promise<TableSideDetails> {
  const snapshot = await target.source.openSnapshot();
  try {
    const columns = table.columns.map((column) => column.name);
    const recordCount = skipCount ? null : await countSourceRows(snapshot, table.name);
    const maxId = plan && orders ? await sourceMaxId(snapshot, table, plan, orders) : null;
    const integerKey = integerKeyColumn(table);
    const checksum = integerKey === null ? null : await sourceKeySum(snapshot, table.name, integerKey);
    return { exists: true, columnCount: columns.length, recordCount, columns, maxId, checksum };
  } finally {
    await snapshot.release();
  }
}

async function sourceMaxId(snapshot: SourceSnapshot, table: SourceTable, plan: TablePlan, orders: KeyColumnOrder[]): Promise<string | null> {
  const select = orders.map((order) => quoteMysqlIdentifier(order.name)).join(', ');
  const orderBy = orders.map((order) => `${order.sourceExpression} DESC`).join(', ');
  const sql = `SELECT ${select} FROM ${quoteMysqlIdentifier(table.name)} ORDER BY ${orderBy} LIMIT 1`;
  let row: unknown[] | undefined;
  for await (const batch of snapshot.readQueryBatches({ sql, values: [], rawByteColumns: hasRawByteColumns(table) })) row ??= batch[0];
  if (!row) return null;

  const encoded = orders.map((order, position) => {
    const column = plan.columns[order.index]!;
    const item = column.toItem(row[position]);
    return createEncoder(column.type)(item === NULLED ? null : item);
  });
  return keyText(encoded);
}

async function sourceKeySum(snapshot: SourceSnapshot, table: string, column: string): Promise<string | null> {
  const rows = await sourceRows(snapshot, `SELECT CAST(SUM(${quoteMysqlIdentifier(column)}) AS CHAR) FROM ${quoteMysqlIdentifier(table)}`);
  const sum = rows[0]?.[0];
  return sum === null || sum === undefined ? null : String(sum);
}

async function readReplicaSide(
  reader: DuckDBConnection,
  table: string,
  sourceTable: SourceTable | null,
  orders: KeyColumnOrder[] | null,
): Promise<TableSideDetails> {
  if (!(await mainTableExists(reader, table))) return ABSENT;
  const columns = await replicaColumns(reader, table);
  const recordCount = await countRows(reader, table);

  let maxId: string | null = null;
  if (orders && orders.every((order) => columns.includes(order.name))) {
    const select = orders.map((order) => quoteIdentifier(order.name)).join(', ');
    const orderBy = orders.map((order) => `${order.replicaExpression} DESC`).join(', ');
    const result = await reader.runAndReadAll(`SELECT ${select} FROM ${replicaTableName(table)} ORDER BY ${orderBy} LIMIT 1`);
    const row = result.getRows()[0];
    const types = result.columnTypes();
    if (row) maxId = keyText(row.map((value: DuckDBValue, index) => createEncoder(types[index]!)(value)));
  }

  let checksum: string | null = null;
  const integerKey = sourceTable ? integerKeyColumn(sourceTable) : null;
  if (integerKey !== null && columns.includes(integerKey)) {
    const result = await reader.runAndReadAll(`SELECT CAST(sum(${quoteIdentifier(integerKey)}) AS VARCHAR) AS total FROM ${replicaTableName(table)}`);
    const total = result.getRowObjectsJS()[0]?.total;
    checksum = total === null || total === undefined ? null : String(total);
  }
  return { exists: true, columnCount: columns.length, recordCount, columns, maxId, checksum };
}

/** Returns the single integer key column, else null. */
function integerKeyColumn(table: SourceTable): string | null {
  if (table.key.columns.length !== 1) return null;
  const column = table.columns.find((candidate) => candidate.name === table.key.columns[0]);
  return column && INTEGER_TYPES.has(column.dataType) ? column.name : null;
}

/** Renders a single key value as its text form, and a composite key as a JSON array. */
function keyText(encoded: EncodedValue[]): string {
  return encoded.length === 1 ? textForm(encoded[0]!) : JSON.stringify(encoded);
}

/** Returns the first problem in the documented order, with a message that names the values. */
function classify(
  mysql: TableSideDetails,
  duckdb: TableSideDetails,
  columnsMatch: boolean,
  missing: string[],
  extra: string[],
): { type: TableErrorType; message: string } | null {
  if (mysql.exists && duckdb.exists) {
    if (!columnsMatch) {
      return { type: 'schema_mismatch', message: `columns differ: missing in the replica [${missing.join(', ')}], only in the replica [${extra.join(', ')}]; run a full sync of the table` };
    }
    if (mysql.maxId !== duckdb.maxId) {
      return { type: 'max_id_mismatch', message: `greatest key differs: source ${mysql.maxId ?? 'none'}, replica ${duckdb.maxId ?? 'none'}` };
    }
    if (mysql.checksum !== duckdb.checksum) {
      return { type: 'checksum_mismatch', message: `sum of the key differs: source ${mysql.checksum ?? 'none'}, replica ${duckdb.checksum ?? 'none'}` };
    }
    if (mysql.recordCount !== null && mysql.recordCount !== duckdb.recordCount) {
      return { type: 'record_count_mismatch', message: `row counts differ: source ${mysql.recordCount}, replica ${duckdb.recordCount}` };
    }
    return null;
  }
  if (mysql.exists) return { type: 'missing_in_duckdb', message: 'the table exists at the source but not in the replica; sync it' };
  return { type: 'orphaned_in_duckdb', message: 'the table exists in the replica but not at the source (dropped or renamed there)' };
}
