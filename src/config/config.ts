import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import dotenv from 'dotenv';
import { VARIABLES, WATCHED_PREFIXES } from './variables.js';
import { durationToSeconds, isProblem, parseVariable, sizeToBytes, type ConfigProblem, type ParsedValue } from './parse.js';
import { parseTrustProxy, type TrustProxy } from './trust-proxy.js';

/** The validated, frozen settings passed to every component. Durations carry their unit. */
export interface Config {
  nodeEnv: 'development' | 'production' | 'test';
  port: number;
  host: string;
  dataPath: string;
  duckdbPath: string;
  duckdb: {
    /** Memory for the whole process in bytes, split across replicas. */
    memoryLimitBytes: number;
    /** Threads for the whole process; 0 means one per core. */
    threads: number;
    maxConnections: number;
    tempDirectory: string;
    maxTempDirectorySize: string | null;
    preserveInsertionOrder: boolean;
  };
  crashDebug: boolean;
  mysql: {
    connectionString: string | null;
    maxConnections: number;
    connectTimeoutMs: number;
    maxRetries: number;
    retryBaseDelayMs: number;
    retryMaxDelayMs: number;
    tlsDir: string;
  };
  sync: {
    fullSyncBatchSize: number;
    insertBatchSize: number;
    fullSyncAppenderFlushInterval: number;
    fullSyncResumeEnabled: boolean;
    tableConcurrency: number;
    excludedTables: string[];
    watermarkColumns: string[];
    /** Rows per incremental keyset page. */
    batchSize: number;
    /** Rows between Appender flushes in incremental staging. */
    appenderFlushInterval: number;
    lookbackSeconds: number;
    /** Scheduled sync period; 0 disables the schedule. */
    intervalMinutes: number;
    /** Start the scheduler at boot. */
    autoStart: boolean;
    /** Scheduled runs are incremental, else full. */
    incrementalEnabled: boolean;
    /** Scheduled reconciliation period; 0 disables it. */
    reconcileIntervalMinutes: number;
  };
  health: {
    /** Run the background health monitor. */
    checksEnabled: boolean;
    checkIntervalMs: number;
    /** Recovery syncs by the health monitor. */
    autoRestart: boolean;
    maxRestartAttempts: number;
  };
  auth: {
    apiKey: string | null;
    apiKeyPrevious: string | null;
    /** The one admin account of `POST /api/login`; null when unset. */
    adminUsername: string | null;
    adminPassword: string | null;
    /** Seals session cookies; null when unset. */
    sessionSecret: string | null;
    /** HS256 secret of admin tokens: `JWT_SECRET`, else `SESSION_SECRET`; null when both are unset. */
    jwtSecret: string | null;
    /** `JWT_EXPIRES_IN` as configured (`1h`), echoed by the login response. */
    jwtExpiresIn: string;
    /** Lifetime of tokens and session cookies in seconds. */
    jwtLifetimeSec: number;
  };
  /** `REDIS_URL`, shared by tickets, revocations and rate limits. */
  redis: {
    url: string | null;
    /** `RATE_LIMIT_REDIS_PREFIX`, the prefix of every key Duckling writes. */
    keyPrefix: string;
  };
  network: {
    /** Peers allowed to set `X-Forwarded-For`, `-Proto` and `-Host`; passed to Fastify's `trustProxy`. */
    trustProxy: TrustProxy;
    /** `PUBLIC_URL` origins (`https://host[:port]`), used for origin checks, `Secure` cookies and HSTS. */
    publicOrigins: string[];
    /** `CORS_ORIGINS`: cross-origin origins allowed, also for cookie-authenticated requests. */
    corsOrigins: string[];
  };
  query: {
    maxConcurrent: number;
    timeoutMs: number;
    streamTimeoutMs: number;
    queueMax: number;
    maxRows: number;
    streamMaxRows: number;
  };
  backup: {
    /** Scheduled local backups. */
    autoBackup: boolean;
    intervalHours: number;
    retentionDays: number;
    /** Absolute local backup root. */
    path: string;
  };
  logLevel: string;
  logsDir: string | null;
  /** Every variable after parsing, keyed by name, for the few readers that need one not typed above. */
  raw: Readonly<Record<string, ParsedValue>>;
  /** Variables with a watched prefix that Duckling does not know: probably typos. */
  unknownVariables: string[];
}

export class ConfigError extends Error {
  constructor(readonly problems: ConfigProblem[]) {
    super(problems.map((problem) => problem.message).join('\n'));
    this.name = 'ConfigError';
  }
}

export interface LoadConfigOptions {
  /** `.env` file to read; the process environment wins over it. */
  envFile?: string;
  /** Working directory that relative paths resolve against. */
  cwd?: string;
}

