import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createDuckling, type Duckling, type DucklingOptions } from '../../src/app/index.js';
import { loadConfig } from '../../src/config/index.js';
import { createLogger, type Logger } from '../../src/logging/index.js';

export const TEST_API_KEY = 'test-key-0123456789abcdef0123456789abcdef';
export const TEST_PREVIOUS_KEY = 'previous-key-0123456789abcdef01234567';
export const TEST_ADMIN_USERNAME = 'admin-tester';
export const TEST_ADMIN_PASSWORD = 'correct-horse-battery-staple-42';
export const TEST_SESSION_SECRET = 'session-secret-7f3a9c1e5b2d8046af1c3e5d7b9a2c4e';

/**
 * Rate-limit budgets far above what any test sends, so tests that are not about rate limiting are
 * never limited. Rate-limit tests pass their own values in `env`, which win.
 */
const UNLIMITED_TEST_BUDGETS = {
  RATE_LIMIT_AUTH_MAX: '1000000',
  RATE_LIMIT_READ_MAX: '1000000',
  RATE_LIMIT_QUERY_MAX: '1000000',
  RATE_LIMIT_WRITE_MAX: '1000000',
  RATE_LIMIT_MONITORING_MAX: '1000000',
};

export interface RunningDuckling {
  duckling: Duckling;
  url: string;
  dataPath: string;
  /** fetch against the server with the API key, unless `headers.authorization` is given. */
  request(pathAndQuery: string, init?: RequestInit): Promise<Response>;
  stop(): Promise<void>;
}

/**
 * Starts Duckling on an ephemeral port with a fresh DATA_PATH. `env` adds or overrides variables;
 * an existing `dataPath` is reused (and then not deleted at stop).
 */
export async function startDuckling(
  env: Record<string, string> = {},
  options: {
    dataPath?: string;
    logger?: Logger;
    schedule?: Pick<DucklingOptions, 'scheduleIntervalMs' | 'firstScheduledRunDelayMs' | 'reconcileIntervalMs' | 'healthCheckIntervalMs'>;
    attemptGuard?: DucklingOptions['attemptGuard'];
    /** Further test-only options of `createDuckling`. */
    duckling?: Pick<DucklingOptions, 's3ListPageSize'>;
  } = {},
): Promise<RunningDuckling> {
  const dataPath = options.dataPath ?? (await mkdtemp(path.join(os.tmpdir(), 'duckling-app-')));
  const config = loadConfig(
    {
      DATA_PATH: dataPath,
      PORT: '0',
      HOST: '127.0.0.1',
      NODE_ENV: 'test',
      DUCKLING_API_KEY: TEST_API_KEY,
      DUCKLING_API_KEY_PREVIOUS: TEST_PREVIOUS_KEY,
      // Without an admin account and a session secret the start fails with fatal security findings.
      ADMIN_USERNAME: TEST_ADMIN_USERNAME,
      ADMIN_PASSWORD: TEST_ADMIN_PASSWORD,
      SESSION_SECRET: TEST_SESSION_SECRET,
      DUCKDB_MEMORY_LIMIT: '512MB',
      DUCKDB_THREADS: '2',
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
      // Tests start the scheduler only when they test it, so no scheduled run interferes with others.
      AUTO_START_SYNC: 'false',
      ...UNLIMITED_TEST_BUDGETS,
      ...env,
    },
    { cwd: dataPath },
  );
  const logger = options.logger ?? createLogger({ level: config.logLevel, version: 'test' });
  const duckling = createDuckling(config, {
    logger,
    lockRetry: { intervalMs: 100, timeoutMs: 300 },
    ...options.schedule,
    ...(options.attemptGuard ? { attemptGuard: options.attemptGuard } : {}),
    ...options.duckling,
  });
  await duckling.start();
  const url = duckling.httpAddress!;

  return {
    duckling,
    url,
    dataPath,
    request(pathAndQuery, init = {}) {
      const headers = new Headers(init.headers);
      if (!headers.has('authorization')) headers.set('authorization', `Bearer ${TEST_API_KEY}`);
      return fetch(`${url}${pathAndQuery}`, { ...init, headers });
    },
    async stop() {
      await duckling.stop();
      if (!options.dataPath) await rm(dataPath, { recursive: true, force: true });
    },
  };
}

/** Posts JSON with the API key. */
export function postJson(server: RunningDuckling, pathAndQuery: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return server.request(pathAndQuery, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

/** Parses a JSON response body for assertions, which inspect its fields freely. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function readJson(response: Response): Promise<any> {
  return response.json();
}
