/**
 * The sliding-window counter with weighted costs that every rate-limit store applies. A bucket
 * counts the units admitted in the current window and in the previous one. Usage weights the
 * previous window by the part of it that still overlaps a window ending now:
 *
 *   usage = previous × (1 − elapsed ÷ window) + current
 *
 * A request is admitted when `usage + cost ≤ limit`, and only admitted requests add their cost,
 * so a rejected caller cannot push its own counter past the limit. The Redis store runs the same
 * rules in Lua (`redis-scripts.ts`) and hands the resulting state back to `describeWindow`.
 */

/** State of one bucket. Times are epoch milliseconds of the clock that owns the bucket. */
export interface WindowState {
  windowStartMs: number;
  /** Units admitted since `windowStartMs`. */
  current: number;
  /** Units admitted in the window before. */
  previous: number;
}

export interface WindowCheck {
  nowMs: number;
  windowMs: number;
  /** Units one window admits for this key: `max(1, floor(base × tier multiplier))`. */
  limit: number;
  cost: number;
}

/** Outcome of one check, with the numbers the response headers report. */
export interface WindowDecision {
  allowed: boolean;
  /** State to store: rolled forward to `nowMs`, and with the cost added when allowed. */
  state: WindowState;
  /** Weighted usage after the decision, fractional. */
  usage: number;
  /** `max(0, floor(limit − usage))`. */
  remaining: number;
  /** Seconds until the rejected request would fit, at least 1; 0 when allowed. */
  retryAfterSec: number;
  /** Seconds until one unit frees (`t` of the RateLimit header); 0 when usage is below 1. */
  resetSec: number;
}

/**
 * Advances a bucket to `nowMs`. After one window `current` becomes `previous` and the window
 * moves on by one length. After two or more, both counts are stale, so the bucket restarts at
 * `nowMs`. A missing bucket starts empty at `nowMs`.
 */
export function rollWindow(state: WindowState | null, nowMs: number, windowMs: number): WindowState {
  if (state === null) return { windowStartMs: nowMs, current: 0, previous: 0 };

  const elapsedMs = nowMs - state.windowStartMs;
  if (elapsedMs >= 2 * windowMs) return { windowStartMs: nowMs, current: 0, previous: 0 };
  if (elapsedMs >= windowMs) return { windowStartMs: state.windowStartMs + windowMs, current: 0, previous: state.current };
  return { ...state };
}

/** Applies one request of `check.cost` units to a bucket. Pure: the caller stores `state`. */
export function checkWindow(stored: WindowState | null, check: WindowCheck): WindowDecision {
  const rolled = rollWindow(stored, check.nowMs, check.windowMs);
  const usageBefore = weightedUsage(rolled, check.nowMs, check.windowMs);
  const allowed = usageBefore + check.cost <= check.limit;

  const state = allowed ? { ...rolled, current: rolled.current + check.cost } : rolled;
  return describeWindow(state, { ...check, allowed });
}

/**
 * Computes usage, remaining units and the waiting times of a bucket that already contains the
 * decision (`allowed` tells whether the cost was added). The Redis store calls it with the state
 * its script wrote.
 */
export function describeWindow(state: WindowState, check: WindowCheck & { allowed: boolean }): WindowDecision {
  const usage = weightedUsage(state, check.nowMs, check.windowMs);
  const remaining = Math.max(0, Math.floor(check.limit - usage));
  const resetSec = usage < 1 ? 0 : Math.ceil(waitMs(state, check.nowMs, check.windowMs, 1) / 1000);

  let retryAfterSec = 0;
  if (!check.allowed) {
    const excess = usage + check.cost - check.limit;
    retryAfterSec = Math.max(1, Math.ceil(waitMs(state, check.nowMs, check.windowMs, excess) / 1000));
  }
  return { allowed: check.allowed, state, usage, remaining, retryAfterSec, resetSec };
}

/** `previous × (1 − elapsed fraction) + current`, for a bucket already rolled to `nowMs`. */
export function weightedUsage(state: WindowState, nowMs: number, windowMs: number): number {
  const elapsedFraction = clamp((nowMs - state.windowStartMs) / windowMs, 0, 1);
  return state.previous * (1 - elapsedFraction) + state.current;
}

/**
 * Milliseconds until the usage of a bucket (rolled to `nowMs`) has fallen by `drop` units, if
 * nothing more is admitted. While the previous window's share alone covers the drop, usage falls
 * at `previous ÷ window` per millisecond. Otherwise the rest of this window passes first, and then
 * `current` (by then the previous window) decays the same way.
 *
 * NOTE: a drop larger than the whole usage never happens (a cost above the limit can never be
 * admitted), so the wait is capped at the time until the bucket is empty.
 */
export function waitMs(state: WindowState, nowMs: number, windowMs: number, drop: number): number {
  const usage = weightedUsage(state, nowMs, windowMs);
  const target = Math.min(drop, usage);
  if (target <= 0) return 0;

  const elapsedMs = clamp(nowMs - state.windowStartMs, 0, windowMs);
  const previousShare = usage - state.current;
  if (previousShare >= target) return (windowMs * target) / state.previous;
  return windowMs - elapsedMs + windowMs * (1 - (usage - target) / state.current);
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}
