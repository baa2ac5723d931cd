/**
 * Reconciliation of one keyed table. The source is scanned in binary key order in chunks of
 * `CHECKSUM_CHUNK_ROWS` keys, and each chunk is compared with the replica rows between its first
 * key and the next chunk's first key (the same chunk bounds as a checksum validation). A replica
 * key the chunk lacks is deleted only after a point lookup confirms it is absent;
 * a source key the replica lacks is copied; with `content`, a row whose values differ is re-copied.
 * Each chunk's repair is one writer transaction.
 */
import type { DuckDBConnection, DuckDBType, DuckDBValue } from '@duckdb/node-api';
import { NULLED, type TablePlan } from '../catalog/index.js';
import { createEncoder, type ValueEncoder } from '../catalog/encode.js';
import { quoteIdentifier, type Replica } from '../replica/index.js';
import { hasRawByteColumns, quoteMysqlIdentifier, selectList, type SourceSnapshot, type SourceTable } from '../source/index.js';
import { CHECKSUM_CHUNK_ROWS } from './validation/index.js';
import { keyColumnOrders, readReplicaKeyRange, type KeyColumnOrder } from './validation/key-order.js';

/** Counters of one table's reconciliation. */
export interface TableRepairCounts {
  chunks: number;
  mismatchedChunks: number;
  rowsDeleted: number;
  rowsRepaired: number;
}

/** What one table's reconciliation needs. */
interface TableContext {
  /** Answers the point lookups; the scan holds the other snapshot's connection while it streams. */
  lookups: SourceSnapshot;
  replica: Replica;
  table: SourceTable;
  plan: TablePlan;
  orders: KeyColumnOrder[];
  encoders: ValueEncoder[];
  content: boolean;
  counts: TableRepairCounts;
}

/** One row in the comparison form: its values, its key as text and the whole row as text. */
interface ComparedRow {
  values: DuckDBValue[];
  key: string;
  text: string;
}

/**
 * Reconciles `table` chunk by chunk; the caller checked that it has a key and an up-to-date replica
 * table. `lookups` must be a second snapshot opened no earlier than `snapshot`, so a key it finds
 * was present at or after the scan's view and its replica row stays.
 */
export async function reconcileTable(
  snapshot: SourceSnapshot,
  lookups: SourceSnapshot,
  replica: Replica,
  table: SourceTable,
  plan: TablePlan,
  content: boolean,
): Promise<TableRepairCounts> {
  const orders = keyColumnOrders(table, plan);
  const context: TableContext = {
    lookups, replica, table, plan, orders, content,
    encoders: plan.columns.map((column) => createEncoder(column.type)),
    counts: { chunks: 0, mismatchedChunks: 0, rowsDeleted: 0, rowsRepaired: 0 },
  };

  // A full chunk waits for the next source row, whose key is the chunk's upper replica bound.
  let chunk: ComparedRow[] = [];
  let lowerKey: DuckDBValue[] | null = null;
  for await (const batch of snapshot.readQueryBatches(orderedScan(table, orders))) {
    for (const sourceRow of batch) {
      const row = compared(context, convertRow(plan, sourceRow));
      if (chunk.length === CHECKSUM_CHUNK_ROWS) {
        const upperKey = keyValues(context, row.values);
        await reconcileChunk(context, chunk, lowerKey, upperKey);
        lowerKey = upperKey;
        chunk = [];
      }
      chunk.push(row);
    }
  }
  // The last chunk (or the only, possibly empty one) takes every replica row from its lower bound on.
  await reconcileChunk(context, chunk, lowerKey, null);
  return context.counts;
}

async function reconcileChunk(
  context: TableContext,
  sourceRows: readonly ComparedRow[],
  lowerKey: DuckDBValue[] | null,
  upperKey: DuckDBValue[] | null,
): Promise<void> {
  context.counts.chunks += 1;
  const replicaRows = await context.replica.withReader((reader) => readReplicaChunk(context, reader, lowerKey, upperKey));
  const replicaByKey = new Map(replicaRows.map((row) => [row.key, row]));
  const sourceKeys = new Set(sourceRows.map((row) => row.key));

  const copies: ComparedRow[] = [];
  const replaced: ComparedRow[] = [];
  for (const row of sourceRows) {
    const existing = replicaByKey.get(row.key);
    if (!existing) copies.push(row);
    else if (context.content && existing.text !== row.text) replaced.push(row);
  }
  const extra = replicaRows.filter((row) => !sourceKeys.has(row.key));
  const deletions = await confirmAbsent(context, extra);
  if (copies.length === 0 && replaced.length === 0 && deletions.length === 0) return;

  await context.replica.withWriter((writer) => applyRepair(context, writer, [...deletions, ...replaced], [...copies, ...replaced]));
  context.counts.mismatchedChunks += 1;
  context.counts.rowsDeleted += deletions.length;
  context.counts.rowsRepaired += copies.length + replaced.length;
}

