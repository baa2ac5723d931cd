import type { Tier } from '../auth/index.js';
import type { RateLimitCategory } from './settings.js';

/** `allowed`: admitted within the limit; `blocked`: rejected; `shadow_blocked`: over the limit but admitted in shadow mode. */
export type DecisionOutcome = 'allowed' | 'blocked' | 'shadow_blocked';

export interface DecisionCount {
  category: RateLimitCategory;
  tier: Tier;
  outcome: DecisionOutcome;
  count: number;
}

/** Limiter decisions since start per category, tier and outcome, the labels of `duckling_ratelimit_decisions_total`. */
export class DecisionCounts {
  private readonly counts = new Map<string, DecisionCount>();

  add(category: RateLimitCategory, tier: Tier, outcome: DecisionOutcome): void {
    const id = `${category}|${tier}|${outcome}`;
    const entry = this.counts.get(id);
    if (entry) entry.count += 1;
    else this.counts.set(id, { category, tier, outcome, count: 1 });
  }

  /** Returns every non-zero count, sorted by category, tier and outcome. */
  list(): DecisionCount[] {
    return [...this.counts.values()]
      .map((entry) => ({ ...entry }))
      .sort((a, b) => a.category.localeCompare(b.category) || a.tier.localeCompare(b.tier) || a.outcome.localeCompare(b.outcome));
  }
}
