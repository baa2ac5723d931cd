import type { Logger } from '../logging/index.js';
import type { AuthMethod, Tier } from '../auth/index.js';

/** Every audit event type; operators search logs for these exact names. */
export const AUDIT_EVENTS = [
  'auth.login.succeeded',
  'auth.login.failed',
  'auth.logout',
  'auth.rejected',
  'auth.ticket.issued',
  'mysql.auth.failed',
  'apikey.created',
  'apikey.deleted',
  'database.created',
  'database.updated',
  'database.deleted',
  's3.config.updated',
  's3.config.deleted',
  'sync.started',
  'sync.completed',
  'sync.failed',
  'sync.cleared',
  'table.dropped',
  'cdc.started',
  'cdc.stopped',
  'cdc.position_lost',
  'backup.created',
  'backup.failed',
  'restore.started',
  'restore.completed',
  'restore.failed',
  'ratelimit.blocked',
  'ratelimit.shadow_blocked',
  'security.findings',
] as const;

export type AuditEventType = (typeof AUDIT_EVENTS)[number];

export interface AuditActor {
  /** User name, or `api-key:<fingerprint>` / `database-key:<keyId>`; null for anonymous callers and the system. */
  principal: string | null;
  authMethod: AuthMethod | null;
  tier: Tier | null;
  /** Client address; null for events Duckling raises itself (scheduled syncs, startup findings). */
  ip: string | null;
}

/** Actor of the events Duckling raises itself (scheduler, startup, health monitor). */
export const SYSTEM_ACTOR: AuditActor = Object.freeze({ principal: 'system', authMethod: null, tier: null, ip: null });

export interface AuditEventInput {
  event: AuditEventType;
  actor: AuditActor;
  /** Object of the action: a database id, `<db>/<table>`, a key id or a backup name; null when there is none. */
  target?: string | null;
  outcome: 'success' | 'failure';
  requestId?: string | null;
  /** Extra facts (a rejection reason, a row count); must never hold a secret. */
  detail?: Record<string, unknown>;
  /**
   * Rate-limit key of the caller, which scopes the per-type throttle; events without one share
   * the type's system bucket.
   */
  throttleKey?: string;
}

export interface AuditEvent {
  id: number;
  event: AuditEventType;
  time: string;
  actor: AuditActor;
  target: string | null;
  outcome: 'success' | 'failure';
  requestId: string | null;
  detail?: Record<string, unknown>;
  /** Events of this type and key dropped by the throttle since the previous recorded one. */
  suppressed?: number;
}

export interface AuditFilter {
  limit?: number;
  /** ISO-8601 instant; only later events are returned. */
  since?: string;
  event?: string;
}

/** Events kept in memory for `GET /api/audit`. */
export const AUDIT_RING_SIZE = 1_000;
/** Non-auth events recorded per type and key in one minute; the rest are counted as suppressed. */
const THROTTLE_PER_MINUTE = 10;
const THROTTLE_WINDOW_MS = 60_000;

interface ThrottleBucket {
  windowStartMs: number;
  recorded: number;
  suppressed: number;
}

/**
 * Records audit events as log lines with `audit: true` and keeps the newest ones in a ring.
 * `auth.*` events are always recorded. `ratelimit.blocked` passes unthrottled, because its caller
 * already records it at most once per key and window. Every other type is limited to 10 a minute per
 * type and key, and the next recorded event of that type and key carries the count it dropped.
 */
export class AuditLog {
  private readonly ring: AuditEvent[] = [];
  private readonly throttle = new Map<string, ThrottleBucket>();
  private nextId = 1;

  constructor(
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  record(input: AuditEventInput): void {
    const nowMs = this.now();
    const suppressed = this.admit(input, nowMs);
    if (suppressed === null) return;

    const event: AuditEvent = {
      id: this.nextId++,
      event: input.event,
      time: new Date(nowMs).toISOString(),
      actor: { ...input.actor },
      target: input.target ?? null,
      outcome: input.outcome,
      requestId: input.requestId ?? null,
      ...(input.detail ? { detail: input.detail } : {}),
      ...(suppressed > 0 ? { suppressed } : {}),
    };
    this.ring.push(event);
    if (this.ring.length > AUDIT_RING_SIZE) this.ring.shift();

    // pino writes its own `time` on every line, so the event's copy is left out rather than repeated.
    const { id: _id, time: _time, ...fields } = event;
    this.logger.info({ audit: true, ...fields }, `audit ${event.event}`);
  }

  /** Returns the newest matching events first, at most `limit` (default 100). */
  list(filter: AuditFilter = {}): AuditEvent[] {
    const limit = filter.limit ?? 100;
    const sinceMs = filter.since ? Date.parse(filter.since) : null;
    const matches: AuditEvent[] = [];
    for (let index = this.ring.length - 1; index >= 0 && matches.length < limit; index--) {
      const event = this.ring[index]!;
      if (filter.event && event.event !== filter.event) continue;
      if (sinceMs !== null && Date.parse(event.time) <= sinceMs) break;
      matches.push(event);
    }
    return matches;
  }

  /** Returns the number of events dropped before this one, or null when this one is dropped too. */
  private admit(input: AuditEventInput, nowMs: number): number | null {
    if (input.event.startsWith('auth.') || input.event === 'ratelimit.blocked') return 0;

    const bucketKey = `${input.event}\u0000${input.throttleKey ?? 'system'}`;
    let bucket = this.throttle.get(bucketKey);
    if (!bucket || nowMs - bucket.windowStartMs >= THROTTLE_WINDOW_MS) {
      const carried = bucket?.suppressed ?? 0;
      bucket = { windowStartMs: nowMs, recorded: 0, suppressed: carried };
      this.throttle.set(bucketKey, bucket);
      this.sweep(nowMs);
    }
    if (bucket.recorded >= THROTTLE_PER_MINUTE) {
      bucket.suppressed++;
      return null;
    }

    bucket.recorded++;
    const suppressed = bucket.suppressed;
    bucket.suppressed = 0;
    return suppressed;
  }

  /** Drops throttle buckets idle for two windows with nothing left to report. */
  private sweep(nowMs: number): void {
    for (const [key, bucket] of this.throttle) {
      if (bucket.suppressed === 0 && nowMs - bucket.windowStartMs >= 2 * THROTTLE_WINDOW_MS) this.throttle.delete(key);
    }
  }
}
