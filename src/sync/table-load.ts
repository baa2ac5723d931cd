import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import { ValueConversionError, type TablePlan } from '../catalog/index.js';
import type { SourceDatabase, SourceSnapshot, SourceTable } from '../source/index.js';
import type { Replica } from '../replica/index.js';
import { quoteIdentifier } from '../replica/index.js';
import type { Logger } from '../logging/index.js';
import { describeKey } from './key-codec.js';
import { AppenderSink, InsertSink, NullCounter, RowConversionError, type RowSink } from './row-sinks.js';
import { saveSession, type LoadSession } from './sessions.js';
import { countRows, createStagingTable } from './staging.js';
import { WatermarkTracker } from './watermark.js';

/** A value the type plan cannot store. The table fails, naming column, key and value. */
export class ConversionFailure extends Error {
  constructor(key: string, cause: ValueConversionError) {
    super(`cannot store value ${cause.value} of column ${cause.column} at key ${key}: ${cause.reason}`, { cause });
    this.name = 'ConversionFailure';
  }
}

/** Error thrown at a flush when the service is shutting down. The session stays resumable. */
export class LoadStopped extends Error {
  constructor(table: string) {
    super(`load of table ${table} stopped by shutdown; the next run resumes it`);
    this.name = 'LoadStopped';
  }
}

export interface LoadContext {
  replica: Replica;
  source: SourceDatabase;
  table: SourceTable;
  plan: TablePlan;
  batchSize: number;
  flushInterval: number;
  insertBatchSize: number;
  watermarkIndex: number | null;
  logger: Logger;
  shouldStop(): boolean;
  onRows(rowsDone: number): void;
}

export interface LoadOutcome {
  session: LoadSession;
  /** Rows read from the source by this load (a resumed load counts only the rows after its cursor). */
  rowsRead: number;
}

/** Start of a load: a fresh staging table, or a resumable session whose staging contains rows up to its cursor. */
export type LoadStart = { kind: 'fresh'; session: LoadSession } | { kind: 'resume'; session: LoadSession };

/**
 * Streams the table from a consistent snapshot into staging and returns the session to swap.
 * Every `flushInterval` rows it flushes and saves the session, so a crash resumes from the cursor.
 */
export async function loadTable(context: LoadContext, start: LoadStart, sinkKind: 'appender' | 'insert'): Promise<LoadOutcome> {
  const connection = await context.replica.openLoadConnection();
  const snapshot = await context.source.openSnapshot();
  let sink: RowSink | null = null;
  try {
    const session = { ...start.session };
    if (start.kind === 'fresh') {
      session.snapshotPosition = snapshot.position;
      await context.replica.loadGate.run(() => createStagingTable(connection, session.stagingTable, context.plan));
      await context.replica.withWriter((writer) => saveSession(writer, session));
    } else {
      await context.replica.loadGate.run(() => deleteRowsAfterCursor(connection, context.plan, session));
      session.rowsLoaded = await countRows(connection, session.stagingTable);
    }

    const nullCounter = new NullCounter(session.nulledDetail);
    sink = sinkKind === 'appender'
      ? await AppenderSink.create(connection, session.stagingTable, context.plan, nullCounter, context.replica.loadGate)
      : new InsertSink(connection, session.stagingTable, context.plan, nullCounter, context.insertBatchSize, context.replica.loadGate);
    const stream = new LoadStream(context, snapshot, sink, session, nullCounter);
    await stream.run();
    return { session: stream.session, rowsRead: stream.rowsRead };
  } finally {
    sink?.close();
    await snapshot.release();
    connection.closeSync();
  }
}

/** Reads pages (or the single stream of a keyless table) and checkpoints the session at each flush. */
class LoadStream {
  rowsRead = 0;
  private sinceFlush = 0;
  private readonly keyIndexes: number[];
  private readonly tracker: WatermarkTracker | null;
  private readonly startCursor: unknown[] | null;
  private lastRow: unknown[] | null = null;

  constructor(
    private readonly context: LoadContext,
    private readonly snapshot: SourceSnapshot,
    private readonly sink: RowSink,
    public session: LoadSession,
    private readonly nullCounter: NullCounter,
  ) {
    this.keyIndexes = keyColumnIndexes(context.plan);
    this.tracker = context.watermarkIndex === null
      ? null
      : new WatermarkTracker(context.watermarkIndex, this.keyIndexes, session.watermarkMax);
    this.startCursor = session.cursor;
  }

  async run(): Promise<void> {
    if (this.keyIndexes.length === 0) {
      for await (const batch of this.snapshot.readAllBatches(this.context.table)) await this.acceptBatch(batch);
    } else {
      await this.readPages();
    }
    await this.checkpoint({ final: true });
  }

  private async readPages(): Promise<void> {
    const limit = this.context.batchSize;
    for (;;) {
      let pageRows = 0;
      for await (const batch of this.snapshot.readPageBatches(this.context.table, this.lastKey, limit)) {
        pageRows += batch.length;
        await this.acceptBatch(batch);
      }
      this.context.onRows(this.session.rowsLoaded + this.sinceFlush);
      if (pageRows < limit) return;
    }
  }

