/**
 * Chunked table checksums. Both sides are read in binary key order, and the source defines chunks
 * of `CHECKSUM_CHUNK_ROWS` keys. The replica chunk contains the replica rows from that chunk's first
 * key up to the next chunk's first key, so a missing or extra replica row changes one chunk only.
 * Every row is encoded with the query encoder: source values pass through the table's type plan
 * first, so both sides hash identical JSON text when the values are equal.
 */
import { createHash, type Hash } from 'node:crypto';
import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import { NULLED, type TablePlan } from '../../catalog/index.js';
import { createEncoder, type ValueEncoder } from '../../catalog/encode.js';
import { hasRawByteColumns, quoteMysqlIdentifier, selectList, type SourceSnapshot, type SourceTable } from '../../source/index.js';
import { compareKeys, keyColumnOrders, readReplicaKeyRange, type KeyColumnOrder } from './key-order.js';
import type { MismatchedRange } from './types.js';

/** Keys per checksum chunk. */
export const CHECKSUM_CHUNK_ROWS = 10_000;

export interface TableChecksum {
  /** SHA-256 (hex) of the source chunk hashes in key order. */
  mysqlChecksum: string;
  /** SHA-256 (hex) of the replica chunk hashes in key order. */
  duckdbChecksum: string;
  chunks: number;
  mismatchedRanges: MismatchedRange[];
}

/** The source rows of one chunk, reduced to what the comparison needs. */
interface SourceChunk {
  hash: string;
  rows: number;
  firstKey: DuckDBValue[] | null;
  lastKey: DuckDBValue[] | null;
}

/** Rows of one side of a chunk as they are hashed. */
class ChunkHasher {
  private readonly hash: Hash = createHash('sha256');
  rows = 0;
  firstKey: DuckDBValue[] | null = null;
  lastKey: DuckDBValue[] | null = null;

  constructor(
    private readonly encoders: readonly ValueEncoder[],
    private readonly keyIndexes: readonly number[],
  ) {}

  add(values: readonly DuckDBValue[]): void {
    const encoded = values.map((value, index) => this.encoders[index]!(value));
    this.hash.update(`${JSON.stringify(encoded)}\n`);
    const key = this.keyIndexes.map((index) => values[index]!);
    this.firstKey ??= key;
    this.lastKey = key;
    this.rows += 1;
  }

  digest(): string {
    return this.hash.digest('hex');
  }
}

/** Computes the checksums of a keyed table on both sides and the key ranges whose chunks differ. */
export async function checksumTable(
  snapshot: SourceSnapshot,
  reader: DuckDBConnection,
  table: SourceTable,
  plan: TablePlan,
): Promise<TableChecksum> {
  const orders = keyColumnOrders(table, plan);
  const keyIndexes = orders.map((order) => order.index);
  const encoders = plan.columns.map((column) => createEncoder(column.type));
  const sourceTotal = createHash('sha256');
  const replicaTotal = createHash('sha256');
  const mismatchedRanges: MismatchedRange[] = [];
  let chunks = 0;

  // A finished source chunk waits for the next chunk's first key, which is its replica upper bound.
  let pending: SourceChunk | null = null;
  const compareChunk = async (chunk: SourceChunk, lowerKey: DuckDBValue[] | null, upperKey: DuckDBValue[] | null): Promise<void> => {
    const replica = await hashReplicaChunk(reader, plan, orders, encoders, lowerKey, upperKey);
    chunks += 1;
    sourceTotal.update(Buffer.from(chunk.hash, 'hex'));
    replicaTotal.update(Buffer.from(replica.hash, 'hex'));
    if (replica.hash !== chunk.hash) mismatchedRanges.push(describeRange(chunk, replica, encoders, keyIndexes));
  };

  let current = new ChunkHasher(encoders, keyIndexes);
  for await (const batch of snapshot.readQueryBatches(orderedScanQuery(table, orders))) {
    for (const row of batch) {
      if (current.rows === CHECKSUM_CHUNK_ROWS) {
        pending = finish(current);
        current = new ChunkHasher(encoders, keyIndexes);
      }
      current.add(convertRow(plan, row));
      if (pending !== null && current.rows === 1) {
        await compareChunk(pending, chunks === 0 ? null : pending.firstKey, current.firstKey);
        pending = null;
      }
    }
  }
  // The last chunk (or the only, empty one) takes every replica row from its first key on.
  const last = finish(current);
  await compareChunk(last, chunks === 0 ? null : last.firstKey, null);

  return { mysqlChecksum: sourceTotal.digest('hex'), duckdbChecksum: replicaTotal.digest('hex'), chunks, mismatchedRanges };
}

function finish(hasher: ChunkHasher): SourceChunk {
  return { hash: hasher.digest(), rows: hasher.rows, firstKey: hasher.firstKey, lastKey: hasher.lastKey };
}

/** Source SELECT of the whole table in binary key order. */
function orderedScanQuery(table: SourceTable, orders: readonly KeyColumnOrder[]) {
  const orderBy = orders.map((order) => order.sourceExpression).join(', ');
  return {
    sql: `SELECT ${selectList(table.columns)} FROM ${quoteMysqlIdentifier(table.name)} ORDER BY ${orderBy}`,
    values: [],
    rawByteColumns: hasRawByteColumns(table),
  };
}

/** Converts one source row through the plan into DuckDB values; zero dates become NULL as in a sync. */
function convertRow(plan: TablePlan, row: readonly unknown[]): DuckDBValue[] {
  return plan.columns.map((column, index) => {
    const item = column.toItem(row[index]);
    return item === NULLED ? null : item;
  });
}

/** Hashes the replica rows with `lowerKey <= key < upperKey` (a missing bound is open). */
async function hashReplicaChunk(
  reader: DuckDBConnection,
  plan: TablePlan,
  orders: readonly KeyColumnOrder[],
  encoders: readonly ValueEncoder[],
  lowerKey: DuckDBValue[] | null,
  upperKey: DuckDBValue[] | null,
): Promise<{ hash: string; hasher: ChunkHasher }> {
  const rows = await readReplicaKeyRange(reader, plan, orders, lowerKey, upperKey, true);

  const hasher = new ChunkHasher(encoders, orders.map((order) => order.index));
  for (const row of rows) hasher.add(row);
  return { hash: hasher.digest(), hasher };
}

/** Describes the key range that covers the chunk's rows on both sides, with keys in the result encoding. */
function describeRange(
  chunk: SourceChunk,
  replica: { hasher: ChunkHasher },
  encoders: readonly ValueEncoder[],
  keyIndexes: readonly number[],
): MismatchedRange {
  const firsts = [chunk.firstKey, replica.hasher.firstKey].filter((key): key is DuckDBValue[] => key !== null);
  const lasts = [chunk.lastKey, replica.hasher.lastKey].filter((key): key is DuckDBValue[] => key !== null);
  const from = firsts.reduce((best, key) => (compareKeys(key, best) < 0 ? key : best));
  const to = lasts.reduce((best, key) => (compareKeys(key, best) > 0 ? key : best));
  const encodeKey = (key: DuckDBValue[]) => key.map((value, position) => encoders[keyIndexes[position]!]!(value));
  return { fromKey: encodeKey(from), toKey: encodeKey(to), mysqlRows: chunk.rows, duckdbRows: replica.hasher.rows };
}
