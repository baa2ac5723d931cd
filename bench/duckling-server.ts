// A Duckling server in a child process for the benchmark, with its peak memory read from
// /proc/<pid>/status (Linux only).
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { NormalisedRows } from './queries.js';
import { normaliseRows } from './queries.js';

export interface BenchServer {
  child: ChildProcess;
  baseUrl: string;
  apiKey: string;
  logFile: string;
}

const READY_TIMEOUT_MS = 120_000;

/**
 * Starts `node bin/duckling.js --env-file <envFile> serve` with only PATH and HOME inherited, so
 * neither the caller's environment nor a `.env` in the repository changes the measured setup.
 * `envFile` contains the same variables as `env`.
 */
export function startBenchServer(root: string, env: Record<string, string>, envFile: string, logFile: string): BenchServer {
  const output = openSync(logFile, 'a');
  const child = spawn(process.execPath, [path.join(root, 'bin', 'duckling.js'), '--env-file', envFile, 'serve'], {
    cwd: root,
    stdio: ['ignore', output, output],
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
  });
  return { child, baseUrl: `http://127.0.0.1:${env.PORT}`, apiKey: env.DUCKLING_API_KEY ?? '', logFile };
}

export async function waitForReady(server: BenchServer): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (server.child.exitCode !== null) throw new Error(`duckling serve exited with code ${server.child.exitCode}; see ${server.logFile}`);
    try {
      const response = await fetch(`${server.baseUrl}/health/ready`, { signal: AbortSignal.timeout(2000) });
      if (response.status === 200) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`duckling serve was not ready within ${READY_TIMEOUT_MS / 1000} s; see ${server.logFile}`);
}

/** Sends SIGTERM and waits for the exit; SIGKILL after 60 s. */
export async function stopBenchServer(server: BenchServer): Promise<number | null> {
  if (server.child.exitCode !== null) return server.child.exitCode;
  const exited = new Promise<number | null>((resolve) => server.child.once('exit', (code) => resolve(code)));
  server.child.kill('SIGTERM');
  const timer = setTimeout(() => server.child.kill('SIGKILL'), 60_000);
  const code = await exited;
  clearTimeout(timer);
  return code;
}

/** Reads a `Vm…` field of /proc/<pid>/status in MiB (VmHWM is the peak resident set size so far). */
export function readMemoryMiB(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  if (!match) throw new Error(`${field} missing from /proc/${pid}/status`);
  return Number(match[1]) / 1024;
}

/** CPU time (user + system) a process has used, in clock ticks, from /proc/<pid>/stat. */
function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the parenthesised command name; utime and stime are the 12th and 13th of them.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/**
 * Waits until every process in `pids` used under 5 % of one CPU over a 500 ms window, or until
 * `timeoutMs` passed. A sync leaves work behind (garbage collection in the server, buffer flushing
 * in MariaDB), and timing queries during it would charge that work to the first engine timed.
 */
export async function waitForIdle(pids: number[], timeoutMs = 30_000): Promise<void> {
  const windowMs = 500;
  const ticksPerSecond = 100;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const before = pids.map(cpuTicks);
    await new Promise((resolve) => setTimeout(resolve, windowMs));
    const busiest = Math.max(...pids.map((pid, index) => cpuTicks(pid) - before[index]!));
    if (busiest / ticksPerSecond < 0.05 * (windowMs / 1000)) return;
  }
}

async function postJson(server: BenchServer, route: string, body: unknown): Promise<unknown> {
  const response = await fetch(`${server.baseUrl}${route}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${server.apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`POST ${route} failed with status ${response.status}: ${text.slice(0, 500)}`);
  return JSON.parse(text) as unknown;
}

export interface SyncRunBody {
  recordsProcessed: number;
  durationMs: number;
  failedTables: number;
  errors: string[];
}

/** Runs a full sync to completion over HTTP and returns the run stats. */
export async function runFullSync(server: BenchServer): Promise<SyncRunBody> {
  return (await postJson(server, '/api/sync/full', {})) as SyncRunBody;
}

/** Runs an incremental sync through `POST /api/sync/incremental` and waits for its stats. */
export async function runIncrementalSync(server: BenchServer): Promise<SyncRunBody> {
  return (await postJson(server, '/api/sync/incremental', {})) as SyncRunBody;
}

/** Runs `GET /api/sync/validate` in checksum mode for one table and returns whether it matched. */
export async function validateChecksum(server: BenchServer, table: string): Promise<boolean> {
  const response = await fetch(`${server.baseUrl}/api/sync/validate?mode=checksum&table=${encodeURIComponent(table)}`, {
    headers: { authorization: `Bearer ${server.apiKey}` },
  });
  const body = (await response.json()) as { validationResults?: Array<{ match: boolean }>; message?: string };
  if (!response.ok || !body.validationResults) throw new Error(`validate failed with ${response.status}: ${body.message ?? ''}`);
  return body.validationResults.every((result) => result.match);
}

/** Runs one statement through `POST /api/query` with array rows. */
export async function restQuery(server: BenchServer, sql: string): Promise<NormalisedRows> {
  const body = (await postJson(server, '/api/query', { sql, rowFormat: 'array' })) as { rows: unknown[][] };
  return normaliseRows(body.rows);
}
