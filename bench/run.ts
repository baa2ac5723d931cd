// `npm run bench`: full-sync rate, peak memory and analytical query times of Duckling against a
// private MariaDB, written to docs/benchmarks.md. Settings (environment):
//   BENCH_ROWS                 rows of `orders` (default 2,000,000; other sizes write data/bench/benchmarks-<rows>.md)
//   BENCH_RUNS                 timed runs per query and engine (default 10)
//   BENCH_DUCKDB_MEMORY_LIMIT  DUCKDB_MEMORY_LIMIT of the server and memory_limit in-process (default 1GB)
//   BENCH_OUTPUT               where to write the Markdown page instead
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import mysql from 'mysql2/promise';
// @ts-expect-error plain JavaScript module shared with the tests and the demo
import { freePort, startPrivateMariaDb } from '../scripts/lib/private-mariadb.mjs';
import {
  readMemoryMiB,
  restQuery,
  runFullSync,
  runIncrementalSync,
  startBenchServer,
  stopBenchServer,
  validateChecksum,
  waitForIdle,
  waitForReady,
  type BenchServer,
} from './duckling-server.js';
import { createOrders, streamAllOrders } from './orders.js';
import { BENCH_QUERIES, firstDifference, normaliseRows, timeQuery, type NormalisedRows } from './queries.js';
import { renderReport, type BenchResults, type QueryTiming } from './report.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const REFERENCE_ROWS = 2_000_000;
const MARIADB_BUFFER_POOL = '1G';
const SCHEMA = 'bench';
const SELECT_ONE_RUNS = 50;

interface BenchOptions {
  rows: number;
  runs: number;
  memoryLimit: string;
  output: string;
  command: string;
}

function positiveInteger(name: string, fallback: number, minimum: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text.replaceAll('_', ''));
  if (!Number.isInteger(value) || value < minimum) throw new Error(`invalid ${name}=${JSON.stringify(text)}: expected an integer of at least ${minimum}`);
  return value;
}

function readOptions(): BenchOptions {
  const rows = positiveInteger('BENCH_ROWS', REFERENCE_ROWS, 1000);
  const runs = positiveInteger('BENCH_RUNS', 10, 1);
  const memoryLimit = process.env.BENCH_DUCKDB_MEMORY_LIMIT || '1GB';
  const defaultOutput = rows === REFERENCE_ROWS ? path.join(root, 'docs', 'benchmarks.md') : path.join(root, 'data', 'bench', `benchmarks-${rows}.md`);
  const settings = ['BENCH_ROWS', 'BENCH_RUNS', 'BENCH_DUCKDB_MEMORY_LIMIT'].filter((name) => process.env[name]).map((name) => `${name}=${process.env[name]}`);
  return { rows, runs, memoryLimit, output: process.env.BENCH_OUTPUT || defaultOutput, command: [...settings, 'npm run bench'].join(' ') };
}

function packageVersion(relative: string): string {
  return (JSON.parse(readFileSync(path.join(root, relative), 'utf8')) as { version: string }).version;
}

async function mariadbTimings(connection: mysql.Connection, runs: number): Promise<Array<{ medianMs: number; rows: NormalisedRows }>> {
  const timings = [];
  for (const query of BENCH_QUERIES) {
    console.log(`  MariaDB: ${query.name}`);
    timings.push(
      await timeQuery(runs, async () => {
        const [rows] = await connection.query<mysql.RowDataPacket[]>({ sql: query.sql, rowsAsArray: true });
        return normaliseRows(rows as unknown as unknown[][]);
      }),
    );
  }
  return timings;
}

async function restTimings(server: BenchServer, runs: number): Promise<Array<{ medianMs: number; rows: NormalisedRows }>> {
  const timings = [];
  for (const query of BENCH_QUERIES) {
    console.log(`  REST: ${query.name}`);
    timings.push(await timeQuery(runs, () => restQuery(server, query.sql)));
  }
  return timings;
}

