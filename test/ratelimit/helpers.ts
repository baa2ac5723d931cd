import { AuditLog } from '../../src/audit/index.js';
import { loadConfig } from '../../src/config/index.js';
import { createLogger, type Logger } from '../../src/logging/index.js';
import { RateLimiter, readRateLimitSettings, type RateLimitSettings, type RateLimitStore } from '../../src/ratelimit/index.js';

/** Settings from the defaults plus `env`, as the server would read them. */
export function settingsFrom(env: Record<string, string> = {}): RateLimitSettings {
  return readRateLimitSettings(loadConfig({ DATA_PATH: '/nonexistent', ...env }, { envFile: '/nonexistent/.env' }));
}

export function silentLogger(): Logger {
  return createLogger({ level: 'silent', version: 'test' });
}

/** A settable clock for stores and the limiter. */
export class TestClock {
  constructor(public nowMs = 1_000_000) {}
  readonly now = (): number => this.nowMs;
  advance(ms: number): void {
    this.nowMs += ms;
  }
}

export interface TestLimiter {
  limiter: RateLimiter;
  audit: AuditLog;
  clock: TestClock;
}

/** Creates a limiter over a memory store (or `store`) with a test clock. */
export async function createTestLimiter(env: Record<string, string> = {}, store?: RateLimitStore): Promise<TestLimiter> {
  const clock = new TestClock();
  const logger = silentLogger();
  const audit = new AuditLog(logger, clock.now);
  const limiter = await RateLimiter.create({ settings: settingsFrom(env), logger, audit, now: clock.now, ...(store ? { store } : {}) });
  return { limiter, audit, clock };
}
