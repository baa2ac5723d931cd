/**
 * Binary key order shared by both sides of a checksum. The source sorts text-like keys by their
 * UTF-8 bytes, which is DuckDB's VARCHAR order. Every other key type already sorts the same on both
 * sides (integers, decimals up to 38 digits, temporal, binary).
 * NOTE: JSON keys compare the source's stored text with DuckDB's canonical text, so their order can differ.
 */
import { VARCHAR, type DuckDBConnection, type DuckDBType, type DuckDBValue } from '@duckdb/node-api';
import type { SourceColumn, TablePlan } from '../../catalog/index.js';
import { quoteIdentifier } from '../../replica/index.js';
import { quoteMysqlIdentifier, type SourceTable } from '../../source/index.js';

/** Source types compared as text; DECIMAL above 38 digits is stored as its text, so it sorts as text too. */
const TEXT_ORDER_TYPES = new Set([
  'char', 'varchar', 'tinytext', 'text', 'mediumtext', 'longtext', 'enum', 'set', 'json', 'uuid', 'inet4', 'inet6',
]);

/** One key column as both sides order and bound it. */
export interface KeyColumnOrder {
  name: string;
  /** Position of the column in the plan's column list. */
  index: number;
  /** Source ORDER BY expression. */
  sourceExpression: string;
  /** DuckDB expression compared with bound values. */
  replicaExpression: string;
  /** Type of the bound value in DuckDB. */
  boundType: DuckDBType;
  /** Turns a converted source value into the value bound against `replicaExpression`. */
  toBound(item: DuckDBValue): DuckDBValue;
}

function ordersAsText(column: SourceColumn): boolean {
  if (column.dataType === 'decimal' || column.dataType === 'numeric') return (column.numericPrecision ?? 10) > 38;
  return TEXT_ORDER_TYPES.has(column.dataType);
}

/** Builds the key order of a keyed table; the caller checks that the table has a key. */
export function keyColumnOrders(table: SourceTable, plan: TablePlan): KeyColumnOrder[] {
  return plan.keyColumns.map((name) => {
    const index = plan.columns.findIndex((column) => column.name === name);
    const column = table.columns.find((candidate) => candidate.name === name);
    if (index < 0 || !column) throw new Error(`key column ${name} is not a column of table ${table.name}`);

    const sourceName = quoteMysqlIdentifier(name);
    const replicaName = quoteIdentifier(name);
    const plannedType = plan.columns[index]!.type;
    if (!ordersAsText(column)) {
      return { name, index, sourceExpression: sourceName, replicaExpression: replicaName, boundType: plannedType, toBound: (item) => item };
    }
    // CAST to CHAR first: MariaDB's CAST(inet6 AS BINARY) gives the 16 stored bytes, not the text.
    const sourceExpression = `CAST(CAST(${sourceName} AS CHAR CHARACTER SET utf8mb4) AS BINARY)`;
    // DuckDB's UUID order is numeric; its text sorts like the source's text.
    const isUuid = column.dataType === 'uuid';
    return {
      name,
      index,
      sourceExpression,
      replicaExpression: isUuid ? `CAST(${replicaName} AS VARCHAR)` : replicaName,
      boundType: isUuid ? VARCHAR : plannedType,
      toBound: isUuid ? (item) => String(item) : (item) => item,
    };
  });
}

type Comparable = number | bigint | Buffer;

/** Maps a DuckDB value (converted from the source or read from the replica) to a value with the same order. */
function comparable(value: DuckDBValue): Comparable {
  if (typeof value === 'number' || typeof value === 'bigint') return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  if (value === null) return -Infinity;
  const raw = value as unknown as Record<string, unknown>;
  for (const field of ['micros', 'millis', 'seconds', 'nanos', 'days']) {
    const part = raw[field];
    if (typeof part === 'bigint' || typeof part === 'number') return part;
  }
  if (typeof raw.value === 'bigint') return raw.value;
  if (raw.bytes instanceof Uint8Array) return Buffer.from(raw.bytes);
  return Buffer.from(String(value), 'utf8');
}

function compareValues(left: DuckDBValue, right: DuckDBValue): number {
  const a = comparable(left);
  const b = comparable(right);
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return Buffer.compare(a, b);
  if (Buffer.isBuffer(a) || Buffer.isBuffer(b)) return 0;
  if (a < b) return -1;
  if (a > b) return 1;
  return 0;
}

/** Compares two key tuples in binary key order; used only to report the ends of a mismatched range. */
export function compareKeys(left: readonly DuckDBValue[], right: readonly DuckDBValue[]): number {
  for (let index = 0; index < left.length; index += 1) {
    const order = compareValues(left[index]!, right[index]!);
    if (order !== 0) return order;
  }
  return 0;
}

/**
 * DuckDB predicate `key >= bound` (or `key < bound` with `lower=false`) over a key tuple, in the
 * expanded form `k1 > ? OR (k1 = ? AND k2 >= ?)`, with its bound values appended to `values`.
 */
export function replicaBoundPredicate(
  orders: readonly KeyColumnOrder[],
  bound: readonly DuckDBValue[],
  lower: boolean,
  values: DuckDBValue[],
  types: DuckDBType[],
): string {
  const build = (index: number): string => {
    const order = orders[index]!;
    const value = order.toBound(bound[index]!);
    const strict = lower ? '>' : '<';
    if (index === orders.length - 1) {
      values.push(value);
      types.push(order.boundType);
      return `${order.replicaExpression} ${lower ? '>=' : '<'} ?`;
    }
    values.push(value, value);
    types.push(order.boundType, order.boundType);
    const rest = build(index + 1);
    return `(${order.replicaExpression} ${strict} ? OR (${order.replicaExpression} = ? AND ${rest}))`;
  };
  return build(0);
}

/**
 * Reads the replica rows whose key lies in `[lowerKey, upperKey)` (an open end where a bound is
 * null), all columns of the plan, ordered by the binary key order when `ordered` is set.
 */
export async function readReplicaKeyRange(
  reader: DuckDBConnection,
  plan: TablePlan,
  orders: readonly KeyColumnOrder[],
  lowerKey: readonly DuckDBValue[] | null,
  upperKey: readonly DuckDBValue[] | null,
  ordered: boolean,
): Promise<DuckDBValue[][]> {
  const values: DuckDBValue[] = [];
  const types: DuckDBType[] = [];
  const predicates: string[] = [];
  if (lowerKey) predicates.push(replicaBoundPredicate(orders, lowerKey, true, values, types));
  if (upperKey) predicates.push(replicaBoundPredicate(orders, upperKey, false, values, types));

  const columns = plan.columns.map((column) => quoteIdentifier(column.name)).join(', ');
  const where = predicates.length > 0 ? ` WHERE ${predicates.join(' AND ')}` : '';
  const orderBy = ordered ? ` ORDER BY ${orders.map((order) => order.replicaExpression).join(', ')}` : '';
  const sql = `SELECT ${columns} FROM main.${quoteIdentifier(plan.table)}${where}${orderBy}`;
  const result = values.length > 0 ? await reader.runAndReadAll(sql, values, types) : await reader.runAndReadAll(sql);
  return result.getRows();
}
