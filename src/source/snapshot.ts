import type { Connection as CallbackConnection } from 'mysql2';
import type { Pool, PoolConnection, RowDataPacket, TypeCast } from 'mysql2/promise';
import type { Logger } from '../logging/index.js';
import type { Flavour, SourceTable } from './discovery.js';
import { fullScanQuery, pageQuery, type PageQuery } from './select-sql.js';
import { readBatches } from './row-batches.js';
import { isTransientSourceError, type RetryPolicy } from './source-errors.js';
import { setTimeout as sleep } from 'node:timers/promises';

/** A binlog position: file and byte offset (authoritative) and the GTID text (informational). */
export interface SourcePosition {
  file: string;
  offset: number;
  gtid: string | null;
}

export interface SourceSnapshot {
  /** Binlog position recorded just before the snapshot opened; null when the binlog is off or unreadable. */
  readonly position: SourcePosition | null;
  /** Rows of one keyset page, ordered by the key, after `after` (null: from the start), as arrays in column order. */
  readPage(table: SourceTable, after: readonly unknown[] | null, limit: number): AsyncIterable<unknown[]>;
  /** Every row of a keyless table in one streamed SELECT. */
  readAll(table: SourceTable): AsyncIterable<unknown[]>;
  /**
   * `readPage` in batches: each batch holds the rows received since the previous one, so a
   * consumer awaits once per batch instead of once per row. Batches are bounded by the stream's
   * buffer, about `STREAM_HIGH_WATER_MARK` rows.
   */
  readPageBatches(table: SourceTable, after: readonly unknown[] | null, limit: number): AsyncIterable<unknown[][]>;
  /** `readAll` in batches, like `readPageBatches`. */
  readAllBatches(table: SourceTable): AsyncIterable<unknown[][]>;
  /** Rows of a statement the caller built (validation's ordered scans), in batches; a lost connection fails it. */
  readQueryBatches(query: PageQuery): AsyncIterable<unknown[][]>;
  /** Ends the transaction and returns the connection; safe to call twice. */
  release(): Promise<void>;
}

/** GEOMETRY and BIT arrive as raw bytes; everything else uses mysql2's text parsing. */
const rawGeometryAndBit: TypeCast = (field, next) => (field.type === 'GEOMETRY' || field.type === 'BIT' ? field.buffer() : next());

/** Rows buffered by the row stream before mysql2 pauses the socket. */
const STREAM_HIGH_WATER_MARK = 1024;
/**
 * Seconds the server waits on a paused socket before aborting a result. Loads pause mid-page
 * while DuckDB flushes or a backup pauses them, so the 60-second server default is too short.
 */
const NET_WRITE_TIMEOUT_SECONDS = 3600;

/**
 * A consistent read view of the source on one dedicated connection, under
 * `START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY`. When the connection is lost in the
 * middle of a keyset page, a new snapshot is opened and reading continues after the last row
 * returned. The recorded position stays the first one, which is the earliest.
 */
export class ConsistentSnapshot implements SourceSnapshot {
  private released = false;

  private constructor(
    private connection: PoolConnection | null,
    readonly position: SourcePosition | null,
    private readonly pool: Pool,
    private readonly flavour: Flavour,
    private readonly retry: RetryPolicy,
    private readonly logger: Logger,
  ) {}

  static async open(pool: Pool, flavour: Flavour, retry: RetryPolicy, logger: Logger): Promise<ConsistentSnapshot> {
    const connection = await pool.getConnection();
    try {
      await connection.query(`SET SESSION net_write_timeout = ${NET_WRITE_TIMEOUT_SECONDS}`);
      const position = await readBinlogPosition(connection, flavour);
      await startSnapshot(connection);
      return new ConsistentSnapshot(connection, position, pool, flavour, retry, logger);
    } catch (error) {
      connection.destroy();
      throw error;
    }
  }

  async *readPage(table: SourceTable, after: readonly unknown[] | null, limit: number): AsyncIterable<unknown[]> {
    for await (const batch of this.readPageBatches(table, after, limit)) yield* batch;
  }

  async *readAll(table: SourceTable): AsyncIterable<unknown[]> {
    for await (const batch of this.readAllBatches(table)) yield* batch;
  }

  async *readPageBatches(table: SourceTable, after: readonly unknown[] | null, limit: number): AsyncIterable<unknown[][]> {
    const keyIndexes = table.key.columns.map((name) => table.columns.findIndex((column) => column.name === name));
    let cursor = after;
    let remaining = limit;
    for (let attempt = 0; ; attempt += 1) {
      try {
        for await (const batch of this.stream(pageQuery(table, cursor, remaining))) {
          const last = batch[batch.length - 1]!;
          cursor = keyIndexes.map((index) => last[index]);
          remaining -= batch.length;
          yield batch;
        }
        return;
      } catch (error) {
        if (!isTransientSourceError(error) || attempt >= this.retry.maxRetries || remaining === 0) throw error;
        await this.reopenAfter(error, attempt, table.name);
      }
    }
  }

