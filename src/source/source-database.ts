import { readFileSync } from 'node:fs';
import mysql, { type Pool, type PoolOptions, type RowDataPacket } from 'mysql2/promise';
import type { Config } from '../config/index.js';
import { DucklingError, errorMessage } from '../errors/index.js';
import type { Logger } from '../logging/index.js';
import { parseConnectionString, type ParsedConnection, type SourceEndpoint } from './connection-string.js';
import { discoverTables, type Flavour, type SourceTable } from './discovery.js';
import { readSourceIdentity, type SourceIdentity } from './identity.js';
import { ConsistentSnapshot, type SourceSnapshot } from './snapshot.js';
import { toSourceError, withRetry, type RetryPolicy } from './source-errors.js';

export interface SourceDatabaseOptions {
  databaseId: string;
  connectionString: string;
  config: Config;
  logger: Logger;
}

export interface PingResult {
  version: string;
  flavour: Flavour;
  latencyMs: number;
}

/**
 * One source database: a mysql2 pool with lossless result options, schema discovery and
 * consistent snapshots. Connect and login failures become DUCKLING_SOURCE_UNAVAILABLE naming
 * host and port; the password never appears in errors or logs.
 */
export class SourceDatabase {
  private flavourCache: Flavour | null = null;

  private constructor(
    readonly databaseId: string,
    readonly endpoint: SourceEndpoint,
    private readonly pool: Pool,
    private readonly retry: RetryPolicy,
    private readonly logger: Logger,
  ) {}

  /** Parses the connection string and creates the pool; no connection is opened until first use. */
  static create(options: SourceDatabaseOptions): SourceDatabase {
    const { config } = options;
    const parsed = parseConnectionString(options.connectionString, config.mysql.tlsDir);
    const logger = options.logger.child({ subsystem: 'source', databaseId: options.databaseId });
    const pool = mysql.createPool(poolOptions(parsed, config));

    // Every new connection computes in UTC, so TIMESTAMP values are read as UTC text.
    pool.pool.on('connection', (connection) => {
      connection.query("SET SESSION time_zone = '+00:00'", (error: unknown) => {
        if (error) logger.warn({ err: error }, 'setting the source session time zone failed');
      });
    });

    const retry = {
      maxRetries: config.mysql.maxRetries,
      baseDelayMs: config.mysql.retryBaseDelayMs,
      maxDelayMs: config.mysql.retryMaxDelayMs,
    };
    return new SourceDatabase(options.databaseId, parsed.endpoint, pool, retry, logger);
  }

  /** Checks the connection and returns the server version, flavour and round-trip time. */
  async ping(): Promise<PingResult> {
    const started = performance.now();
    const [rows] = await this.run(() => this.pool.query<RowDataPacket[]>('SELECT VERSION() AS version'), 'ping');
    const latencyMs = Math.round((performance.now() - started) * 100) / 100;
    const version = String(rows[0]?.version ?? '');
    this.flavourCache = flavourOf(version);
    return { version, flavour: this.flavourCache, latencyMs };
  }

  /** Reads the schema, flavour and server identity that tell this source apart from any other. */
  async identify(): Promise<SourceIdentity> {
    const flavour = await this.flavour();
    return this.run(() => readSourceIdentity(this.pool, this.endpoint.schema, flavour), 'identify');
  }

  /** Base tables of the schema, sorted by name, without the excluded names (exact, case-sensitive). */
  async listTables(excluded: readonly string[]): Promise<SourceTable[]> {
    const flavour = await this.flavour();
    const tables = await this.run(() => discoverTables(this.pool, this.endpoint.schema, flavour), 'list tables');
    const skip = new Set(excluded);
    return tables.filter((table) => !skip.has(table.name));
  }

  /** Describes one base table; returns null when the schema has no base table of that name. */
  async describeTable(name: string): Promise<SourceTable | null> {
    const flavour = await this.flavour();
    const tables = await this.run(() => discoverTables(this.pool, this.endpoint.schema, flavour, name), 'describe table');
    return tables.find((table) => table.name === name) ?? null;
  }

  /** Opens a consistent snapshot on a dedicated connection; the caller must `release()` it. */
  async openSnapshot(): Promise<SourceSnapshot> {
    const flavour = await this.flavour();
    return this.run(() => ConsistentSnapshot.open(this.pool, flavour, this.retry, this.logger), 'open snapshot');
  }

  /**
   * Runs one read statement once, without retry or error translation, for the diagnosis: there a
   * rejected statement is itself the finding (a missing privilege or an unknown variable).
   */
  async probe(sql: string, values: readonly (string | number)[] = []): Promise<RowDataPacket[]> {
    const [rows] = await this.pool.query<RowDataPacket[]>(sql, [...values]);
    return rows;
  }

  async close(): Promise<void> {
    try {
      await this.pool.end();
    } catch (error) {
      this.logger.warn({ err: error }, 'closing the source pool failed');
    }
  }

  private async flavour(): Promise<Flavour> {
    if (this.flavourCache) return this.flavourCache;
    return (await this.ping()).flavour;
  }

  private async run<T>(operation: () => Promise<T>, action: string): Promise<T> {
    try {
      return await withRetry(operation, this.retry, this.logger, action);
    } catch (error) {
      throw toSourceError(error, this.endpoint);
    }
  }
}

function flavourOf(version: string): Flavour {
  return /mariadb/i.test(version) ? 'mariadb' : 'mysql';
}

function poolOptions(parsed: ParsedConnection, config: Config): PoolOptions {
  const { endpoint } = parsed;
  return {
    host: endpoint.host,
    port: endpoint.port,
    user: endpoint.user,
    password: parsed.password,
    database: endpoint.schema,
    connectionLimit: config.mysql.maxConnections,
    connectTimeout: parsed.connectTimeoutMs ?? config.mysql.connectTimeoutMs,
    charset: 'utf8mb4',
    timezone: 'Z',
    supportBigNumbers: true,
    bigNumberStrings: true,
    jsonStrings: true,
    dateStrings: true,
    decimalNumbers: false,
    multipleStatements: false,
    // LOCAL INFILE off: the client never offers to send local files.
    flags: ['-LOCAL_FILES'],
    // No pool-wide typeCast: a typeCast function costs every field of every row, so the snapshot
    // reader installs one only on queries of tables with BIT or GEOMETRY columns.
    ssl: tlsOptions(parsed),
  };
}

function tlsOptions(parsed: ParsedConnection): PoolOptions['ssl'] {
  if (parsed.sslMode === 'DISABLED') return undefined;
  const read = (file: string | null, option: string): Buffer | undefined => {
    if (file === null) return undefined;
    try {
      return readFileSync(file);
    } catch (error) {
      throw new DucklingError('DUCKLING_VALIDATION_FAILED', {
        detail: `connection string option ${option} names ${file}, which cannot be read (${errorMessage(error)}); put the file in MYSQL_TLS_DIR`,
      });
    }
  };
  const ca = read(parsed.sslFiles.ca, 'ssl-ca');
  const cert = read(parsed.sslFiles.cert, 'ssl-cert');
  const key = read(parsed.sslFiles.key, 'ssl-key');
  if (parsed.sslMode === 'REQUIRED') return { rejectUnauthorized: false, cert, key };
  if (parsed.sslMode === 'VERIFY_CA') {
    // Verify the chain but not the host name.
    return { ca, cert, key, rejectUnauthorized: true, checkServerIdentity: () => undefined } as PoolOptions['ssl'];
  }
  return { ca, cert, key, rejectUnauthorized: true };
}
