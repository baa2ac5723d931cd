// Renders the benchmark results as the Markdown page docs/benchmarks.md.
import { renderRateLimitSection, type RateLimitBenchResults } from './rate-limit.js';

export interface QueryTiming {
  name: string;
  sql: string;
  mariadbMs: number;
  duckdbMs: number;
  restMs: number;
  /** First difference from MariaDB's result, or null when equal. */
  duckdbDifference: string | null;
  restDifference: string | null;
}

export interface BenchResults {
  command: string;
  finishedAt: string;
  rows: number;
  runs: number;
  /** `loadAverage` is the 1-minute load average when the benchmark started and when it ended. */
  machine: { cpus: number; cpuModel: string; memoryGiB: number; kernel: string; loadAverage: { start: number; end: number } };
  versions: Record<string, string>;
  duckdbMemoryLimit: string;
  mariadbBufferPool: string;
  generationMs: number;
  rawRead: { rows: number; ms: number };
  /** `idleRssBytes` is the server's RSS once ready, before the sync; `peakRssBytes` its VmHWM after it. */
  sync: { rows: number; wallMs: number; serverMs: number; idleRssBytes: number; peakRssBytes: number; failedTables: number; errors: string[] };
  queries: QueryTiming[];
  /** Median round trip of `SELECT 1` through `POST /api/query`. */
  restSelectOne: { runs: number; medianMs: number };
  /** Incremental run after changing rows at the source, and a checksum validation of the table after it. */
  incremental: { changedRows: number; recordsProcessed: number; wallMs: number; validateMs: number; matched: boolean };
  /** Request overhead of the rate limiter per store. */
  rateLimit: RateLimitBenchResults;
}

const SYNC_RATE_TARGET = 400_000;
const RSS_TARGET_BYTES = 300_000_000;
const SPEEDUP_TARGET = 40;
const REST_OVERHEAD_TARGET = 0.1;

const integer = (value: number) => Math.round(value).toLocaleString('en-US');
const ms = (value: number) => value.toFixed(value < 10 ? 2 : 1);
const verdict = (met: boolean) => (met ? 'met' : '**not met**');

function syncSection(results: BenchResults): string[] {
  const { sync, rawRead } = results;
  const rate = sync.rows / (sync.wallMs / 1000);
  const rawRate = rawRead.rows / (rawRead.ms / 1000);
  const lines = [
    '## Full sync',
    '',
    '| Measure | Result | Target |',
    '|---|---|---|',
    `| Rows copied | ${integer(sync.rows)} | ${integer(results.rows)} |`,
    `| Wall time of \`POST /api/sync/full\` (load, swap and checkpoint) | ${(sync.wallMs / 1000).toFixed(2)} s | — |`,
    `| Run duration reported by the server (\`durationMs\`) | ${(sync.serverMs / 1000).toFixed(2)} s | — |`,
    `| Full-sync rate (rows ÷ wall time) | ${integer(rate)} rows/s | ≥ ${integer(SYNC_RATE_TARGET)} rows/s: ${verdict(rate >= SYNC_RATE_TARGET)} |`,
    `| RSS of the Duckling process when ready, before the sync | ${(sync.idleRssBytes / 1e6).toFixed(0)} MB | — |`,
    `| Peak RSS of the Duckling process (VmHWM after the sync) | ${(sync.peakRssBytes / 1e6).toFixed(0)} MB | ≤ 300 MB: ${verdict(sync.peakRssBytes <= RSS_TARGET_BYTES)} |`,
    `| Plain mysql2 stream of the same table, for comparison | ${integer(rawRate)} rows/s (${(rawRead.ms / 1000).toFixed(2)} s) | — |`,
  ];
  if (sync.failedTables > 0) lines.push('', `Failed tables: ${sync.errors.join('; ')}`);
  return lines;
}

const INCREMENTAL_TARGET_MS = 1000;

function incrementalSection(results: BenchResults): string[] {
  const { incremental } = results;
  return [
    '## Incremental sync and validation',
    '',
    '| Measure | Result | Target |',
    '|---|---|---|',
    `| Rows changed at the source (9,000 updates, 1,000 inserts) | ${integer(incremental.changedRows)} | — |`,
    `| Rows merged by \`POST /api/sync/incremental\` | ${integer(incremental.recordsProcessed)} | ${integer(incremental.changedRows)} |`,
    `| Wall time of the incremental run, end to end | ${ms(incremental.wallMs)} ms | ≤ ${integer(INCREMENTAL_TARGET_MS)} ms: ${verdict(incremental.wallMs <= INCREMENTAL_TARGET_MS)} |`,
    `| Checksum validation of the whole table (\`GET /api/sync/validate?mode=checksum\`) | ${(incremental.validateMs / 1000).toFixed(2)} s, ${incremental.matched ? 'matched' : '**did not match**'} | — |`,
  ];
}