  /** Appends the rows of one batch, awaiting only where a row's append or flush returns a promise. */
  private async acceptBatch(batch: readonly unknown[][]): Promise<void> {
    for (const row of batch) {
      const pending = this.accept(row);
      if (pending) await pending;
    }
  }

  /**
   * Appends one row and returns a promise only when the sink or a flush has to wait. The
   * Appender path stays synchronous per row, which matters at hundreds of thousands of rows
   * per second.
   */
  private accept(row: unknown[]): Promise<void> | undefined {
    let pending: Promise<void> | void;
    try {
      pending = this.sink.append(row);
    } catch (error) {
      throw this.describeFailure(error, row);
    }
    if (pending) {
      return pending.then(
        () => this.afterAppend(row),
        (error: unknown) => {
          throw this.describeFailure(error, row);
        },
      );
    }
    return this.afterAppend(row);
  }

  private afterAppend(row: unknown[]): Promise<void> | undefined {
    this.tracker?.observe(row);
    this.lastRow = row;
    this.rowsRead += 1;
    this.sinceFlush += 1;
    if (this.sinceFlush >= this.context.flushInterval) return this.checkpoint({ final: false });
    return undefined;
  }

  /**
   * Adds the row's key to a conversion failure. The Appender sink reports a failure with the
   * buffered row it belongs to, which can be earlier than the row being appended. Other errors
   * pass unchanged.
   */
  private describeFailure(error: unknown, appended: readonly unknown[]): unknown {
    const [conversion, row] = error instanceof RowConversionError ? [error.conversion, error.row] : [error, appended];
    if (!(conversion instanceof ValueConversionError)) return error;
    const key = describeKey(this.context.plan.keyColumns, this.keyIndexes.map((index) => row[index]));
    return new ConversionFailure(key, conversion);
  }

  /** Key of the last appended row, or the starting cursor before the first row. */
  private get lastKey(): unknown[] | null {
    if (this.lastRow === null || this.keyIndexes.length === 0) return this.startCursor;
    const row = this.lastRow;
    return this.keyIndexes.map((index) => row[index]);
  }

  /**
   * Flushes staging, then saves the cursor of the last flushed row with the counts. A shutdown
   * stops the load here, except after the last row, where the swap follows instead.
   */
  private async checkpoint({ final }: { final: boolean }): Promise<void> {
    try {
      await this.sink.flush();
    } catch (error) {
      throw this.describeFailure(error, this.lastRow ?? []);
    }
    this.session = {
      ...this.session,
      cursor: this.lastKey,
      rowsLoaded: this.session.rowsLoaded + this.sinceFlush,
      watermarkMax: this.tracker?.mark ?? null,
      nulledDetail: { ...this.nullCounter.byColumn },
    };
    this.sinceFlush = 0;
    const session = this.session;
    await this.context.replica.withWriter((writer) => saveSession(writer, session));
    this.context.logger.debug({ rowsLoaded: session.rowsLoaded, cursor: String(session.cursor) }, 'load flushed');
    this.context.onRows(session.rowsLoaded);
    if (!final && this.context.shouldStop()) throw new LoadStopped(this.context.table.name);
  }
}

export function keyColumnIndexes(plan: TablePlan): number[] {
  return plan.keyColumns.map((name) => {
    const index = plan.columns.findIndex((column) => column.name === name);
    if (index < 0) throw new Error(`key column ${name} of table ${plan.table} is missing from its type plan`);
    return index;
  });
}

/**
 * Deletes staging rows past the saved cursor: a crash between an Appender flush and the session
 * save leaves such rows. The comparison is expanded per key column, as the source reads it.
 */
async function deleteRowsAfterCursor(connection: DuckDBConnection, plan: TablePlan, session: LoadSession): Promise<void> {
  const cursor = session.cursor;
  if (cursor === null) throw new Error(`session of table ${session.tableName} has no cursor to resume from`);
  const indexes = keyColumnIndexes(plan);
  const params: DuckDBValue[] = [];
  const bind = (position: number): string => {
    const column = plan.columns[indexes[position]!]!;
    params.push(column.toParameter(cursor[position]).value as DuckDBValue);
    return `CAST($${params.length} AS ${column.duckdbType})`;
  };
  const name = (position: number): string => quoteIdentifier(plan.columns[indexes[position]!]!.name);

  const branches: string[] = [];
  for (let position = 0; position < indexes.length; position += 1) {
    const equalities = Array.from({ length: position }, (_, earlier) => `${name(earlier)} = ${bind(earlier)}`);
    branches.push(`(${[...equalities, `${name(position)} > ${bind(position)}`].join(' AND ')})`);
  }
  await connection.run(`DELETE FROM main.${quoteIdentifier(session.stagingTable)} WHERE ${branches.join(' OR ')}`, params);
}
