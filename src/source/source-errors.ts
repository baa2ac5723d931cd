import { setTimeout as sleep } from 'node:timers/promises';
import { DucklingError, errorMessage } from '../errors/index.js';
import type { Logger } from '../logging/index.js';
import type { SourceEndpoint } from './connection-string.js';

/** mysql2 error codes of a connection that was lost and can be opened again. */
const LOST_CONNECTION = new Set([
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ECONNRESET',
  'EPIPE',
  'ER_SERVER_SHUTDOWN',
  'ER_CON_COUNT_ERROR',
  'ER_QUERY_INTERRUPTED',
]);
/** Server error numbers that succeed when the statement is run again: deadlock and lock wait timeout. */
const RETRYABLE_ERRNO = new Set([1213, 1205]);
/** Failures to reach or log in to the source: reported as DUCKLING_SOURCE_UNAVAILABLE at once. */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT']);
const ACCESS_DENIED = new Set(['ER_ACCESS_DENIED_ERROR', 'ER_DBACCESS_DENIED_ERROR', 'ER_BAD_DB_ERROR', 'ER_HOST_NOT_PRIVILEGED', 'ER_HOST_IS_BLOCKED']);

interface MysqlLikeError {
  code?: string;
  errno?: number;
  fatal?: boolean;
}

function fields(error: unknown): MysqlLikeError {
  return typeof error === 'object' && error !== null ? (error as MysqlLikeError) : {};
}

/** True for a lost connection, a deadlock (1213) or a lock wait timeout (1205). */
export function isTransientSourceError(error: unknown): boolean {
  const { code, errno } = fields(error);
  return (code !== undefined && LOST_CONNECTION.has(code)) || (errno !== undefined && RETRYABLE_ERRNO.has(errno));
}

/** True when the source cannot be reached or refuses the login. */
export function isUnavailableError(error: unknown): boolean {
  const { code } = fields(error);
  return code !== undefined && (UNREACHABLE.has(code) || ACCESS_DENIED.has(code));
}

/**
 * Wraps a connect or login failure into DUCKLING_SOURCE_UNAVAILABLE naming host and port.
 * mysql2 messages never contain the password; other errors pass through unchanged.
 */
export function toSourceError(error: unknown, endpoint: SourceEndpoint): unknown {
  if (error instanceof DucklingError || !isUnavailableError(error)) return error;
  const { code } = fields(error);
  let detail: string;
  if (code === 'ECONNREFUSED') detail = 'connection refused; check that the server runs and the host and port are right';
  else if (code === 'ETIMEDOUT') detail = 'connect timed out; check the host, port and firewall, or raise MYSQL_CONNECT_TIMEOUT_MS';
  else if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') detail = `host name "${endpoint.host}" could not be resolved`;
  else if (code === 'ER_BAD_DB_ERROR') detail = `schema "${endpoint.schema}" does not exist; check the schema in the connection string`;
  else if (code !== undefined && ACCESS_DENIED.has(code)) {
    detail = `login as user "${endpoint.user}" was rejected (${errorMessage(error)}); check the user and password in the connection string`;
  } else detail = errorMessage(error);
  return new DucklingError('DUCKLING_SOURCE_UNAVAILABLE', { host: endpoint.host, port: endpoint.port, detail }, { cause: error });
}

export interface RetryPolicy {
  maxRetries: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

/**
 * Runs `operation`, retrying a transient source error up to `maxRetries` times with delays
 * doubling from `baseDelayMs` to at most `maxDelayMs`. Unavailable-source errors are not retried.
 */
export async function withRetry<T>(
  operation: () => Promise<T>,
  policy: RetryPolicy,
  logger: Logger,
  action: string,
): Promise<T> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await operation();
    } catch (error) {
      if (!isTransientSourceError(error) || attempt >= policy.maxRetries) throw error;
      const delayMs = Math.min(policy.baseDelayMs * 2 ** attempt, policy.maxDelayMs);
      logger.warn({ err: error, action, attempt: attempt + 1, maxRetries: policy.maxRetries, delayMs }, 'source error, retrying');
      await sleep(delayMs);
    }
  }
}
