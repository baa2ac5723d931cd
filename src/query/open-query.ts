/**
 * One query between its slot grant and its release: the reader connection, the prepared statement
 * and the streaming result, read chunk by chunk. DuckDB computes chunks of up to 2,048 rows on
 * demand, so a capped result finds out whether more rows exist without reading them all.
 */
import type { DuckDBDataChunk, DuckDBPreparedStatement, DuckDBResult, DuckDBType, DuckDBValue } from '@duckdb/node-api';
import { createEncoder, type ValueEncoder } from '../catalog/encode.js';
import { DucklingError } from '../errors/index.js';
import type { ReaderLease, Replica } from '../replica/index.js';
import { isInterruptError, toQueryError } from './duckdb-errors.js';
import type { QuerySlot } from './governor.js';
import { bindParameters } from './parameters.js';
import { prepareReadOnlyStatement } from './statement-check.js';
import type { VerdictCache } from './syntax-tree.js';
import type { EncodedValue, QueryParams, ResultColumn } from './types.js';

export class OpenQuery {
  private closed = false;

  private constructor(
    private readonly slot: QuerySlot,
    private readonly lease: ReaderLease,
    private readonly prepared: DuckDBPreparedStatement,
    private readonly result: DuckDBResult,
    private readonly detachInterrupt: () => void,
    readonly columns: ResultColumn[],
    private readonly encoders: ValueEncoder[],
  ) {}

  /**
   * Borrows a reader, checks and prepares the statement, binds `params` and starts the streaming
   * result. Releases everything it took, including `slot`, when it fails.
   */
  static async open(slot: QuerySlot, replica: Replica, sql: string, params: QueryParams, verdicts?: VerdictCache): Promise<OpenQuery> {
    let lease: ReaderLease | null = null;
    let prepared: DuckDBPreparedStatement | null = null;
    // Cancellation (deadline, client abort, shutdown) interrupts whatever runs on the connection.
    const interrupt = (): void => lease?.connection.interrupt();
    slot.signal.addEventListener('abort', interrupt);
    const detachInterrupt = (): void => slot.signal.removeEventListener('abort', interrupt);

    try {
      lease = await acquireReaderUnlessCancelled(replica, slot.signal);
      prepared = await prepareReadOnlyStatement(lease.connection, sql, verdicts);
      bindParameters(prepared, params);
      const result = await prepared.stream();
      const types = result.columnTypes();
      const columns = uniqueColumnNames(result.columnNames()).map((name, index) => ({ name, type: typeName(types[index]!) }));
      return new OpenQuery(slot, lease, prepared, result, detachInterrupt, columns, types.map(createEncoder));
    } catch (error) {
      detachInterrupt();
      prepared?.destroySync();
      lease?.release();
      slot.release();
      throw cancellationOr(slot, error);
    }
  }

  /** The next non-empty chunk's rows, encoded, or null at the end of the result. */
  async nextRows(): Promise<EncodedValue[][] | null> {
    this.throwIfCancelled();
    let chunk: DuckDBDataChunk | null;
    try {
      chunk = await this.result.fetchChunk();
    } catch (error) {
      throw cancellationOr(this.slot, error);
    }
    if (!chunk || chunk.rowCount === 0) return null;
    return chunk.getRows().map((row) => this.encodeRow(row));
  }

  /**
   * Throws the cancellation reason once the slot is cancelled. An interrupt stops only work in
   * progress, so a reader of already computed rows checks this between rows.
   */
  throwIfCancelled(): void {
    if (this.slot.signal.aborted) throw this.slot.signal.reason;
  }

  /** Stops the deadline once the first rows are out (streams are then bounded by the client). */
  clearDeadline(): void {
    this.slot.clearDeadline();
  }

  /** Returns the connection to the pool and frees the slot; safe to call more than once. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.detachInterrupt();
    this.prepared.destroySync();
    this.lease.release();
    this.slot.release();
  }

  private encodeRow(row: DuckDBValue[]): EncodedValue[] {
    const encoded = new Array<EncodedValue>(row.length);
    for (let index = 0; index < row.length; index += 1) encoded[index] = this.encoders[index]!(row[index]!);
    return encoded;
  }
}

/** Renames repeated column names to `name_1`, `name_2`…, skipping names already taken. */
export function uniqueColumnNames(names: readonly string[]): string[] {
  const taken = new Set(names);
  const seen = new Set<string>();
  return names.map((name) => {
    if (!seen.has(name)) {
      seen.add(name);
      return name;
    }
    let suffix = 1;
    while (taken.has(`${name}_${suffix}`)) suffix += 1;
    const renamed = `${name}_${suffix}`;
    taken.add(renamed);
    seen.add(renamed);
    return renamed;
  });
}

/** After a cancellation the DuckDB error is only "Interrupted", so the slot's reason is returned in its place. */
function cancellationOr(slot: QuerySlot, error: unknown): unknown {
  if (slot.signal.aborted) return slot.signal.reason;
  if (isInterruptError(error)) {
    return new DucklingError('DUCKLING_INTERNAL', { detail: 'the query was interrupted without a cancellation' }, { cause: error });
  }
  return toQueryError(error);
}

/** Waits for a pooled reader, unless the slot is cancelled first; a late reader goes back. */
function acquireReaderUnlessCancelled(replica: Replica, signal: AbortSignal): Promise<ReaderLease> {
  if (signal.aborted) return Promise.reject(signal.reason);
  const pending = replica.acquireReader();
  return new Promise<ReaderLease>((resolve, reject) => {
    const onAbort = (): void => {
      reject(signal.reason);
      pending.then((lease) => lease.release(), () => undefined);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    pending.then(
      (lease) => {
        signal.removeEventListener('abort', onAbort);
        if (signal.aborted) lease.release();
        else resolve(lease);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/** DuckDB's name of a result type; alias types such as JSON keep their alias instead of `VARCHAR`. */
function typeName(type: DuckDBType): string {
  return type.alias ?? type.toString();
}