/** Opens the replica read-only in this process (the server must be stopped) and times every query. */
async function inProcessTimings(replicaFile: string, memoryLimit: string, runs: number) {
  // Same memory limit, thread count and insertion-order setting as the server's instance.
  const instance = await DuckDBInstance.create(replicaFile, {
    access_mode: 'READ_ONLY',
    memory_limit: memoryLimit,
    threads: String(os.availableParallelism()),
    preserve_insertion_order: 'false',
  });
  const connection = await instance.connect();
  try {
    const version = String((await connection.runAndReadAll('SELECT version()')).getRows()[0]?.[0]);
    const timings = [];
    for (const query of BENCH_QUERIES) {
      console.log(`  DuckDB in-process: ${query.name}`);
      timings.push(await timeQuery(runs, async () => normaliseRows((await connection.runAndReadAll(query.sql)).getRows())));
    }
    return { version, timings };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

function serverEnvironment(dataPath: string, port: number, mariadbPort: number, memoryLimit: string): Record<string, string> {
  return {
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    DATA_PATH: dataPath,
    DUCKDB_PATH: path.join(dataPath, 'duckling.db'),
    DUCKDB_MEMORY_LIMIT: memoryLimit,
    DUCKDB_THREADS: '0',
    MYSQL_CONNECTION_STRING: `mysql://root@127.0.0.1:${mariadbPort}/${SCHEMA}`,
    DUCKLING_API_KEY: randomBytes(32).toString('hex'),
    // The server refuses to start without an admin account and a session secret.
    ADMIN_USERNAME: 'admin',
    ADMIN_PASSWORD: randomBytes(18).toString('base64url'),
    SESSION_SECRET: randomBytes(32).toString('hex'),
    AUTO_START_SYNC: 'false',
    AUTO_BACKUP: 'false',
    MYSQL_PROTOCOL_ENABLED: 'false',
    LOG_LEVEL: 'warn',
    RATE_LIMIT_QUERY_MAX: '1000000',
    RATE_LIMIT_WRITE_MAX: '1000000',
    RATE_LIMIT_MONITORING_MAX: '1000000',
  };
}

/** Starts the server, runs the full sync and the REST timings, and stops it again. */
async function measureServer(options: BenchOptions, workDir: string, mariadbPort: number, mariadbPid: number) {
  const dataPath = path.join(workDir, 'data');
  mkdirSync(dataPath, { recursive: true });
  const env = serverEnvironment(dataPath, await freePort(), mariadbPort, options.memoryLimit);
  const envFile = path.join(workDir, 'bench.env');
  writeFileSync(envFile, Object.entries(env).map(([name, value]) => `${name}=${value}`).join('\n') + '\n', { mode: 0o600 });

  const server = startBenchServer(root, env, envFile, path.join(workDir, 'server.log'));
  try {
    await waitForReady(server);
    const idleRssBytes = readMemoryMiB(server.child.pid as number, 'VmRSS') * 1024 * 1024;
    console.log(`full sync of ${options.rows.toLocaleString('en-US')} rows`);
    const started = performance.now();
    const stats = await runFullSync(server);
    const wallMs = performance.now() - started;
    const peakRssBytes = readMemoryMiB(server.child.pid as number, 'VmHWM') * 1024 * 1024;
    // Timing queries on a replica that is missing rows would compare nothing, so a failed or
    // partial sync ends the benchmark.
    if (stats.failedTables > 0 || stats.recordsProcessed !== options.rows) {
      throw new Error(
        `full sync copied ${stats.recordsProcessed} of ${options.rows} rows with ${stats.failedTables} failed tables: ${stats.errors.join('; ')}`,
      );
    }
    const sync = {
      rows: stats.recordsProcessed,
      wallMs,
      serverMs: stats.durationMs,
      idleRssBytes,
      peakRssBytes,
      failedTables: stats.failedTables,
      errors: stats.errors,
    };
    console.log(`  ${(options.rows / (wallMs / 1000)).toFixed(0)} rows/s, peak RSS ${(peakRssBytes / 1e6).toFixed(0)} MB`);
    await waitForIdle([server.child.pid as number, mariadbPid]);
    const rest = await restTimings(server, options.runs);
    // The round trip of a trivial statement is the fixed cost that REST adds to every query.
    const selectOne = await timeQuery(SELECT_ONE_RUNS, () => restQuery(server, 'SELECT 1'));
    return { sync, rest, restSelectOneMs: selectOne.medianMs, replicaFile: env.DUCKDB_PATH as string, env, envFile };
  } finally {
    const code = await stopBenchServer(server);
    if (code !== 0) console.warn(`duckling serve exited with code ${code}; see ${server.logFile}`);
  }
}

/** Rows changed at the source before the timed incremental run: updates of existing rows, then inserts. */
const CHANGED_UPDATES = 9_000;
const CHANGED_INSERTS = 1_000;

/**
 * Restarts the server on the synced replica, changes 9,000 rows and inserts 1,000 at the source,
 * then times an incremental run end to end and a checksum validation of the whole table. It runs
 * after every query timing, because the changes make the table differ from what those compared.
 */
async function measureIncremental(
  env: Record<string, string>,
  envFile: string,
  workDir: string,
  mariadb: { host: string; port: number; pid?: number },
): Promise<BenchResults['incremental']> {
  const connection = await mysql.createConnection({ host: mariadb.host, port: mariadb.port, user: 'root', database: SCHEMA });
  const server = startBenchServer(root, env, envFile, path.join(workDir, 'server-incremental.log'));
  try {
    await waitForReady(server);
    const [maxRows] = await connection.query<mysql.RowDataPacket[]>('SELECT MAX(id) AS maxId, MAX(updated_at) AS newest FROM orders');
    const maxId = Number(maxRows[0]!.maxId);
    // Updated rows get a watermark after every existing one, spread over seconds like real traffic.
    await connection.query(
      `UPDATE orders SET status = 'refunded', updated_at = ? + INTERVAL (1 + id % 3600) SECOND WHERE id % ? = 0 LIMIT ?`,
      [maxRows[0]!.newest, Math.floor(maxId / CHANGED_UPDATES), CHANGED_UPDATES],
    );
    // New rows, as an application writes them: created and updated now, after every watermark.
    await connection.query(
      `INSERT INTO orders (id, customer_id, status, region, amount, created_at, updated_at)
       SELECT id + ?, customer_id, status, region, amount, ? + INTERVAL 1 HOUR, ? + INTERVAL 1 HOUR FROM orders WHERE id <= ?`,
      [maxId, maxRows[0]!.newest, maxRows[0]!.newest, CHANGED_INSERTS],
    );
    await waitForIdle([server.child.pid as number, mariadb.pid as number]);

    console.log('incremental sync of 10,000 changed rows');
    const started = performance.now();
    const stats = await runIncrementalSync(server);
    const wallMs = performance.now() - started;
    if (stats.failedTables > 0) throw new Error(`incremental sync failed: ${stats.errors.join('; ')}`);

    console.log('checksum validation of orders');
    const validateStarted = performance.now();
    const matched = await validateChecksum(server, 'orders');
    const validateMs = performance.now() - validateStarted;
    return { changedRows: CHANGED_UPDATES + CHANGED_INSERTS, recordsProcessed: stats.recordsProcessed, wallMs, validateMs, matched };
  } finally {
    await connection.end();
    await stopBenchServer(server);
  }
}

function combine(mariadb: Array<{ medianMs: number; rows: NormalisedRows }>, duckdb: typeof mariadb, rest: typeof mariadb): QueryTiming[] {
  return BENCH_QUERIES.map((query, index) => {
    const expected = mariadb[index]?.rows ?? [];
    return {
      name: query.name,
      sql: query.sql,
      mariadbMs: mariadb[index]?.medianMs ?? Number.NaN,
      duckdbMs: duckdb[index]?.medianMs ?? Number.NaN,
      restMs: rest[index]?.medianMs ?? Number.NaN,
      duckdbDifference: firstDifference(expected, duckdb[index]?.rows ?? []),
      restDifference: firstDifference(expected, rest[index]?.rows ?? []),
    };
  });
}

async function main(): Promise<void> {
  const options = readOptions();
  const loadAverageAtStart = os.loadavg()[0] ?? 0;
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'duckling-bench-'));
  console.log(`starting a private MariaDB (work directory ${workDir})`);
  const mariadb = await startPrivateMariaDb({ bufferPool: MARIADB_BUFFER_POOL });
  let succeeded = false;
  try {
    const connection = await mysql.createConnection({
      host: mariadb.host, port: mariadb.port, user: 'root', charset: 'utf8mb4',
      supportBigNumbers: true, bigNumberStrings: true, decimalNumbers: false, dateStrings: true, timezone: 'Z',
    });
    await connection.query(`CREATE DATABASE IF NOT EXISTS ${SCHEMA}`);
    await connection.changeUser({ database: SCHEMA });
    const mariadbVersion = String(((await connection.query<mysql.RowDataPacket[]>({ sql: 'SELECT VERSION()', rowsAsArray: true }))[0][0] as unknown[])[0]);

    console.log(`generating ${options.rows.toLocaleString('en-US')} rows in orders`);
    const started = performance.now();
    await createOrders(connection, options.rows);
    const generationMs = performance.now() - started;

    console.log('reading orders through a plain mysql2 stream');
    const rawRead = await streamAllOrders({ host: mariadb.host, port: mariadb.port, user: 'root', database: SCHEMA });
    const mariadbResults = await mariadbTimings(connection, options.runs);
    await connection.end();

    const { sync, rest, restSelectOneMs, replicaFile, env, envFile } = await measureServer(options, workDir, mariadb.port, mariadb.pid as number);
    const inProcess = await inProcessTimings(replicaFile, options.memoryLimit, options.runs);
    const incremental = await measureIncremental(env, envFile, workDir, mariadb);

    const cpus = os.cpus();
    const results: BenchResults = {
      command: options.command,
      finishedAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      rows: options.rows,
      runs: options.runs,
      machine: {
        cpus: os.availableParallelism(),
        cpuModel: cpus[0]?.model ?? 'unknown',
        memoryGiB: os.totalmem() / 2 ** 30,
        kernel: os.release(),
        loadAverage: { start: loadAverageAtStart, end: os.loadavg()[0] ?? 0 },
      },
      versions: {
        Duckling: packageVersion('package.json'),
        'Node.js': process.version,
        MariaDB: mariadbVersion,
        DuckDB: inProcess.version,
        '@duckdb/node-api': packageVersion('node_modules/@duckdb/node-api/package.json'),
        mysql2: packageVersion('node_modules/mysql2/package.json'),
      },
      duckdbMemoryLimit: options.memoryLimit,
      mariadbBufferPool: MARIADB_BUFFER_POOL,
      generationMs,
      rawRead,
      sync,
      queries: combine(mariadbResults, inProcess.timings, rest),
      restSelectOne: { runs: SELECT_ONE_RUNS, medianMs: restSelectOneMs },
      incremental,
    };
    mkdirSync(path.dirname(options.output), { recursive: true });
    writeFileSync(options.output, renderReport(results));
    console.log(`wrote ${path.relative(process.cwd(), options.output) || options.output}`);
    succeeded = true;
  } finally {
    await mariadb.stop();
    if (succeeded) rmSync(workDir, { recursive: true, force: true });
    else console.error(`benchmark failed; the server log and replica are kept in ${workDir}`);
  }
}

try {
  await main();
} catch (error) {
  console.error(`benchmark failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