  async *readAllBatches(table: SourceTable): AsyncIterable<unknown[][]> {
    for (let attempt = 0, rowsRead = 0; ; attempt += 1) {
      try {
        for await (const batch of this.stream(fullScanQuery(table))) {
          rowsRead += batch.length;
          yield batch;
        }
        return;
      } catch (error) {
        // A keyless table has no cursor to continue from, so only a failure before the first row is retried.
        if (!isTransientSourceError(error) || attempt >= this.retry.maxRetries || rowsRead > 0) throw error;
        await this.reopenAfter(error, attempt, table.name);
      }
    }
  }

  readQueryBatches(query: PageQuery): AsyncIterable<unknown[][]> {
    return this.stream(query);
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    const connection = this.connection;
    this.connection = null;
    if (!connection) return;
    try {
      await connection.query('COMMIT');
      connection.release();
    } catch (error) {
      this.logger.warn({ err: error }, 'closing source snapshot failed');
      connection.destroy();
    }
  }

  /**
   * Streams the rows of one statement as arrays, in batches bounded by the stream's high-water mark.
   * TODO(source): a peer that vanishes without closing the socket stalls the read forever; a
   * TCP keep-alive or an idle timer on the row stream would turn that into a lost connection.
   */
  private async *stream(query: PageQuery): AsyncIterable<unknown[][]> {
    if (this.released) throw new Error('the source snapshot was released; open a new one');
    const connection = this.connection ?? (await this.reconnect());
    // The promise wrapper has no row stream; its `connection` is the callback connection underneath.
    const callbackConnection = connection.connection as unknown as CallbackConnection;
    const rows = callbackConnection
      .query({ sql: query.sql, values: query.values, rowsAsArray: true, ...(query.rawByteColumns ? { typeCast: rawGeometryAndBit } : {}) })
      .stream({ highWaterMark: STREAM_HIGH_WATER_MARK });
    // mysql2 reports a lost connection to the connection, not to a query without a callback,
    // so without this listener the row stream would wait forever.
    const onConnectionError = (error: Error) => rows.destroy(error);
    callbackConnection.once('error', onConnectionError);
    let finished = false;
    try {
      yield* readBatches(rows);
      finished = true;
    } finally {
      callbackConnection.removeListener('error', onConnectionError);
      // A consumer that stops early leaves unread rows on the wire; that connection cannot be reused.
      if (!finished) this.discardConnection();
    }
  }

  private async reopenAfter(error: unknown, attempt: number, table: string): Promise<void> {
    const delayMs = Math.min(this.retry.baseDelayMs * 2 ** attempt, this.retry.maxDelayMs);
    this.logger.warn({ err: error, table, attempt: attempt + 1, delayMs }, 'source read failed, reopening snapshot');
    this.discardConnection();
    await sleep(delayMs);
  }

  private discardConnection(): void {
    this.connection?.destroy();
    this.connection = null;
  }

  /** Opens a new snapshot on a fresh connection; the original position is kept. */
  private async reconnect(): Promise<PoolConnection> {
    const connection = await this.pool.getConnection();
    try {
      await connection.query(`SET SESSION net_write_timeout = ${NET_WRITE_TIMEOUT_SECONDS}`);
      await startSnapshot(connection);
    } catch (error) {
      connection.destroy();
      throw error;
    }
    this.connection = connection;
    this.logger.info({ flavour: this.flavour }, 'source snapshot reopened');
    return connection;
  }
}

async function startSnapshot(connection: PoolConnection): Promise<void> {
  // A consistent snapshot is only kept under REPEATABLE READ.
  await connection.query('SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ');
  await connection.query('START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY');
}

const ER_PARSE_ERROR = 1064;

/**
 * Reads the current binlog file and offset (`SHOW BINARY LOG STATUS` on MySQL 8.4 and later,
 * else `SHOW MASTER STATUS`) and the GTID text. Returns null when the binlog is off or the user
 * lacks the privilege to read it.
 */
export async function readBinlogPosition(connection: PoolConnection, flavour: Flavour): Promise<SourcePosition | null> {
  let rows: RowDataPacket[] | null = null;
  for (const statement of ['SHOW BINARY LOG STATUS', 'SHOW MASTER STATUS']) {
    try {
      [rows] = await connection.query<RowDataPacket[]>(statement);
      break;
    } catch (error) {
      if ((error as { errno?: number }).errno === ER_PARSE_ERROR) continue;
      if (isTransientSourceError(error)) throw error;
      return null;
    }
  }
  const row = rows?.[0];
  if (!row || row.File === undefined || row.File === null) return null;

  let gtid: string | null = null;
  try {
    const variable = flavour === 'mariadb' ? '@@GLOBAL.gtid_binlog_pos' : '@@GLOBAL.gtid_executed';
    const [gtidRows] = await connection.query<RowDataPacket[]>(`SELECT ${variable} AS gtid`);
    const text = gtidRows[0]?.gtid;
    gtid = typeof text === 'string' && text.trim() !== '' ? text.trim() : null;
  } catch (error) {
    if (isTransientSourceError(error)) throw error;
  }
  return { file: String(row.File), offset: Number(row.Position), gtid };
}
