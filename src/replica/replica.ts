import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { DuckDBInstance, type DuckDBConnection, version as duckdbLibraryVersion } from '@duckdb/node-api';
import type { Logger } from '../logging/index.js';
import { DucklingError } from '../errors/index.js';
import { LoadGate } from './load-gate.js';
import { Mutex } from './mutex.js';
import { dropOrphanStagingTables, migrateInternalSchema } from './internal-schema.js';
import {
  GLOBAL_TIME_ZONE_STATEMENT,
  LOCK_CONFIGURATION_STATEMENT,
  instanceOptions,
  type ReplicaSettings,
} from './settings.js';

export interface ReplicaOptions extends ReplicaSettings {
  databaseId: string;
  filePath: string;
  maxReaders: number;
  ducklingVersion: string;
  logger: Logger;
}

/** A reader connection borrowed from the pool; `release` returns it. */
export interface ReaderLease {
  connection: DuckDBConnection;
  release(): void;
}

/**
 * One database's DuckDB file: the instance, a writer connection behind a mutex, a pool of reader
 * connections and fresh connections for loads that append to staging tables in parallel.
 */
export class Replica {
  private readonly idleReaders: DuckDBConnection[] = [];
  private readonly waitingReaders: Array<(connection: DuckDBConnection) => void> = [];
  private readerCount = 0;
  private readonly writerMutex = new Mutex();
  private readonly borrowedReaders = new Set<DuckDBConnection>();
  private draining = false;
  /** Error for new work once draining started; the default reports that the replica is closed. */
  private rejection: (() => Error) | null = null;
  private closed = false;
  /** Pauses the writes of loads on their own connections while a backup copies the file. */
  readonly loadGate = new LoadGate();

  private constructor(
    readonly databaseId: string,
    readonly filePath: string,
    private readonly instance: DuckDBInstance,
    private readonly writer: DuckDBConnection,
    private readonly maxReaders: number,
    private readonly logger: Logger,
  ) {}

  /** Opens (or creates) the replica file, locks its settings and migrates the internal schema. */
  static async create(options: ReplicaOptions): Promise<Replica> {
    const logger = options.logger.child({ subsystem: 'replica', databaseId: options.databaseId });
    mkdirSync(path.dirname(options.filePath), { recursive: true });
    mkdirSync(options.tempDirectory, { recursive: true });

    const instance = await DuckDBInstance.create(options.filePath, instanceOptions(options));
    const writer = await instance.connect();
    try {
      await writer.run(GLOBAL_TIME_ZONE_STATEMENT);
      await writer.run(LOCK_CONFIGURATION_STATEMENT);
      await assertUtc(writer);
      await migrateInternalSchema(writer, options.databaseId, options.ducklingVersion);
      const dropped = await dropOrphanStagingTables(writer);
      if (dropped.length > 0) logger.info({ stagingTables: dropped }, 'dropped orphan staging tables');
    } catch (error) {
      writer.closeSync();
      instance.closeSync();
      throw error;
    }
    logger.info({ file: options.filePath }, 'replica opened');
    return new Replica(options.databaseId, options.filePath, instance, writer, options.maxReaders, logger);
  }

  /** Runs `task` on the writer connection; writes are serialised in call order. */
  withWriter<T>(task: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
    this.assertOpen();
    return this.writerMutex.run(() => task(this.writer));
  }

  /** Borrows a reader connection, waiting when all `maxReaders` are busy. */
  async acquireReader(): Promise<ReaderLease> {
    this.assertOpen();
    const connection = await this.takeReader();
    this.borrowedReaders.add(connection);
    let released = false;
    return {
      connection,
      release: () => {
        if (released) return;
        released = true;
        this.borrowedReaders.delete(connection);
        this.returnReader(connection);
      },
    };
  }

  /** Runs `task` on a pooled reader connection. */
  async withReader<T>(task: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
    const lease = await this.acquireReader();
    try {
      return await task(lease.connection);
    } finally {
      lease.release();
    }
  }

  /** Opens a dedicated connection for a load (staging appends); the caller closes it. */
  async openLoadConnection(): Promise<DuckDBConnection> {
    this.assertOpen();
    const connection = await this.instance.connect();
    await assertUtc(connection);
    return connection;
  }

  /**
   * Stops lending reader connections and waits up to `timeoutMs` for the borrowed ones to come
   * back, then interrupts the queries still running on them. Used before the replica closes for a
   * restore. Returns how many queries were interrupted. From now on new work gets the error
   * `rejection` builds.
   */
  async drainReaders(timeoutMs: number, rejection: (() => Error) | null = null, pollMs = 50): Promise<number> {
    this.draining = true;
    this.rejection = rejection;
    const deadline = Date.now() + timeoutMs;
    while (this.borrowedReaders.size > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
    const interrupted = this.borrowedReaders.size;
    for (const connection of this.borrowedReaders) connection.interrupt();
    while (this.borrowedReaders.size > 0) await new Promise((resolve) => setTimeout(resolve, pollMs));
    return interrupted;
  }

  /** Checkpoints and closes every connection and the instance. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.writerMutex.run(async () => {
      try {
        await this.writer.run('CHECKPOINT');
      } catch (error) {
        this.logger.warn({ err: error }, 'checkpoint before close failed');
      }
      this.closed = true;
    });
    for (const connection of this.idleReaders.splice(0)) connection.closeSync();
    this.writer.closeSync();
    this.instance.closeSync();
    this.logger.info('replica closed');
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private async takeReader(): Promise<DuckDBConnection> {
    const idle = this.idleReaders.pop();
    if (idle) return idle;
    if (this.readerCount < this.maxReaders) {
      this.readerCount += 1;
      try {
        const connection = await this.instance.connect();
        await assertUtc(connection);
        return connection;
      } catch (error) {
        this.readerCount -= 1;
        throw error;
      }
    }
    return new Promise((resolve) => this.waitingReaders.push(resolve));
  }

  private returnReader(connection: DuckDBConnection): void {
    if (this.closed) {
      connection.closeSync();
      return;
    }
    const waiter = this.waitingReaders.shift();
    if (waiter) waiter(connection);
    else this.idleReaders.push(connection);
  }

  private assertOpen(): void {
    if (this.closed || this.draining) {
      if (this.rejection) throw this.rejection();
      throw new DucklingError('DUCKLING_DATABASE_UNAVAILABLE', { db: this.databaseId, detail: 'the replica is closed' });
    }
  }
}

/** Version of the DuckDB library in this process, e.g. `v1.5.6`. */
export function duckdbVersion(): string {
  return duckdbLibraryVersion();
}

/** Every connection must compute in UTC; a connection that does not is unusable. */
async function assertUtc(connection: DuckDBConnection): Promise<void> {
  const reader = await connection.runAndReadAll("SELECT current_setting('TimeZone') AS tz");
  const zone = String(reader.getRowObjectsJS()[0]?.tz);
  if (zone !== 'UTC') {
    connection.closeSync();
    throw new Error(`DuckDB connection has TimeZone ${zone} instead of UTC`);
  }
}
