/**
 * Runs read-only queries on replicas through the process-wide governor, for REST, the CLI and
 * internal reads. Results are encoded with the catalog's value encoder.
 */
import type { Config } from '../config/index.js';
import type { Logger } from '../logging/index.js';
import { QueryGovernor, type GovernorStats } from './governor.js';
import { OpenQuery } from './open-query.js';
import { VerdictCache } from './syntax-tree.js';
import { validateParameters } from './parameters.js';
import type { EncodedValue, QueryRequest, QueryResult, ResultColumn } from './types.js';

export interface QueryStreamSummary {
  rowCount: number;
  truncated: boolean;
  durationMs: number;
}

/**
 * A result read while it is sent. The slot and the reader connection are released when `rows`
 * ends, when the consumer stops iterating, or on `close()`; a consumer that never iterates must
 * call `close()`.
 */
export interface QueryStream {
  columns: ResultColumn[];
  rows: AsyncIterable<EncodedValue[]>;
  /** Final once `rows` has ended; `truncated` is true when rows beyond `maxRows` existed. */
  summary(): QueryStreamSummary;
  close(): void;
}

export interface QueryServiceOptions {
  config: Pick<Config, 'query'>;
  logger: Logger;
}

export class QueryService {
  private readonly governor: QueryGovernor;
  private readonly logger: Logger;
  private readonly verdicts = new VerdictCache();

  constructor(options: QueryServiceOptions) {
    const query = options.config.query;
    this.governor = new QueryGovernor({ maxConcurrent: query.maxConcurrent, queueMax: query.queueMax }, query.timeoutMs);
    this.logger = options.logger.child({ subsystem: 'query' });
  }

  /** Runs the statement and returns at most `req.maxRows` encoded rows. */
  async execute(req: QueryRequest): Promise<QueryResult> {
    const startedAtMs = Date.now();
    const query = await this.open(req);
    const rows: EncodedValue[][] = [];
    let truncated = false;
    try {
      for (let chunk = await query.nextRows(); chunk; chunk = await query.nextRows()) {
        const room = req.maxRows - rows.length;
        if (chunk.length > room) {
          for (let index = 0; index < room; index += 1) rows.push(chunk[index]!);
          truncated = true;
          break;
        }
        for (const row of chunk) rows.push(row);
      }
    } finally {
      query.close();
    }

    const durationMs = Date.now() - startedAtMs;
    this.logFinished(req, rows.length, durationMs);
    return { columns: query.columns, rows, rowCount: rows.length, truncated, durationMs };
  }

  /**
   * Starts the statement and resolves once its first rows are computed, so errors and the
   * timeout (which covers the wait up to the first row) reach the caller before any output.
   */
  async stream(req: QueryRequest): Promise<QueryStream> {
    const startedAtMs = Date.now();
    const query = await this.open(req);
    let firstRows: EncodedValue[][] | null;
    try {
      firstRows = await query.nextRows();
    } catch (error) {
      query.close();
      throw error;
    }
    query.clearDeadline();

    const state = { rowCount: 0, truncated: false, durationMs: 0, finished: false };
    const finish = (): void => {
      if (state.finished) return;
      state.finished = true;
      state.durationMs = Date.now() - startedAtMs;
      query.close();
      this.logFinished(req, state.rowCount, state.durationMs);
    };

    async function* produceRows(): AsyncGenerator<EncodedValue[]> {
      try {
        for (let chunk = firstRows; chunk; chunk = await query.nextRows()) {
          for (const row of chunk) {
            query.throwIfCancelled();
            if (state.rowCount === req.maxRows) {
              state.truncated = true;
              return;
            }
            state.rowCount += 1;
            yield row;
          }
        }
      } finally {
        finish();
      }
    }

    return {
      columns: query.columns,
      rows: produceRows(),
      summary: () => ({
        rowCount: state.rowCount,
        truncated: state.truncated,
        durationMs: state.finished ? state.durationMs : Date.now() - startedAtMs,
      }),
      close: finish,
    };
  }

  governorStats(): GovernorStats {
    return this.governor.stats();
  }

  /** Rejects waiting and new queries with 503 and interrupts running ones. */
  shutdown(): void {
    this.governor.shutdown();
  }

  private async open(req: QueryRequest): Promise<OpenQuery> {
    validateParameters(req.params);
    const slot = await this.governor.acquire({
      databaseId: req.databaseId,
      principal: req.principal,
      priority: req.priority ?? 'normal',
      timeoutMs: req.timeoutMs,
      signal: req.signal,
      sql: req.sql,
      protocol: req.protocol,
      ...(req.maxRunning === undefined ? {} : { maxRunning: req.maxRunning }),
    });
    return OpenQuery.open(slot, req.replica, req.sql, req.params, this.verdicts);
  }

  private logFinished(req: QueryRequest, rowCount: number, durationMs: number): void {
    this.logger.debug(
      { databaseId: req.databaseId, principal: req.principal, protocol: req.protocol, rowCount, durationMs },
      'query finished',
    );
  }
}
