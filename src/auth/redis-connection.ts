import { Redis } from 'ioredis';
import type { Logger } from '../logging/index.js';

/** A Redis call slower than this counts as a failure, so a hung server cannot stall requests. */
const COMMAND_TIMEOUT_MS = 1_000;
/** Reconnect delays grow by this step up to the maximum, so Redis is retried every 5 s at most. */
const RECONNECT_STEP_MS = 500;
const RECONNECT_MAX_MS = 5_000;

/**
 * Opens a Redis connection for the auth stores. Commands fail at once while it is disconnected
 * (no offline queue) so callers can respond 503 instead of waiting, and it reconnects in the
 * background. Connection state changes are logged once each, never the URL, which may hold a password.
 */
export function connectRedis(url: string, logger: Logger): Redis {
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: COMMAND_TIMEOUT_MS,
    retryStrategy: (attempt) => Math.min(attempt * RECONNECT_STEP_MS, RECONNECT_MAX_MS),
  });

  let available: boolean | null = null;
  redis.on('ready', () => {
    if (available !== true) logger.info('redis connection ready');
    available = true;
  });
  redis.on('error', (error: Error) => {
    if (available !== false) logger.warn({ err: error }, 'redis connection failed; auth stores answer 503 until it is back');
    available = false;
  });
  return redis;
}
