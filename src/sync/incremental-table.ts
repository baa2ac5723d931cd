import { setTimeout as sleep } from 'node:timers/promises';
import type { DuckDBConnection } from '@duckdb/node-api';
import { ValueConversionError, type TablePlan } from '../catalog/index.js';
import { errorMessage } from '../errors/index.js';
import type { Logger } from '../logging/index.js';
import {
  isTransientSourceError,
  pageQuery,
  watermarkPageQuery,
  type PageQuery,
  type RetryPolicy,
  type SourceSnapshot,
  type WatermarkBound,
} from '../source/index.js';
import type { WatermarkChoice } from './incremental-choice.js';
import { mergeStaging } from './incremental-merge.js';
import { describeKey, encodeTuple } from './key-codec.js';
import { AppenderSink, NullCounter, RowConversionError } from './row-sinks.js';
import type { WatermarkMark } from './sessions.js';
import { createStagingTable, dropMainTable, stagingTableName } from './staging.js';
import { readWatermarkValue } from './swap.js';
import { insertSyncLog } from './sync-log.js';
import { ConversionFailure, keyColumnIndexes } from './table-load.js';
import type { TableJob } from './table-sync.js';
import type { TableSyncResult, WatermarkState } from './types.js';

/** MySQL's ER_OUT_OF_SORTMEMORY: the page's sort did not fit in `sort_buffer_size`. */
const ER_OUT_OF_SORTMEMORY = 1038;
/** Smallest page size a sort-memory failure shrinks a page to. */
const MIN_PAGE_AFTER_SORT_FAILURE = 100;

/**
 * Page size after a sort-memory failure (MySQL error 1038): a tenth of `limit`, at least 100.
 * Returns null when that is not smaller, so the failure is reported instead of retried.
 */
export function pageSizeAfterSortFailure(limit: number): number | null {
  const smaller = Math.max(MIN_PAGE_AFTER_SORT_FAILURE, Math.floor(limit / 10));
  return smaller < limit ? smaller : null;
}

export interface IncrementalJob extends TableJob {
  plan: TablePlan;
  choice: Extract<WatermarkChoice, { mode: 'timestamp' | 'id' }>;
  /** The stored watermark the run continues from. */
  stored: WatermarkMark;
  lookbackSeconds: number;
  retry: RetryPolicy;
  /** Schema change followed in place before this merge, recorded in its result and sync_log row. */
  schemaChange?: string;
}

/**
 * Reads the rows changed since the stored watermark from one consistent snapshot, stages them and
 * merges them into the live table. A failure becomes an `error` result and a sync_log row, and the
 * live table and watermark stay as they were.
 */
export async function syncTableIncrementally(job: IncrementalJob): Promise<TableSyncResult> {
  const startedAtMs = Date.now();
  const logger = job.logger.child({ table: job.table.name });
  job.progress.phase(job.databaseId, job.table.name, 'loading');
  logger.info({ mode: job.choice.mode, column: job.choice.column, from: job.stored.value }, 'incremental table sync started');

  const connection = await job.replica.openLoadConnection();
  const reader = new ChangeReader(job, connection, logger);
  try {
    const snapshot = await job.source.openSnapshot();
    try {
      await reader.run(snapshot);
    } finally {
      await snapshot.release();
    }
    reader.closeSink();
    const result = await finish(job, reader, startedAtMs);
    job.progress.phase(job.databaseId, job.table.name, 'done');
    logger.info({ rowsRead: reader.rowsRead, rows: result.recordsProcessed, durationMs: result.durationMs }, 'incremental table sync finished');
    return result;
  } catch (error) {
    reader.closeSink();
    return fail(job, reader, error, startedAtMs, logger);
  } finally {
    connection.closeSync();
  }
}

