import path from 'node:path';
import type { Redis } from 'ioredis';
import type { Config } from '../config/index.js';
import type { Logger } from '../logging/index.js';
import { AdminTokens } from './admin-tokens.js';
import { createApiKeyVerifier } from './api-key.js';
import { UNLIMITED_ATTEMPTS, type AuthAttemptGuard } from './attempt-guard.js';
import { Authenticator } from './authenticator.js';
import { CredentialWatch } from './credential-watch.js';
import { DatabaseKeys, type DatabaseKeyRecords } from './database-keys.js';
import { connectRedis } from './redis-connection.js';
import { RedisRevocationList } from './redis-revocations.js';
import { FileRevocationList, REVOCATION_FILE_NAME, type RevocationList } from './revocations.js';
import { SessionCookieSealer } from './session-cookie.js';
import { MemoryTicketStore, RedisTicketStore, Tickets } from './tickets.js';

/** Everything the HTTP layer needs to authenticate requests and serve the login, ticket and key routes. */
export interface AuthServices {
  authenticator: Authenticator;
  /** Null without `JWT_SECRET` and `SESSION_SECRET`: login then fails with a message saying so. */
  tokens: AdminTokens | null;
  /** Null without `SESSION_SECRET`. */
  cookies: SessionCookieSealer | null;
  revocations: RevocationList;
  tickets: Tickets;
  databaseKeys: DatabaseKeys;
  watch: CredentialWatch;
  attemptGuard: AuthAttemptGuard;
  /** Null unless both `ADMIN_USERNAME` and `ADMIN_PASSWORD` are set. */
  adminAccount: { username: string; password: string } | null;
  /** `JWT_EXPIRES_IN` as configured, echoed by the login response. */
  expiresIn: string;
  close(): Promise<void>;
}

export interface AuthServicesOptions {
  config: Config;
  logger: Logger;
  keyRecords: DatabaseKeyRecords;
  /** Charges login attempts and failed credentials to the rate limiter; default: no limit. */
  attemptGuard?: AuthAttemptGuard;
}

/**
 * Builds the auth services. With `REDIS_URL`, tickets and revocations are shared through Redis;
 * otherwise tickets live in memory and revocations in `DATA_PATH/revoked-tokens.json`.
 */
export async function createAuthServices(options: AuthServicesOptions): Promise<AuthServices> {
  const { config } = options;
  const logger = options.logger.child({ subsystem: 'auth' });
  const { auth } = config;

  let redis: Redis | null = null;
  let revocations: RevocationList;
  let tickets: Tickets;
  if (config.redis.url) {
    redis = connectRedis(config.redis.url, logger);
    revocations = await RedisRevocationList.start(redis, config.redis.keyPrefix, logger);
    tickets = new Tickets(new RedisTicketStore(redis, config.redis.keyPrefix));
  } else {
    revocations = await FileRevocationList.load(path.join(config.dataPath, REVOCATION_FILE_NAME), logger);
    tickets = new Tickets(new MemoryTicketStore());
  }

  const tokens = auth.jwtSecret ? new AdminTokens(auth.jwtSecret, auth.jwtLifetimeSec) : null;
  const cookies = auth.sessionSecret ? new SessionCookieSealer(auth.sessionSecret) : null;
  const databaseKeys = new DatabaseKeys(options.keyRecords, logger);
  const authenticator = new Authenticator({
    apiKeys: createApiKeyVerifier({ current: auth.apiKey, previous: auth.apiKeyPrevious }),
    databaseKeys,
    tokens,
    cookies,
    revocations,
    tickets,
    adminUsername: auth.adminUsername,
  });

  const watch = new CredentialWatch();
  revocations.onRevoked((jti) => watch.revoked(jti));
  databaseKeys.onDeleted((databaseId, keyId) => watch.keyDeleted(databaseId, keyId));

  return {
    authenticator,
    tokens,
    cookies,
    revocations,
    tickets,
    databaseKeys,
    watch,
    attemptGuard: options.attemptGuard ?? UNLIMITED_ATTEMPTS,
    adminAccount: auth.adminUsername && auth.adminPassword ? { username: auth.adminUsername, password: auth.adminPassword } : null,
    expiresIn: auth.jwtExpiresIn,
    async close() {
      await revocations.close();
      redis?.disconnect();
    },
  };
}
