import type { DuckDBAppender, DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import { quoteIdentifier } from '../replica/index.js';
import { ValueConversionError, type TablePlan } from '../catalog/index.js';

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

  add(column: string): void {
    this.byColumn[column] = (this.byColumn[column] ?? 0) + 1;
  }

  get total(): number {
    return Object.values(this.byColumn).reduce((sum, count) => sum + count, 0);
  }
}

/** Destination of converted rows: the staging table, through the Appender or through INSERT. */
export interface RowSink {
  append(row: readonly unknown[]): Promise<void> | void;
  /** Makes every row appended so far durable in staging. */
  flush(): Promise<void>;
  close(): void;
}

/** Fast path: DuckDB's Appender on the load connection. */
export class AppenderSink implements RowSink {
  private constructor(
    private readonly appender: DuckDBAppender,
    private readonly plan: TablePlan,
    private readonly nulls: NullCounter,
  ) {}

  static async create(connection: DuckDBConnection, staging: string, plan: TablePlan, nulls: NullCounter): Promise<AppenderSink> {
    try {
      return new AppenderSink(await connection.createAppender(staging, 'main'), plan, nulls);
    } catch (error) {
      throw new SinkFailure('appender', error);
    }
  }

  append(row: readonly unknown[]): void {
    const columns = this.plan.columns;
    for (let index = 0; index < columns.length; index += 1) {
      const column = columns[index]!;
      let outcome: 'ok' | 'nulled';
      try {
        outcome = column.append(this.appender, row[index]);
      } catch (error) {
        if (error instanceof ValueConversionError) throw error;
        throw new SinkFailure('appender', error);
      }
      if (outcome === 'nulled') this.nulls.add(column.name);
    }
    try {
      this.appender.endRow();
    } catch (error) {
      throw new SinkFailure('appender', error);
    }
  }

  async flush(): Promise<void> {
    try {
      this.appender.flushSync();
    } catch (error) {
      throw new SinkFailure('appender', error);
    }
  }

  close(): void {
    try {
      this.appender.closeSync();
    } catch {
      // Closing after a failed append raises the same failure again, and the load already reports it.
    }
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
      await this.connection.run(`INSERT INTO main.${quoteIdentifier(this.staging)} (${names}) VALUES ${rows.join(', ')}`, values);
    } catch (error) {
      throw new SinkFailure('insert', error);
    }
  }

  close(): void {
    this.pending = [];
    this.pendingRows = 0;
  }
}