/** Merges the staged rows, or for an empty read only writes the sync_log row and keeps the watermark. */
async function finish(job: IncrementalJob, reader: ChangeReader, startedAtMs: number): Promise<TableSyncResult> {
  const valuesNulled = reader.nulls.total;
  const base = {
    runId: job.runId, tableName: job.table.name, syncType: 'watermark' as const, trigger: job.trigger,
    rowsRead: reader.rowsRead, status: 'success' as const, valuesNulled, nulledDetail: reader.nulls.byColumn,
    schemaChange: job.schemaChange ?? null,
  };
  const stagingTable = reader.stagingTable;
  let recordsProcessed = 0;
  let mark = job.stored;
  if (stagingTable === null) {
    await job.replica.withWriter(async (writer) => {
      const current = await readWatermarkValue(writer, job.table.name);
      await insertSyncLog(writer, { ...base, recordsProcessed: 0, durationMs: Date.now() - startedAtMs, watermarkBefore: current, watermarkAfter: current });
    });
  } else {
    job.progress.phase(job.databaseId, job.table.name, 'swapping');
    const next = reader.nextMark();
    if (next) mark = next;
    recordsProcessed = await job.replica.withWriter((writer) => mergeStaging(writer, {
      table: job.table.name, plan: job.plan, stagingTable, mark: next, lookbackSeconds: job.lookbackSeconds,
      log: { ...base, durationMs: Date.now() - startedAtMs },
    }));
  }
  const watermark: WatermarkState = {
    mode: job.choice.mode, column: job.choice.column, value: mark.value, key: JSON.parse(encodeTuple(mark.key)) as unknown,
  };
  return {
    table: job.table.name, recordsProcessed, durationMs: Date.now() - startedAtMs, status: 'success',
    syncType: 'watermark', valuesNulled, nulled: { ...reader.nulls.byColumn }, watermark,
    ...(job.schemaChange === undefined ? {} : { schemaChange: job.schemaChange }),
  };
}

async function fail(job: IncrementalJob, reader: ChangeReader, error: unknown, startedAtMs: number, logger: Logger): Promise<TableSyncResult> {
  const message = errorMessage(error);
  logger.error({ err: error }, 'incremental table sync failed');
  job.progress.phase(job.databaseId, job.table.name, 'error', message);
  const durationMs = Date.now() - startedAtMs;
  const staging = reader.stagingTable;
  await job.replica
    .withWriter(async (writer) => {
      if (staging !== null) await dropMainTable(writer, staging);
      await insertSyncLog(writer, {
        runId: job.runId, tableName: job.table.name, syncType: 'watermark', trigger: job.trigger,
        recordsProcessed: 0, rowsRead: reader.rowsRead, durationMs, status: 'error', errorMessage: message, valuesNulled: 0,
        schemaChange: job.schemaChange ?? null,
      });
    })
    .catch((logError: unknown) => logger.error({ err: logError }, 'writing the sync_log error row failed'));
  return {
    table: job.table.name, recordsProcessed: 0, durationMs, status: 'error', error: message, syncType: 'watermark', valuesNulled: 0, nulled: {},
    ...(job.schemaChange === undefined ? {} : { schemaChange: job.schemaChange }),
  };
}

/**
 * Pages through the changed rows in `(watermark, key…)` order (id mode: key order) and appends
 * them to a staging table created at the first row. Each page continues after the last row read.
 */
class ChangeReader {
  rowsRead = 0;
  readonly nulls = new NullCounter();
  stagingTable: string | null = null;
  private sink: AppenderSink | null = null;
  private sinceFlush = 0;
  private lastRow: readonly unknown[] | null = null;
  private readonly keyIndexes: number[];

  constructor(
    private readonly job: IncrementalJob,
    private readonly connection: DuckDBConnection,
    private readonly logger: Logger,
  ) {
    this.keyIndexes = keyColumnIndexes(job.plan);
  }

