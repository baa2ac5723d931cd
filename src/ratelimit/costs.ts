import type { RateLimitCategory, RateLimitSettings } from './settings.js';

/** Charge of one request: units of one category. */
export interface RateCharge {
  category: RateLimitCategory;
  cost: number;
}

/** SQL longer than this many characters costs one unit more, and longer than the second two more. */
const LONG_SQL_CHARACTERS = 2_000;
const VERY_LONG_SQL_CHARACTERS = 5_000;
/** A checksum validation reads every row on both sides, so it costs two units above a plain read. */
const CHECKSUM_EXTRA_COST = 2;

/**
 * The cost rules. Routes, WebSocket messages and protocol statements ask this table for their
 * charge instead of computing costs themselves.
 */
export class RateLimitCosts {
  constructor(private readonly settings: RateLimitSettings) {}

  /** Returns the base cost of a category (`RATE_LIMIT_COST_<CATEGORY>`). */
  base(category: RateLimitCategory): RateCharge {
    return { category, cost: this.settings.categories[category].cost };
  }

  /**
   * Prices a query. On the source (`database: "mysql"`) it is a `write`. On the replica it costs
   * `RATE_LIMIT_COST_QUERY`, plus 1 above 2,000 SQL characters or plus 2 above 5,000. Text that
   * is not a string (a body still to be validated) costs the base.
   */
  query(sql: unknown, database?: unknown): RateCharge {
    if (database === 'mysql') return this.base('write');

    const base = this.settings.categories.query.cost;
    const length = typeof sql === 'string' ? characterCount(sql) : 0;
    if (length > VERY_LONG_SQL_CHARACTERS) return { category: 'query', cost: base + 2 };
    if (length > LONG_SQL_CHARACTERS) return { category: 'query', cost: base + 1 };
    return { category: 'query', cost: base };
  }

  /** Prices `GET /api/sync/validate`: a read, two units dearer in `checksum` mode. */
  validation(mode: unknown): RateCharge {
    const read = this.base('read');
    return mode === 'checksum' ? { category: 'read', cost: read.cost + CHECKSUM_EXTRA_COST } : read;
  }
}

/**
 * Counts Unicode code points, so a query in a non-Latin script is not charged per UTF-16 unit.
 * Text of at most 2,000 units has at most 2,000 code points, so it skips the count.
 */
function characterCount(text: string): number {
  if (text.length <= LONG_SQL_CHARACTERS) return text.length;
  let count = 0;
  for (const _character of text) count += 1;
  return count;
}