/** Keeps the replica rows whose key a point lookup does not find at the source. */
async function confirmAbsent(context: TableContext, rows: readonly ComparedRow[]): Promise<ComparedRow[]> {
  const { table, orders, lookups } = context;
  const where = orders.map((order) => `${quoteMysqlIdentifier(order.name)} = ?`).join(' AND ');
  const sql = `SELECT 1 FROM ${quoteMysqlIdentifier(table.name)} WHERE ${where} LIMIT 1`;
  const absent: ComparedRow[] = [];
  for (const row of rows) {
    const values = orders.map((order) => sourceParameter(row.values[order.index]!));
    let found = false;
    for await (const batch of lookups.readQueryBatches({ sql, values, rawByteColumns: false })) found ||= batch.length > 0;
    if (!found) absent.push(row);
  }
  return absent;
}

/**
 * Maps a replica key value to a source parameter. A text comparison at the source follows the
 * column's collation, so a lookup can only find more keys than binary order does, never fewer:
 * an uncertain match keeps the replica row.
 */
function sourceParameter(value: DuckDBValue): unknown {
  if (value === null || typeof value === 'number' || typeof value === 'string') return value;
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'boolean') return value ? 1 : 0;
  const raw = value as unknown as Record<string, unknown>;
  if (raw.bytes instanceof Uint8Array) return Buffer.from(raw.bytes);
  // NOTE: key values are sent as DuckDB's text form; reconcile-run.ts admits only integer and text keys.
  return String(value);
}

/** Deletes the given keys and inserts the given rows in one transaction, then refreshes the row count. */
async function applyRepair(
  context: TableContext,
  writer: DuckDBConnection,
  deleteRows: readonly ComparedRow[],
  insertRows: readonly ComparedRow[],
): Promise<void> {
  const { plan, orders } = context;
  const live = `main.${quoteIdentifier(plan.table)}`;
  const matchKey = orders.map((order) => `${order.replicaExpression} = ?`).join(' AND ');
  const keyTypes = orders.map((order) => order.boundType);
  const columns = plan.columns.map((column) => quoteIdentifier(column.name)).join(', ');
  const placeholders = plan.columns.map(() => '?').join(', ');
  const columnTypes: DuckDBType[] = plan.columns.map((column) => column.type);

  await writer.run('BEGIN TRANSACTION');
  try {
    // TODO(reconcile): one statement per row is slow for repairs of thousands of rows — stage them and join instead.
    for (const row of deleteRows) {
      const keys = orders.map((order) => order.toBound(row.values[order.index]!));
      await writer.run(`DELETE FROM ${live} WHERE ${matchKey}`, keys, keyTypes);
    }
    for (const row of insertRows) await writer.run(`INSERT INTO ${live} (${columns}) VALUES (${placeholders})`, row.values, columnTypes);
    await writer.run(
      `UPDATE _duckling.tables SET row_count = (SELECT count(*) FROM ${live}), updated_at = now() WHERE table_name = $table`,
      { table: plan.table },
    );
    await writer.run('COMMIT');
  } catch (error) {
    // The original error is the one to report; a failed ROLLBACK means the transaction is already gone.
    await writer.run('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/** Replica rows with `lowerKey <= key < upperKey` (a missing bound is open), in comparison form. */
async function readReplicaChunk(
  context: TableContext,
  reader: DuckDBConnection,
  lowerKey: DuckDBValue[] | null,
  upperKey: DuckDBValue[] | null,
): Promise<ComparedRow[]> {
  const rows = await readReplicaKeyRange(reader, context.plan, context.orders, lowerKey, upperKey, false);
  return rows.map((row) => compared(context, row));
}

function compared(context: TableContext, values: DuckDBValue[]): ComparedRow {
  const encoded = values.map((value, index) => context.encoders[index]!(value));
  const key = JSON.stringify(context.orders.map((order) => encoded[order.index]));
  return { values, key, text: JSON.stringify(encoded) };
}

function keyValues(context: TableContext, values: readonly DuckDBValue[]): DuckDBValue[] {
  return context.orders.map((order) => values[order.index]!);
}

/** Converts one source row through the plan; zero dates become NULL as in a sync. */
function convertRow(plan: TablePlan, row: readonly unknown[]): DuckDBValue[] {
  return plan.columns.map((column, index) => {
    const item = column.toItem(row[index]);
    return item === NULLED ? null : item;
  });
}

/** Source SELECT of the whole table in binary key order. */
function orderedScan(table: SourceTable, orders: readonly KeyColumnOrder[]) {
  const orderBy = orders.map((order) => order.sourceExpression).join(', ');
  return {
    sql: `SELECT ${selectList(table.columns)} FROM ${quoteMysqlIdentifier(table.name)} ORDER BY ${orderBy}`,
    values: [],
    rawByteColumns: hasRawByteColumns(table),
  };
}
