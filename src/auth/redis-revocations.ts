import type { Redis } from 'ioredis';
import { DucklingError, errorMessage } from '../errors/index.js';
import type { Logger } from '../logging/index.js';
import type { RevocationList } from './revocations.js';

/** Each instance reloads the shared list this often. */
export const REVOCATION_REFRESH_MS = 5_000;
/** After this long without a successful reload, token and cookie checks fail closed with 503. */
export const REVOCATION_STALE_AFTER_MS = 30_000;

/**
 * The revocation list shared by every instance through Redis: one sorted set of token ids scored
 * by their expiry in Unix seconds. Checks read a local copy reloaded every 5 s, so a logout on
 * another instance takes effect within that time. A logout while Redis is out of reach is
 * recorded locally and written at the next successful reload.
 */
export class RedisRevocationList implements RevocationList {
  private readonly cache = new Map<string, number>();
  /** Local revocations not yet written to Redis. */
  private readonly pending = new Map<string, number>();
  private readonly listeners: Array<(jti: string) => void> = [];
  private lastReloadMs: number;
  private timer: NodeJS.Timeout | null = null;
  private reloading: Promise<void> | null = null;

  private constructor(
    private readonly redis: Redis,
    private readonly key: string,
    private readonly logger: Logger,
    private readonly now: () => number,
  ) {
    // The first 30 s after start count as fresh, so a Redis outage at boot does not block logins at once.
    this.lastReloadMs = now();
  }

  static async start(redis: Redis, keyPrefix: string, logger: Logger, now: () => number = Date.now): Promise<RedisRevocationList> {
    const list = new RedisRevocationList(redis, `${keyPrefix}revoked-tokens`, logger, now);
    await list.reload();
    list.timer = setInterval(() => void list.reload(), REVOCATION_REFRESH_MS);
    list.timer.unref();
    return list;
  }

  async isRevoked(jti: string): Promise<boolean> {
    const staleMs = this.now() - this.lastReloadMs;
    if (staleMs > REVOCATION_STALE_AFTER_MS) {
      throw new DucklingError('DUCKLING_STORE_UNAVAILABLE', {
        store: 'revocation store (Redis)',
        detail: `not reached for ${Math.round(staleMs / 1000)} s, so tokens and session cookies cannot be checked; API keys still work`,
      });
    }
    return this.cache.has(jti);
  }

  async revoke(jti: string, expiresAtSec: number): Promise<void> {
    if (!this.cache.has(jti)) {
      this.cache.set(jti, expiresAtSec);
      for (const listener of this.listeners) listener(jti);
    }
    try {
      await this.redis.zadd(this.key, expiresAtSec, jti);
    } catch (error) {
      this.pending.set(jti, expiresAtSec);
      this.logger.warn({ err: error }, 'logout recorded locally; the revocation is written to Redis once it is back');
    }
  }

  async prune(): Promise<number> {
    const nowSec = Math.floor(this.now() / 1000);
    const pruned = await this.redis.zremrangebyscore(this.key, '-inf', `(${nowSec}`);
    for (const [jti, expiresAtSec] of this.cache) if (expiresAtSec < nowSec) this.cache.delete(jti);
    return pruned;
  }

  onRevoked(listener: (jti: string) => void): void {
    this.listeners.push(listener);
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.reloading;
  }

  /** Writes pending revocations, then replaces the local copy with the unexpired entries in Redis. */
  private reload(): Promise<void> {
    this.reloading ??= this.reloadNow().finally(() => {
      this.reloading = null;
    });
    return this.reloading;
  }

  private async reloadNow(): Promise<void> {
    const nowSec = Math.floor(this.now() / 1000);
    try {
      for (const [jti, expiresAtSec] of [...this.pending]) {
        await this.redis.zadd(this.key, expiresAtSec, jti);
        this.pending.delete(jti);
      }
      // Expired entries are dropped first, so the set holds only the revocations of one token lifetime.
      await this.redis.zremrangebyscore(this.key, '-inf', `(${nowSec}`);
      // NOTE: every instance reads the whole set every 5 s; fine for the revocations of one
      // JWT_EXPIRES_IN period, but not sized for millions of logouts.
      const flat = await this.redis.zrangebyscore(this.key, nowSec, '+inf', 'WITHSCORES');
      // Entries are only added or expired, never taken back, so the copy is merged rather than replaced.
      const added: string[] = [];
      for (let index = 0; index + 1 < flat.length; index += 2) {
        const jti = flat[index]!;
        if (!this.cache.has(jti)) added.push(jti);
        this.cache.set(jti, Number(flat[index + 1]));
      }
      for (const [jti, expiresAtSec] of this.cache) if (expiresAtSec < nowSec) this.cache.delete(jti);
      this.lastReloadMs = this.now();
      for (const jti of added) for (const listener of this.listeners) listener(jti);
    } catch (error) {
      this.logger.debug({ err: errorMessage(error) }, 'revocation list reload failed');
    }
  }
}