function querySection(results: BenchResults): string[] {
  const sum = (pick: (timing: QueryTiming) => number) => results.queries.reduce((total, timing) => total + pick(timing), 0);
  const equal = (difference: string | null) => (difference === null ? 'yes' : `**no**: ${difference}`);
  const lines = [
    '## Analytical queries',
    '',
    `Median of ${results.runs} timed runs after one untimed warm-up run, in milliseconds. "In-process" is DuckDB opened`,
    'read-only on the replica file by the benchmark itself; "REST" is `POST /api/query` with the API key, timed by',
    'the client (request, execution, JSON encoding and parsing). Results are compared with MariaDB value for value',
    '(every value as text, decimals with their scale).',
    '',
    '| Query | MariaDB | DuckDB in-process | REST | Speed-up in-process | Speed-up REST | Equal (in-process / REST) |',
    '|---|---:|---:|---:|---:|---:|---|',
  ];
  for (const timing of results.queries) {
    lines.push(
      `| ${timing.name} | ${ms(timing.mariadbMs)} | ${ms(timing.duckdbMs)} | ${ms(timing.restMs)} | ` +
        `${(timing.mariadbMs / timing.duckdbMs).toFixed(1)}× | ${(timing.mariadbMs / timing.restMs).toFixed(1)}× | ` +
        `${equal(timing.duckdbDifference)} / ${equal(timing.restDifference)} |`,
    );
  }
  const mariadb = sum((timing) => timing.mariadbMs);
  const duckdb = sum((timing) => timing.duckdbMs);
  const rest = sum((timing) => timing.restMs);
  const overhead = rest / duckdb - 1;
  lines.push(
    `| **Sum of medians** | ${ms(mariadb)} | ${ms(duckdb)} | ${ms(rest)} | ${(mariadb / duckdb).toFixed(1)}× | ${(mariadb / rest).toFixed(1)}× | |`,
    '',
    `- Sum of medians at least ${SPEEDUP_TARGET}× lower than MariaDB's: in-process ${(mariadb / duckdb).toFixed(1)}× ` +
      `(${verdict(mariadb / duckdb >= SPEEDUP_TARGET)}), REST ${(mariadb / rest).toFixed(1)}× (${verdict(mariadb / rest >= SPEEDUP_TARGET)}).`,
    `- REST sum within ${REST_OVERHEAD_TARGET * 100}% of in-process: ${overhead >= 0 ? '+' : ''}${(overhead * 100).toFixed(1)}% ` +
      `(${verdict(overhead <= REST_OVERHEAD_TARGET)}).`,
    `- Round trip of \`SELECT 1\` through \`POST /api/query\`, the fixed cost REST adds to each query: ` +
      `${ms(results.restSelectOne.medianMs)} ms (median of ${results.restSelectOne.runs}).`,
    `- The in-process column is DuckDB alone on the replica file, so it bounds what any server can reach on this ` +
      `machine; the slowest query (${slowest(results)}) takes the largest share of the sum.`,
    '',
    '### Statements',
    '',
    'The same text runs on all three paths:',
    '',
  );
  for (const timing of results.queries) lines.push(`- ${timing.name}: \`${timing.sql}\``);
  return lines;
}

/** Renders the whole page, whose line 1 names the script that writes it. */
export function renderReport(results: BenchResults): string {
  const { machine, versions } = results;
  const lines = [
    '<!-- Generated by bench/run.ts ("npm run bench"). Rerun the benchmark instead of editing this page. -->',
    '# Benchmarks',
    '',
    `Measured ${results.finishedAt} with:`,
    '',
    '```sh',
    results.command,
    '```',
    '',
    '## Setup',
    '',
    `- Machine: ${machine.cpus} CPUs (${machine.cpuModel}), ${machine.memoryGiB.toFixed(1)} GiB RAM, Linux ${machine.kernel}.`,
    `  The 1-minute load average was ${machine.loadAverage.start.toFixed(2)} when the benchmark started and ` +
      `${machine.loadAverage.end.toFixed(2)} when it ended; values near or above ${machine.cpus} mean other work shared the CPUs.`,
    `- Versions: ${Object.entries(versions).map(([name, version]) => `${name} ${version}`).join(', ')}.`,
    `- Data: table \`orders\` with ${integer(results.rows)} rows: BIGINT key, INT customer_id, VARCHAR status of 5 values and region`,
    '  of 8, DECIMAL(12,2) amount, DATETIME created_at and updated_at, and an index on updated_at. The rows are generated',
    `  from each id by INSERT … SELECT (\`bench/orders.ts\`, ${(results.generationMs / 1000).toFixed(1)} s) in a private MariaDB that the`,
    `  benchmark starts with \`innodb_buffer_pool_size=${results.mariadbBufferPool}\`, so the table is read from memory.`,
    `- Cores: MariaDB and Duckling ran on the same ${machine.cpus} CPUs without pinning. During the full sync both worked at`,
    '  once (MariaDB serving the keyset pages, Duckling converting and appending). The query timings run one engine at a',
    '  time, so the two engines never competed with each other. MariaDB runs each query on one thread; DuckDB used',
    `  \`DUCKDB_THREADS=0\` (one thread per CPU) in the server and the same thread count in-process.`,
    `- DuckDB memory: \`DUCKDB_MEMORY_LIMIT=${results.duckdbMemoryLimit}\` for the server, and the same \`memory_limit\` for the`,
    '  in-process instance, which also has the server\'s `preserve_insertion_order=false`. REST requests carry the',
    '  API key, and the server runs with `RATE_LIMIT_QUERY_MAX`, `RATE_LIMIT_WRITE_MAX` and `RATE_LIMIT_MONITORING_MAX`',
    '  raised to 1,000,000 so that no request can be limited when rate limiting is on.',
    '',
    ...syncSection(results),
    '',
    ...incrementalSection(results),
    '',
    ...renderRateLimitSection(results.rateLimit),
    '',
    ...querySection(results),
    '',
  ];
  return lines.join('\n');
}

/** Name of the query with the largest in-process median. */
function slowest(results: BenchResults): string {
  let worst = results.queries[0]!;
  for (const timing of results.queries) if (timing.duckdbMs > worst.duckdbMs) worst = timing;
  return worst.name;
}
