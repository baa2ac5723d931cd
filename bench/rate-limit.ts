// Rate-limiter overhead: latency and throughput of `GET /api/tables` with limiting off, with the
// memory store and with the Redis store, measured with autocannon on loopback. `npm run bench`
// runs it as part of the full benchmark; on its own it prints a Markdown table:
//
//   node --import tsx bench/rate-limit.ts
//
// Settings (environment): BENCH_RATE_LIMIT_ROUNDS (default 3) and BENCH_RATE_LIMIT_SECONDS
// (default 5): each round runs every mode once, for that many seconds.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
// @ts-expect-error plain JavaScript module shared with the tests and the demo
import { freePort } from '../scripts/lib/private-mariadb.mjs';
import { startPrivateRedis } from '../test/harness/redis.js';
import { startBenchServer, stopBenchServer, waitForReady, type BenchServer } from './duckling-server.js';

export type LimiterMode = 'off' | 'memory' | 'redis';

export interface LimiterTiming {
  mode: LimiterMode;
  requests: number;
  p50Ms: number;
  p99Ms: number;
  requestsPerSec: number;
  /** Responses other than 200; any means a budget was too small and the run measured rejections. */
  failures: number;
}

export interface RateLimitBenchResults {
  rounds: number;
  secondsPerRound: number;
  redisVersion: string;
  timings: LimiterTiming[];
}

const MODES: readonly LimiterMode[] = ['off', 'memory', 'redis'];
const WARM_UP_SECONDS = 2;
/** Far above what a run can send, so every request is admitted and the limiter's cost is all that differs. */
const RAISED_BUDGET = '1000000000';

/**
 * Measures the limiter's overhead. One server per mode runs on its own empty replica, which is
 * enough because `/api/tables` reads only the replica, and a private `redis-server` backs the
 * Redis mode. The modes take turns for several rounds, so a change in the machine's load spreads
 * over all three. One autocannon connection sends requests back to back, and the latency of every
 * response is kept at full precision, because autocannon's own histogram rounds to whole
 * milliseconds.
 */
export async function measureRateLimitOverhead(root: string, workDir: string, rounds: number, secondsPerRound: number): Promise<RateLimitBenchResults> {
  const redis = await startPrivateRedis();
  const redisVersion = /v=(\S+)/.exec(execFileSync('redis-server', ['--version'], { encoding: 'utf8' }))?.[1] ?? 'unknown';
  const servers = new Map<LimiterMode, BenchServer>();
  try {
    for (const mode of MODES) {
      const dataPath = path.join(workDir, `ratelimit-${mode}`);
      mkdirSync(dataPath, { recursive: true });
      const env = limiterEnvironment(mode, dataPath, (await freePort()) as number, redis.url);
      const envFile = path.join(dataPath, 'bench.env');
      writeFileSync(envFile, Object.entries(env).map(([name, value]) => `${name}=${value}`).join('\n') + '\n', { mode: 0o600 });
      servers.set(mode, startBenchServer(root, env, envFile, path.join(dataPath, 'server.log')));
    }
    for (const server of servers.values()) await waitForReady(server);

    for (const server of servers.values()) await runAutocannon(server, WARM_UP_SECONDS);
    const samples = new Map<LimiterMode, { latenciesMs: number[]; failures: number; seconds: number }>(
      MODES.map((mode) => [mode, { latenciesMs: [], failures: 0, seconds: 0 }]),
    );
    for (let round = 1; round <= rounds; round += 1) {
      for (const mode of MODES) {
        console.log(`  rate limiter ${mode}, round ${round} of ${rounds}`);
        const run = await runAutocannon(servers.get(mode)!, secondsPerRound);
        const sample = samples.get(mode)!;
        sample.latenciesMs.push(...run.latenciesMs);
        sample.failures += run.failures;
        sample.seconds += run.seconds;
      }
    }

    const timings = MODES.map((mode) => {
      const sample = samples.get(mode)!;
      const sorted = sample.latenciesMs.sort((a, b) => a - b);
      return {
        mode,
        requests: sorted.length,
        p50Ms: percentile(sorted, 0.5),
        p99Ms: percentile(sorted, 0.99),
        requestsPerSec: sorted.length / sample.seconds,
        failures: sample.failures,
      };
    });
    return { rounds, secondsPerRound, redisVersion, timings };
  } finally {
    for (const server of servers.values()) await stopBenchServer(server);
    await redis.stop();
  }
}