  async run(snapshot: SourceSnapshot): Promise<void> {
    let limit = this.job.settings.batchSize;
    let retries = 0;
    for (;;) {
      let pageRows = 0;
      try {
        for await (const batch of snapshot.readQueryBatches(this.pageAfterLastRow(limit))) {
          pageRows += batch.length;
          for (const row of batch) await this.accept(row);
        }
      } catch (error) {
        const smaller = pageSizeAfterSortFailure(limit);
        if ((error as { errno?: number }).errno === ER_OUT_OF_SORTMEMORY && smaller !== null) {
          this.logger.warn({ err: error, limit, nextLimit: smaller }, 'source sort memory exceeded, retrying with smaller pages');
          limit = smaller;
          continue;
        }
        if (!isTransientSourceError(error) || retries >= this.job.retry.maxRetries) throw error;
        const delayMs = Math.min(this.job.retry.baseDelayMs * 2 ** retries, this.job.retry.maxDelayMs);
        retries += 1;
        // The snapshot reconnects in a new read view; the page restarts after the last row read.
        this.logger.warn({ err: error, attempt: retries, delayMs }, 'source read failed, retrying the page');
        await sleep(delayMs);
        continue;
      }
      this.job.progress.rows(this.job.databaseId, this.job.table.name, this.rowsRead);
      if (pageRows < limit) break;
    }
    if (this.sink) await this.flush();
  }

  /** Returns the greatest `(watermark, key)` read, or null to keep the stored one (nothing read, or a lookback read nothing newer). */
  nextMark(): WatermarkMark | null {
    const row = this.lastRow;
    if (row === null) return null;
    const key = this.keyIndexes.map((index) => row[index]);
    if (this.job.choice.mode === 'id') return { value: String(key[0]), key };
    const value = String(row[this.job.choice.columnIndex]);
    // Under a lookback the reads start below the stored value; a smaller value read must not move the watermark back.
    if (value < this.job.stored.value) return null;
    return { value, key };
  }

  closeSink(): void {
    this.sink?.close();
    this.sink = null;
  }

  private pageAfterLastRow(limit: number): PageQuery {
    const { job } = this;
    const row = this.lastRow;
    if (job.choice.mode === 'id') {
      return pageQuery(job.table, row === null ? job.stored.key : this.keyIndexes.map((index) => row[index]), limit);
    }
    let bound: WatermarkBound;
    if (row !== null) {
      bound = { kind: 'after', value: String(row[job.choice.columnIndex]), key: this.keyIndexes.map((index) => row[index]) };
    } else if (job.lookbackSeconds > 0) {
      bound = { kind: 'lookback', value: job.stored.value, lookbackSeconds: job.lookbackSeconds };
    } else {
      bound = { kind: 'after', value: job.stored.value, key: job.stored.key };
    }
    return watermarkPageQuery(job.table, job.choice.column, bound, limit);
  }

  private async accept(row: unknown[]): Promise<void> {
    const sink = this.sink ?? (await this.openStaging());
    try {
      sink.append(row);
    } catch (error) {
      throw this.describeFailure(error, row);
    }
    this.lastRow = row;
    this.rowsRead += 1;
    this.sinceFlush += 1;
    if (this.sinceFlush >= this.job.settings.appenderFlushInterval) await this.flush();
  }

  /**
   * NOTE: no session row owns this staging table, so a cleanup of unowned staging tables during the
   * read would drop it. Today that cleanup runs only when the replica opens.
   */
  private async openStaging(): Promise<AppenderSink> {
    // TODO(sync): an Appender failure other than a value conversion fails the table here, where a
    // full load retries through InsertSink — the same retry would need staging recreated and the page re-read.
    const name = stagingTableName(this.job.table.name);
    await this.job.replica.loadGate.run(() => createStagingTable(this.connection, name, this.job.plan));
    this.stagingTable = name;
    this.sink = await AppenderSink.create(this.connection, name, this.job.plan, this.nulls, this.job.replica.loadGate);
    return this.sink;
  }

  private async flush(): Promise<void> {
    try {
      await this.sink!.flush();
    } catch (error) {
      throw this.describeFailure(error, this.lastRow ?? []);
    }
    this.sinceFlush = 0;
  }

  /** Names column, key and value of a conversion failure; other errors pass unchanged. */
  private describeFailure(error: unknown, appended: readonly unknown[]): unknown {
    const [conversion, row] = error instanceof RowConversionError ? [error.conversion, error.row] : [error, appended];
    if (!(conversion instanceof ValueConversionError)) return error;
    return new ConversionFailure(describeKey(this.job.plan.keyColumns, this.keyIndexes.map((index) => row[index])), conversion);
  }
}
