import type { Tier } from '../auth/index.js';
import type { Config } from '../config/index.js';

/** Rate-limit category: each has its own budget, window and base cost. */
export type RateLimitCategory = 'auth' | 'monitoring' | 'read' | 'query' | 'write';

export const RATE_LIMIT_CATEGORIES: readonly RateLimitCategory[] = ['auth', 'monitoring', 'read', 'query', 'write'];

export interface CategorySettings {
  /** Base budget per window, multiplied per tier. */
  max: number;
  windowMs: number;
  /** Base cost of one request. */
  cost: number;
}

export type StoreFailurePolicy = 'memory' | 'open' | 'closed';

/** The `RATE_LIMIT_*` and `REDIS_URL` settings, validated by the config schema. */
export interface RateLimitSettings {
  enabled: boolean;
  /** `enforce` rejects over-limit requests; `shadow` admits them and only marks and logs them. */
  mode: 'enforce' | 'shadow';
  categories: Readonly<Record<RateLimitCategory, CategorySettings>>;
  /** Budget multiplier per tier; anonymous is always 1. */
  multipliers: Readonly<Record<Tier, number>>;
  concurrency: {
    enabled: boolean;
    /** Queries in flight per identity key; anonymous callers cannot query, so they have no cap. */
    maxInFlight: Readonly<Record<'jwt' | 'apiKey', number>>;
    /** An in-flight entry not refreshed for this long is released. */
    inFlightTtlMs: number;
  };
  useSessionScope: boolean;
  includeDbScope: boolean;
  /** Sweep period of idle buckets in the memory store. */
  cleanupIntervalMs: number;
  redis: {
    /** Null: the memory store. */
    url: string | null;
    keyPrefix: string;
    failurePolicy: StoreFailurePolicy;
    /** A Redis call slower than this is a store failure. */
    timeoutMs: number;
  };
}

/**
 * Reads the rate-limit settings from the validated configuration. The config schema has already
 * checked every value's type and minimum, so this only gives them their typed shape.
 */
export function readRateLimitSettings(config: Config): RateLimitSettings {
  const raw = config.raw;
  const number = (name: string): number => raw[name] as number;
  const flag = (name: string): boolean => raw[name] as boolean;
  const category = (name: string): CategorySettings => ({
    max: number(`RATE_LIMIT_${name}_MAX`),
    windowMs: number(`RATE_LIMIT_${name}_WINDOW_MS`),
    cost: number(`RATE_LIMIT_COST_${name}`),
  });

  return Object.freeze({
    enabled: flag('RATE_LIMIT_ENABLED'),
    mode: raw.RATE_LIMIT_MODE as RateLimitSettings['mode'],
    categories: Object.freeze({
      auth: category('AUTH'),
      monitoring: category('MONITORING'),
      read: category('READ'),
      query: category('QUERY'),
      write: category('WRITE'),
    }),
    multipliers: Object.freeze({
      anonymous: 1,
      jwt: number('RATE_LIMIT_JWT_MULTIPLIER'),
      apiKey: number('RATE_LIMIT_APIKEY_MULTIPLIER'),
    }),
    concurrency: Object.freeze({
      enabled: flag('RATE_LIMIT_QUERY_CONCURRENCY_ENABLED'),
      maxInFlight: Object.freeze({
        jwt: number('RATE_LIMIT_JWT_QUERY_MAX_IN_FLIGHT'),
        apiKey: number('RATE_LIMIT_APIKEY_QUERY_MAX_IN_FLIGHT'),
      }),
      inFlightTtlMs: number('RATE_LIMIT_QUERY_INFLIGHT_TTL_MS'),
    }),
    useSessionScope: flag('RATE_LIMIT_USE_SESSION_SCOPE'),
    includeDbScope: flag('RATE_LIMIT_INCLUDE_DB_SCOPE'),
    cleanupIntervalMs: number('RATE_LIMIT_CLEANUP_INTERVAL_MS'),
    redis: Object.freeze({
      url: (raw.REDIS_URL as string | null) ?? null,
      keyPrefix: raw.RATE_LIMIT_REDIS_PREFIX as string,
      failurePolicy: raw.RATE_LIMIT_STORE_FAILURE as StoreFailurePolicy,
      timeoutMs: number('RATE_LIMIT_STORE_TIMEOUT_MS'),
    }),
  });
}

/** Units one window admits for a tier: `max(1, floor(base × multiplier))`. */
export function tierLimit(settings: RateLimitSettings, category: RateLimitCategory, tier: Tier): number {
  return Math.max(1, Math.floor(settings.categories[category].max * settings.multipliers[tier]));
}
