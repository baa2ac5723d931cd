import { DuckDBDataChunk, DuckDBVector, type DuckDBAppender, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';
import { quoteIdentifier, type LoadGate } from '../replica/index.js';
import { NULLED, ValueConversionError, type ColumnPlan, type TablePlan } from '../catalog/index.js';

/**
 * An Appender or INSERT failure that is not a value conversion. The load retries once through
 * the other sink, but a conversion failure is never retried.
 */
export class SinkFailure extends Error {
  constructor(readonly sink: 'appender' | 'insert', cause: unknown) {
    super(`${sink} failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'SinkFailure';
  }
}

/** Counts zero and partial dates stored as NULL, per column. */
export class NullCounter {
  readonly byColumn: Record<string, number>;

  constructor(initial: Record<string, number> = {}) {
    this.byColumn = { ...initial };
  }

  add(column: string, count = 1): void {
    this.byColumn[column] = (this.byColumn[column] ?? 0) + count;
  }

  get total(): number {
    return Object.values(this.byColumn).reduce((sum, count) => sum + count, 0);
  }
}

/** Destination of converted rows: the staging table, through the Appender or through INSERT. */
export interface RowSink {
  /**
   * Takes one source row. A sink may buffer rows and convert them later, so a conversion
   * failure can surface at a later `append` or at `flush`, as `RowConversionError` naming its row.
   */
  append(row: readonly unknown[]): Promise<void> | void;
  /** Makes every row appended so far durable in staging. */
  flush(): Promise<void>;
  close(): void;
}

/** Rows per DataChunk: DuckDB's standard vector size. */
const CHUNK_ROWS = DuckDBVector.standardSize();

/**
 * A value that failed conversion while a buffered row was copied into a DataChunk, with the row
 * it belongs to, so the load can name that row's key.
 */
export class RowConversionError extends Error {
  constructor(readonly row: readonly unknown[], readonly conversion: ValueConversionError) {
    super(conversion.message, { cause: conversion });
    this.name = 'RowConversionError';
  }
}

/** Runs a sink's write directly when no gate is given. */
const UNGATED = { run: <T>(write: () => Promise<T>): Promise<T> => write() };

/**
 * Fast path: DuckDB's Appender on the load connection, fed one DataChunk per 2,048 rows. The
 * rows are converted column by column into what each vector stores (numbers, bigints, scaled
 * decimals, epoch units, strings), so DuckDB casts nothing. Each converted value is dropped
 * right after it is copied, so it dies young instead of being promoted by the garbage collector.
 */
export class AppenderSink implements RowSink {
  private readonly rows: (readonly unknown[])[] = new Array<readonly unknown[]>(CHUNK_ROWS);
  private bufferedRows = 0;

  private constructor(
    private readonly appender: DuckDBAppender,
    private readonly chunk: DuckDBDataChunk,
    private readonly plan: TablePlan,
    private readonly nulls: NullCounter,
    private readonly gate: Pick<LoadGate, 'run'>,
  ) {}

  /**
   * `gate` delays each flush while a backup copies the replica.
   * NOTE: DuckDB's Appender also flushes on its own once it buffers FLUSH_COUNT rows (2,048 × 100
   * in DuckDB's appender.hpp). The gate does not see that flush, so a flush interval above 204,800
   * rows lets a load write while a backup copies the file.
   */
  static async create(
    connection: DuckDBConnection,
    staging: string,
    plan: TablePlan,
    nulls: NullCounter,
    gate: Pick<LoadGate, 'run'> = UNGATED,
  ): Promise<AppenderSink> {
    try {
      const appender = await connection.createAppender(staging, 'main');
      if (appender.columnCount !== plan.columns.length) {
        appender.closeSync();
        throw new Error(`staging table ${staging} has ${appender.columnCount} columns but the type plan has ${plan.columns.length}`);
      }
      // The chunk takes the staging table's own column types, so the Appender never casts it.
      const types = Array.from({ length: appender.columnCount }, (_, index) => appender.columnType(index));
      return new AppenderSink(appender, DuckDBDataChunk.create(types), plan, nulls, gate);
    } catch (error) {
      throw new SinkFailure('appender', error);
    }
  }

  /**
   * Buffers the row. The conversion runs when the chunk fills or at `flush`, and both throw
   * `RowConversionError` for a value the plan cannot store.
   */
  append(row: readonly unknown[]): void {
    this.rows[this.bufferedRows] = row;
    this.bufferedRows += 1;
    if (this.bufferedRows === CHUNK_ROWS) this.appendChunk();
  }

  async flush(): Promise<void> {
    await this.gate.run(async () => {
      this.appendChunk();
      try {
        this.appender.flushSync();
      } catch (error) {
        throw new SinkFailure('appender', error);
      }
    });
  }

  close(): void {
    try {
      this.appender.closeSync();
    } catch {
      // Closing after a failed append raises the same failure again, and the load already reports it.
    }
  }

  /** Converts the buffered rows into the chunk's vectors and hands the chunk to the Appender. */
  private appendChunk(): void {
    const rowCount = this.bufferedRows;
    if (rowCount === 0) return;
    this.bufferedRows = 0;
    try {
      this.chunk.reset();
      this.chunk.rowCount = rowCount;
      const columns = this.plan.columns;
      for (let index = 0; index < columns.length; index += 1) {
        this.fillVector(this.chunk.getColumnVector(index), columns[index]!, index, rowCount);
      }
      this.appender.appendDataChunk(this.chunk);
    } catch (error) {
      if (error instanceof RowConversionError) throw error;
      throw new SinkFailure('appender', error);
    }
  }

  private fillVector(vector: DuckDBVector, column: ColumnPlan, columnIndex: number, rowCount: number): void {
    const rows = this.rows;
    let nulled = 0;
    for (let rowIndex = 0; rowIndex < rowCount; rowIndex += 1) {
      const row = rows[rowIndex]!;
      let item: DuckDBValue | null | typeof NULLED;
      try {
        item = column.toItem(row[columnIndex]);
      } catch (error) {
        if (error instanceof ValueConversionError) throw new RowConversionError(row, error);
        throw error;
      }
      if (item === NULLED) {
        nulled += 1;
        item = null;
      }
      vector.setItem(rowIndex, item);
    }
    vector.flush();
    if (nulled > 0) this.nulls.add(column.name, nulled);
  }
}

/** Fallback path: parameterised multi-row INSERTs of `batchSize` rows. */
export class InsertSink implements RowSink {
  private pending: DuckDBValue[] = [];
  private pendingRows = 0;
  private readonly rowPlaceholder: (base: number) => string;

  constructor(
    private readonly connection: DuckDBConnection,
    private readonly staging: string,
    private readonly plan: TablePlan,
    private readonly nulls: NullCounter,
    private readonly batchSize: number,
    /** Holds each INSERT while a backup copies the replica. */
    private readonly gate: Pick<LoadGate, 'run'> = UNGATED,
  ) {
    const types = plan.columns.map((column) => column.duckdbType);
    this.rowPlaceholder = (base) => `(${types.map((type, index) => `CAST($${base + index + 1} AS ${type})`).join(', ')})`;
  }

  async append(row: readonly unknown[]): Promise<void> {
    const columns = this.plan.columns;
    for (let index = 0; index < columns.length; index += 1) {
      const column = columns[index]!;
      const converted = column.toParameter(row[index]);
      if (converted.nulled) this.nulls.add(column.name);
      this.pending.push(converted.value as DuckDBValue);
    }
    this.pendingRows += 1;
    if (this.pendingRows >= this.batchSize) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.pendingRows === 0) return;
    const width = this.plan.columns.length;
    const rows = Array.from({ length: this.pendingRows }, (_, row) => this.rowPlaceholder(row * width));
    const names = this.plan.columns.map((column) => quoteIdentifier(column.name)).join(', ');
    const values = this.pending;
    this.pending = [];
    this.pendingRows = 0;
    try {
      const sql = `INSERT INTO main.${quoteIdentifier(this.staging)} (${names}) VALUES ${rows.join(', ')}`;
      await this.gate.run(() => this.connection.run(sql, values));
    } catch (error) {
      throw new SinkFailure('insert', error);
    }
  }

  close(): void {
    this.pending = [];
    this.pendingRows = 0;
  }
}
