import os from 'node:os';
import { mkdirSync } from 'node:fs';
import pino, { type Logger } from 'pino';
import { createStream as createRotatingStream } from 'rotating-file-stream';

export type { Logger } from 'pino';

/** Log keys shared by every subsystem, so a search for one id finds every line about it. */
export const LogKey = {
  subsystem: 'subsystem',
  databaseId: 'databaseId',
  table: 'table',
  runId: 'runId',
} as const;

/** Field paths whose values never reach a log line. */
export const REDACT_PATHS = [
  'password',
  '*.password',
  'token',
  '*.token',
  'apiKey',
  '*.apiKey',
  'key',
  '*.key',
  'ticket',
  '*.ticket',
  'secretAccessKey',
  '*.secretAccessKey',
  'encryptionKey',
  '*.encryptionKey',
  'keyring',
  '*.keyring',
  'connectionString',
  '*.connectionString',
  'mysqlConnectionString',
  '*.mysqlConnectionString',
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
];

const CONNECTION_PASSWORD = /(mysql:\/\/[^:/@\s]*:)[^@\s]*@/gi;
const CREDENTIAL_PARAMETER = /([?&](?:token|apiKey|api_key|key|password|ticket)=)[^&\s#]*/gi;

/** Masks connection-string passwords and credential query parameters inside free text. */
export function redactText(text: string): string {
  return text.replace(CONNECTION_PASSWORD, '$1***@').replace(CREDENTIAL_PARAMETER, '$1***');
}

export interface LoggerOptions {
  level: string;
  version: string;
  logsDir?: string | null;
  /** Destination for tests; defaults to standard output. */
  destination?: pino.DestinationStream;
}

/** Creates the root logger. Children add `subsystem`, `databaseId`, `table` and `runId`. */
export function createLogger(options: LoggerOptions): Logger {
  const pinoOptions: pino.LoggerOptions = {
    level: options.level,
    base: { service: 'duckling', version: options.version, pid: process.pid, hostname: os.hostname() },
    redact: { paths: REDACT_PATHS, censor: '***' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    hooks: {
      // Messages and error texts can quote a connection string (mysql2 errors sometimes do).
      logMethod(args, method) {
        const masked = args.map((arg) => (typeof arg === 'string' ? redactText(arg) : maskErrors(arg)));
        method.apply(this, masked as Parameters<typeof method>);
      },
    },
    serializers: { err: serializeError, error: serializeError },
  };

  const streams: pino.StreamEntry[] = [{ stream: options.destination ?? pino.destination(1) }];
  if (options.logsDir) {
    mkdirSync(options.logsDir, { recursive: true });
    // Keeps duckling.log plus four rotated files of at most 10 MB each.
    const file = createRotatingStream('duckling.log', { path: options.logsDir, size: '10M', maxFiles: 4 });
    streams.push({ stream: file });
  }
  return pino(pinoOptions, pino.multistream(streams.map((entry) => ({ ...entry, level: 'trace' as const }))));
}

function maskErrors(arg: unknown): unknown {
  if (!arg || typeof arg !== 'object') return arg;
  const record = arg as Record<string, unknown>;
  for (const field of ['err', 'error']) {
    if (record[field] instanceof Error) return { ...record, [field]: serializeError(record[field]) };
  }
  return arg;
}

function serializeError(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const serialized = pino.stdSerializers.err(error);
  serialized.message = redactText(serialized.message);
  if (serialized.stack) serialized.stack = redactText(serialized.stack);
  return serialized;
}

/** A logger that drops everything, for unit tests and CLI commands run with --json. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