function limiterEnvironment(mode: LimiterMode, dataPath: string, port: number, redisUrl: string): Record<string, string> {
  return {
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    DATA_PATH: dataPath,
    // The replica opens without its source; nothing in this measurement reads the source.
    MYSQL_CONNECTION_STRING: 'mysql://root@127.0.0.1:1/unused',
    DUCKLING_API_KEY: randomBytes(32).toString('hex'),
    ADMIN_USERNAME: 'admin',
    ADMIN_PASSWORD: randomBytes(18).toString('base64url'),
    SESSION_SECRET: randomBytes(32).toString('hex'),
    DUCKDB_MEMORY_LIMIT: '256MB',
    DUCKDB_THREADS: '1',
    AUTO_START_SYNC: 'false',
    AUTO_BACKUP: 'false',
    ENABLE_HEALTH_CHECKS: 'false',
    MYSQL_PROTOCOL_ENABLED: 'false',
    LOG_LEVEL: 'warn',
    RATE_LIMIT_ENABLED: String(mode !== 'off'),
    RATE_LIMIT_READ_MAX: RAISED_BUDGET,
    ...(mode === 'redis' ? { REDIS_URL: redisUrl } : {}),
  };
}

async function runAutocannon(server: BenchServer, seconds: number): Promise<{ latenciesMs: number[]; failures: number; seconds: number }> {
  const latenciesMs: number[] = [];
  let failures = 0;
  const instance = autocannon({
    url: `${server.baseUrl}/api/tables`,
    headers: { authorization: `Bearer ${server.apiKey}` },
    connections: 1,
    duration: seconds,
  });
  instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTimeMs: number) => {
    if (statusCode === 200) latenciesMs.push(responseTimeMs);
    else failures += 1;
  });
  const result = await instance;
  return { latenciesMs, failures: failures + result.errors, seconds: result.duration };
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: number[], fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)]!;
}

/** Markdown table of the results, with the targets: memory adds at most 0.2 ms p50, Redis at most 1 ms. */
export function renderRateLimitSection(results: RateLimitBenchResults): string[] {
  const off = results.timings.find((timing) => timing.mode === 'off');
  const targets: Record<LimiterMode, number | null> = { off: null, memory: 0.2, redis: 1 };
  const labels: Record<LimiterMode, string> = { off: 'Limiting off', memory: 'Memory store', redis: `Redis store (redis-server ${results.redisVersion})` };
  const rows = results.timings.map((timing) => {
    const added = off ? timing.p50Ms - off.p50Ms : Number.NaN;
    const target = targets[timing.mode];
    const verdict = target === null ? '—' : `≤ ${target} ms: ${added <= target ? 'met' : '**not met**'}`;
    const addedText = timing.mode === 'off' ? '—' : `${added >= 0 ? '+' : ''}${added.toFixed(3)} ms`;
    return `| ${labels[timing.mode]} | ${timing.requests.toLocaleString('en-US')} | ${timing.p50Ms.toFixed(3)} | ${timing.p99Ms.toFixed(3)} | ${Math.round(timing.requestsPerSec).toLocaleString('en-US')} | ${addedText} | ${verdict} |`;
  });
  const failures = results.timings.reduce((sum, timing) => sum + timing.failures, 0);
  return [
    '## Rate-limiter overhead',
    '',
    `\`GET /api/tables\` with the API key, sent back to back over one keep-alive connection by autocannon on loopback,`,
    `${results.rounds} round(s) of ${results.secondsPerRound} s per mode after a ${WARM_UP_SECONDS} s warm-up, the modes taking turns within each round.`,
    'Each mode runs in its own server process on an empty replica, with `RATE_LIMIT_READ_MAX` raised so every request is',
    'admitted. Latency is measured by the client from sending the request to the end of the response.',
    '',
    '| Mode | Requests | p50 (ms) | p99 (ms) | Requests/s | p50 added | Target |',
    '|---|---:|---:|---:|---:|---:|---|',
    ...rows,
    '',
    failures === 0 ? 'Every response was 200.' : `**${failures} responses were not 200**, so these numbers include rejections.`,
  ];
}

function positiveInteger(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new Error(`invalid ${name}=${JSON.stringify(text)}: expected a positive integer`);
  return value;
}

export function rateLimitBenchSettings(): { rounds: number; secondsPerRound: number } {
  return { rounds: positiveInteger('BENCH_RATE_LIMIT_ROUNDS', 3), secondsPerRound: positiveInteger('BENCH_RATE_LIMIT_SECONDS', 5) };
}

async function main(): Promise<void> {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'duckling-bench-ratelimit-'));
  try {
    const { rounds, secondsPerRound } = rateLimitBenchSettings();
    const results = await measureRateLimitOverhead(root, workDir, rounds, secondsPerRound);
    console.log(renderRateLimitSection(results).join('\n'));
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    await main();
  } catch (error) {
    console.error(`rate-limit benchmark failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
}