/**
 * Loads `.env` (when present), validates every variable and returns the frozen settings.
 * Throws `ConfigError` listing every invalid variable at once.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, options: LoadConfigOptions = {}): Config {
  const cwd = options.cwd ?? process.cwd();
  const envFile = path.resolve(cwd, options.envFile ?? '.env');
  const fileValues = existsSync(envFile) ? dotenv.parse(readFileSync(envFile)) : {};
  const merged: Record<string, string | undefined> = { ...fileValues, ...env };

  const values: Record<string, ParsedValue> = {};
  const problems: ConfigProblem[] = [];
  for (const spec of VARIABLES) {
    const parsed = parseVariable(spec, merged[spec.name]);
    if (isProblem(parsed)) problems.push(parsed);
    else values[spec.name] = parsed;
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const known = new Set(VARIABLES.map((spec) => spec.name));
  const unknownVariables = Object.keys(merged)
    .filter((name) => WATCHED_PREFIXES.some((prefix) => name.startsWith(prefix)) && !known.has(name))
    .sort();

  return buildConfig(values, cwd, unknownVariables);
}

/**
 * Returns why a REDIS_URL is unusable, or null. ioredis reads other schemes as a Unix socket path,
 * so a typo such as http:// would leave every instance counting alone. The message shows the
 * scheme only, because the URL can contain a password.
 */
function checkRedisUrl(url: string | null): string | null {
  if (url === null) return null;
  const advice = 'give a redis:// or rediss:// URL such as redis://127.0.0.1:6379, or leave it empty to keep limits in memory';
  let protocol: string;
  try {
    protocol = new URL(url).protocol;
  } catch {
    return `REDIS_URL is invalid: it is not a URL; ${advice}`;
  }
  if (protocol === 'redis:' || protocol === 'rediss:') return null;
  return `REDIS_URL is invalid: the scheme ${JSON.stringify(protocol)} is not supported; ${advice}`;
}

