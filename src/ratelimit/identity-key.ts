import type { Principal, Tier } from '../auth/index.js';
import { rateLimitAddress } from './client-address.js';
import type { RateLimitCategory, RateLimitSettings } from './settings.js';

/** Whose budget a request spends: a client address, a login session or a key. */
export type RateLimitScope =
  | { kind: 'ip'; address: string }
  | { kind: 'session'; jti: string }
  | { kind: 'key'; id: string };

/**
 * Identity of one bucket. Keys stay structured everywhere and are turned into text only by the
 * stores (`serializeBucketKey`, `serializeInFlightKey`).
 */
export interface RateLimitKey {
  tier: Tier;
  scope: RateLimitScope;
  /** Set on database-scoped requests while `RATE_LIMIT_INCLUDE_DB_SCOPE` is on. */
  databaseId: string | null;
  category: RateLimitCategory;
}

/** Caller of a charge: the principal, its client address and the database of the request. */
export interface ChargeSubject {
  principal: Principal;
  /** Client address as the HTTP layer resolved it (`X-Forwarded-For` only from trusted proxies). */
  clientIp: string;
  /** Database of a database-scoped request, WebSocket query or protocol statement; else null. */
  databaseId: string | null;
}

/**
 * Builds the key of a request. `auth` is always per address at the anonymous tier, because it
 * counts attempts by callers that have not proven who they are. Anonymous callers are keyed by
 * address. Authenticated callers are keyed by address too, unless `RATE_LIMIT_USE_SESSION_SCOPE`
 * is on: then an admin login is keyed by its token id and a key by its fingerprint or key id.
 */
export function buildRateLimitKey(settings: RateLimitSettings, subject: ChargeSubject, category: RateLimitCategory): RateLimitKey {
  const databaseId = settings.includeDbScope ? subject.databaseId : null;
  if (category === 'auth') {
    return { tier: 'anonymous', scope: ipScope(subject.clientIp), databaseId: null, category };
  }
  return { tier: subject.principal.tier, scope: callerScope(settings, subject), databaseId, category };
}

function callerScope(settings: RateLimitSettings, subject: ChargeSubject): RateLimitScope {
  const principal = subject.principal;
  if (!settings.useSessionScope) return ipScope(subject.clientIp);

  switch (principal.kind) {
    case 'anonymous':
      return ipScope(subject.clientIp);
    case 'admin':
      return { kind: 'session', jti: principal.jti };
    case 'apiKey':
      return { kind: 'key', id: principal.keyFingerprint };
    case 'databaseKey':
      return { kind: 'key', id: principal.keyId };
  }
}

function ipScope(clientIp: string): RateLimitScope {
  return { kind: 'ip', address: rateLimitAddress(clientIp) };
}

/** Text of a bucket key, e.g. `read:apiKey:ip:10.0.0.7:db:default`. */
export function serializeBucketKey(key: RateLimitKey): string {
  return `${key.category}:${serializeIdentity(key)}`;
}

/** Text of the in-flight key: the identity without the category, since REST, WebSocket and protocol queries share it. */
export function serializeInFlightKey(key: RateLimitKey): string {
  return `inflight:${serializeIdentity(key)}`;
}

function serializeIdentity(key: RateLimitKey): string {
  const database = key.databaseId === null ? '' : `:db:${key.databaseId}`;
  return `${key.tier}:${serializeScope(key.scope)}${database}`;
}

function serializeScope(scope: RateLimitScope): string {
  switch (scope.kind) {
    case 'ip':
      return `ip:${scope.address}`;
    case 'session':
      return `session:${scope.jti}`;
    case 'key':
      return `key:${scope.id}`;
  }
}
