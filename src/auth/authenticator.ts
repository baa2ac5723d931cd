import type { AdminSession, AdminTokens } from './admin-tokens.js';
import { CLOCK_SKEW_SEC } from './admin-tokens.js';
import type { ApiKeyVerifier } from './api-key.js';
import type { DatabaseKeys } from './database-keys.js';
import type { Principal } from './principal.js';
import type { RevocationList } from './revocations.js';
import type { SessionCookieSealer } from './session-cookie.js';
import type { TicketGrant, TicketPurpose, Tickets } from './tickets.js';

/** Reason a presented credential was rejected, recorded as `reason` in audit events. */
export type AuthFailureReason =
  | 'key_invalid'
  | 'key_expired'
  | 'token_invalid'
  | 'token_expired'
  | 'token_not_yet_valid'
  | 'token_revoked'
  | 'cookie_invalid'
  | 'cookie_revoked'
  | 'cookie_expired'
  | 'ticket_invalid'
  | 'ticket_wrong_purpose';

export interface AuthFailure {
  reason: AuthFailureReason;
  /** Says what is wrong and what to do; never contains the credential. */
  detail: string;
  /**
   * True when the failure costs one unit of the client's `auth` budget. Expired credentials are
   * free, because honest clients present them routinely.
   */
  charged: boolean;
}

export type Authentication = { ok: true; principal: Principal } | { ok: false; failure: AuthFailure };

export interface AuthenticatorDeps {
  apiKeys: ApiKeyVerifier;
  databaseKeys: DatabaseKeys;
  /** Null when neither `JWT_SECRET` nor `SESSION_SECRET` is set: no token is then valid. */
  tokens: AdminTokens | null;
  /** Null when `SESSION_SECRET` is not set: no cookie is then valid. */
  cookies: SessionCookieSealer | null;
  revocations: RevocationList;
  tickets: Tickets;
  /** A token or cookie stays valid only while its subject is still `ADMIN_USERNAME`. */
  adminUsername: string | null;
  now?: () => number;
}

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/**
 * Turns a presented credential into a principal: a bearer credential (global API key, database
 * key or admin token), a session cookie or a ticket. Checks that depend on the route (its auth
 * rule, the database in question, the origin) are left to the HTTP layer. Throws
 * `DUCKLING_STORE_UNAVAILABLE` when the revocation or ticket store cannot be reached.
 */
export class Authenticator {
  private readonly now: () => number;

  constructor(private readonly deps: AuthenticatorDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** Checks an `Authorization` credential. The global keys are compared first, whatever the shape. */
  async bearer(credential: string): Promise<Authentication> {
    const apiKey = this.deps.apiKeys.verify(credential);
    if (apiKey) return { ok: true, principal: apiKey };

    if (credential.startsWith('dk_')) {
      const check = this.deps.databaseKeys.verify(credential);
      if (check.ok) return { ok: true, principal: check.principal };
      return fail(check.failure, check.detail, check.failure !== 'key_expired');
    }

    if (JWT_SHAPE.test(credential)) return this.token(credential);

    return fail(
      'key_invalid',
      'the credential matches neither DUCKLING_API_KEY nor DUCKLING_API_KEY_PREVIOUS and is neither a database key nor a token; check what you send',
      true,
    );
  }

  async cookie(value: string): Promise<Authentication> {
    const session = this.deps.cookies?.unseal(value) ?? null;
    if (!session) {
      return fail('cookie_invalid', 'the session cookie was not issued by this server or was changed; log in again', true);
    }
    if (session.expiresAtSec + CLOCK_SKEW_SEC < this.now() / 1000) {
      return fail('cookie_expired', 'the session has expired; log in again', false);
    }
    return this.admitSession(session, 'session');
  }

  /**
   * Redeems a ticket for `purpose`. The ticket is used up even when the purpose is wrong, and its
   * principal must still be valid: a logout or a deleted key also voids the tickets issued to it.
   */
  async ticket(ticket: string, purpose: TicketPurpose): Promise<Authentication & { grant?: TicketGrant }> {
    const grant = await this.deps.tickets.redeem(ticket);
    if (!grant) {
      return fail('ticket_invalid', 'the ticket is unknown, expired or already used; request a new one with POST /api/tickets', true);
    }
    if (grant.purpose !== purpose) {
      return fail('ticket_wrong_purpose', `the ticket was issued for purpose "${grant.purpose}" and this route needs "${purpose}"; request a ticket with the right purpose`, true);
    }
    if (!(await this.isStillValid(grant.principal))) {
      return fail('ticket_invalid', 'the credential the ticket was issued to has ended (logout, expiry or deleted key); log in again', true);
    }
    return { ok: true, principal: grant.principal, grant };
  }

  /** True while the principal's credential is neither expired, revoked nor deleted. */
  async isStillValid(principal: Principal): Promise<boolean> {
    switch (principal.kind) {
      case 'anonymous':
      case 'apiKey':
        return true;
      case 'databaseKey':
        return this.deps.databaseKeys.isActive(principal.databaseId, principal.keyId);
      case 'admin':
        return (
          principal.expiresAt.getTime() > this.now() &&
          principal.username === this.deps.adminUsername &&
          !(await this.deps.revocations.isRevoked(principal.jti))
        );
    }
  }

  /**
   * Returns the session of a token or cookie whose signature or seal checks out, ignoring expiry
   * and revocation; logout revokes it. Null for anything else.
   */
  async sessionToRevoke(credential: { token?: string | null; cookie?: string | null }): Promise<AdminSession | null> {
    if (credential.token && this.deps.tokens) {
      const check = await this.deps.tokens.verify(credential.token);
      if (check.ok) return check.session;
    }
    if (credential.cookie && this.deps.cookies) return this.deps.cookies.unseal(credential.cookie);
    return null;
  }

  private async token(token: string): Promise<Authentication> {
    if (!this.deps.tokens) {
      return fail('token_invalid', 'this server has neither JWT_SECRET nor SESSION_SECRET set, so it accepts no tokens', true);
    }
    const check = await this.deps.tokens.verify(token);
    if (!check.ok) return fail(check.failure, check.detail, check.failure !== 'token_expired');
    return this.admitSession(check.session, 'jwt');
  }

  private async admitSession(session: AdminSession, authMethod: 'jwt' | 'session'): Promise<Authentication> {
    const noun = authMethod === 'jwt' ? 'token' : 'session cookie';
    const reason = authMethod === 'jwt' ? 'token_invalid' : 'cookie_invalid';
    if (session.username !== this.deps.adminUsername) {
      return fail(reason, `the ${noun} was issued to an admin user that is no longer ADMIN_USERNAME; log in again`, true);
    }
    if (await this.deps.revocations.isRevoked(session.jti)) {
      return fail(authMethod === 'jwt' ? 'token_revoked' : 'cookie_revoked', `the ${noun} was revoked by a logout; log in again`, true);
    }
    return {
      ok: true,
      principal: {
        kind: 'admin',
        tier: 'jwt',
        username: session.username,
        authMethod,
        jti: session.jti,
        expiresAt: new Date(session.expiresAtSec * 1000),
      },
    };
  }
}

function fail(reason: AuthFailureReason, detail: string, charged: boolean): { ok: false; failure: AuthFailure } {
  return { ok: false, failure: { reason, detail, charged } };
}