function buildConfig(values: Record<string, ParsedValue>, cwd: string, unknownVariables: string[]): Config {
  const get = <T extends ParsedValue>(name: string): T => values[name] as T;
  const optional = (name: string): string | null => get<string | null>(name) ?? null;

  const dataPath = path.resolve(cwd, get<string>('DATA_PATH'));
  const duckdbPath = optional('DUCKDB_PATH') ?? path.join(dataPath, 'duckling.db');
  const problems: ConfigProblem[] = [];
  if (path.dirname(path.resolve(dataPath, duckdbPath)) !== dataPath) {
    problems.push({
      variable: 'DUCKDB_PATH',
      message: `DUCKDB_PATH=${JSON.stringify(duckdbPath)} is invalid: the replica file must lie directly in DATA_PATH (${dataPath}); give a bare file name such as duckling.db`,
    });
  }
  const trustProxy = parseTrustProxy(get<string>('TRUST_PROXY'));
  if (typeof trustProxy === 'object' && !Array.isArray(trustProxy)) {
    problems.push({ variable: 'TRUST_PROXY', message: trustProxy.error });
  }
  const publicOrigins: string[] = [];
  for (const entry of get<string[]>('PUBLIC_URL')) {
    const origin = parseOrigin(entry);
    if (origin === null) {
      problems.push({
        variable: 'PUBLIC_URL',
        message: `PUBLIC_URL entry ${JSON.stringify(entry)} is invalid: give an http or https origin such as https://duckling.example.com`,
      });
    } else {
      publicOrigins.push(origin);
    }
  }
  const redisProblem = checkRedisUrl(optional('REDIS_URL'));
  if (redisProblem !== null) problems.push({ variable: 'REDIS_URL', message: redisProblem });
  if (durationToSeconds(get<string>('JWT_EXPIRES_IN')) === 0) {
    problems.push({
      variable: 'JWT_EXPIRES_IN',
      message: `JWT_EXPIRES_IN=${JSON.stringify(get<string>('JWT_EXPIRES_IN'))} is invalid: a token lifetime must be longer than 0; give a duration such as 30m, 1h or 7d`,
    });
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const memoryLimit = optional('DUCKDB_MEMORY_LIMIT');
  const config: Config = {
    nodeEnv: get('NODE_ENV'),
    port: get('PORT'),
    host: get('HOST'),
    dataPath,
    duckdbPath: path.resolve(dataPath, duckdbPath),
    duckdb: {
      memoryLimitBytes: memoryLimit ? sizeToBytes(memoryLimit) : Math.floor(os.totalmem() * 0.8),
      threads: get('DUCKDB_THREADS'),
      maxConnections: get('DUCKDB_MAX_CONNECTIONS'),
      tempDirectory: path.resolve(dataPath, optional('DUCKDB_TEMP_DIRECTORY') ?? 'duckdb_tmp'),
      maxTempDirectorySize: optional('DUCKDB_MAX_TEMP_DIRECTORY_SIZE'),
      preserveInsertionOrder: get('DUCKDB_PRESERVE_INSERTION_ORDER'),
    },
    crashDebug: get('CRASH_DEBUG'),
    mysql: {
      connectionString: optional('MYSQL_CONNECTION_STRING'),
      maxConnections: get('MYSQL_MAX_CONNECTIONS'),
      connectTimeoutMs: get('MYSQL_CONNECT_TIMEOUT_MS'),
      maxRetries: get('MAX_RETRIES'),
      retryBaseDelayMs: get('RETRY_BASE_DELAY_MS'),
      retryMaxDelayMs: get('RETRY_MAX_DELAY_MS'),
      tlsDir: path.resolve(dataPath, optional('MYSQL_TLS_DIR') ?? 'certs'),
    },
    sync: {
      fullSyncBatchSize: get('FULL_SYNC_BATCH_SIZE'),
      insertBatchSize: get('INSERT_BATCH_SIZE'),
      fullSyncAppenderFlushInterval: get('FULL_SYNC_APPENDER_FLUSH_INTERVAL'),
      fullSyncResumeEnabled: get('FULL_SYNC_RESUME_ENABLED'),
      tableConcurrency: get('SYNC_TABLE_CONCURRENCY'),
      excludedTables: get('EXCLUDED_TABLES'),
      watermarkColumns: get('WATERMARK_COLUMNS'),
      batchSize: get('BATCH_SIZE'),
      appenderFlushInterval: get('APPENDER_FLUSH_INTERVAL'),
      lookbackSeconds: get('INCREMENTAL_LOOKBACK_SECONDS'),
      intervalMinutes: get('SYNC_INTERVAL_MINUTES'),
      autoStart: get('AUTO_START_SYNC'),
      incrementalEnabled: get('ENABLE_INCREMENTAL_SYNC'),
      reconcileIntervalMinutes: get('RECONCILE_INTERVAL_MINUTES'),
    },
    health: {
      checksEnabled: get('ENABLE_HEALTH_CHECKS'),
      checkIntervalMs: get('HEALTH_CHECK_INTERVAL'),
      autoRestart: get('AUTO_RESTART'),
      maxRestartAttempts: get('MAX_RESTART_ATTEMPTS'),
    },
    auth: {
      apiKey: optional('DUCKLING_API_KEY'),
      apiKeyPrevious: optional('DUCKLING_API_KEY_PREVIOUS'),
      adminUsername: optional('ADMIN_USERNAME'),
      adminPassword: optional('ADMIN_PASSWORD'),
      sessionSecret: optional('SESSION_SECRET'),
      jwtSecret: optional('JWT_SECRET') ?? optional('SESSION_SECRET'),
      jwtExpiresIn: get<string>('JWT_EXPIRES_IN'),
      jwtLifetimeSec: durationToSeconds(get<string>('JWT_EXPIRES_IN')),
    },
    redis: { url: optional('REDIS_URL'), keyPrefix: get<string>('RATE_LIMIT_REDIS_PREFIX') },
    network: { trustProxy: trustProxy as TrustProxy, publicOrigins, corsOrigins: get<string[]>('CORS_ORIGINS') },
    query: {
      maxConcurrent: get('MAX_CONCURRENT_QUERIES'),
      timeoutMs: get('QUERY_TIMEOUT_MS'),
      streamTimeoutMs: get('QUERY_STREAM_TIMEOUT_MS'),
      queueMax: get('QUERY_QUEUE_MAX'),
      maxRows: get('QUERY_MAX_ROWS'),
      streamMaxRows: get('QUERY_STREAM_MAX_ROWS'),
    },
    backup: {
      autoBackup: get('AUTO_BACKUP'),
      intervalHours: get('BACKUP_INTERVAL_HOURS'),
      retentionDays: get('BACKUP_RETENTION_DAYS'),
      path: path.resolve(dataPath, optional('BACKUP_PATH') ?? 'backups'),
    },
    logLevel: get('LOG_LEVEL'),
    logsDir: optional('LOGS_DIR'),
    raw: Object.freeze({ ...values }),
    unknownVariables,
  };
  return deepFreeze(config);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/** Returns the origin of an http or https URL, else null (paths and trailing slashes are dropped). */
function parseOrigin(text: string): string | null {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.origin : null;
  } catch {
    return null;
  }
}
