import os from 'node:os';
import { mkdirSync } from 'node:fs';
import pino, { type Logger } from 'pino';
import { createStream as createRotatingStream } from 'rotating-file-stream';
import { Redactor } from './redaction.js';

export type { Logger } from 'pino';

/** Log keys shared by every subsystem, so a search for one id finds every line about it. */
export const LogKey = {
  subsystem: 'subsystem',
  databaseId: 'databaseId',
  table: 'table',
  runId: 'runId',
} as const;

/**
 * Field paths pino masks when it writes a line. They are a second layer behind the deep walk of
 * the `logMethod` hook, which covers every depth but not what serializers add afterwards.
 */
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
  'headers["x-api-key"]',
  'headers["set-cookie"]',
];

export interface LoggerOptions {
  level: string;
  version: string;
  logsDir?: string | null;
  /** Destination for tests; defaults to standard output. */
  destination?: pino.DestinationStream;
  /** Configured secrets (API keys, session secret, passwords) masked wherever they appear in text. */
  secretValues?: readonly (string | null | undefined)[];
}

/** Creates the root logger. Children add `subsystem`, `databaseId`, `table` and `runId`. */
export function createLogger(options: LoggerOptions): Logger {
  const redactor = new Redactor(options.secretValues);
  const pinoOptions: pino.LoggerOptions = {
    level: options.level,
    base: { service: 'duckling', version: options.version, pid: process.pid, hostname: os.hostname() },
    redact: { paths: REDACT_PATHS, censor: '***' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    hooks: {
      // Messages, error texts and nested fields can quote a connection string (mysql2 errors
      // sometimes do) or carry a secret field at any depth.
      logMethod(args, method) {
        const masked = args.map((arg) => redactor.value(arg));
        method.apply(this, masked as Parameters<typeof method>);
      },
    },
    serializers: { err: (error: unknown) => redactor.value(error), error: (error: unknown) => redactor.value(error) },
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

/** A logger that drops everything, for unit tests and CLI commands run with --json. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
