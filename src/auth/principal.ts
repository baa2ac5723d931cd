/** Rate-limit tier of a principal: budgets are multiplied per tier. */
export type Tier = 'anonymous' | 'jwt' | 'apiKey';

/** Authentication method of a principal, as reported by `/api/me` and audit events. */
export type AuthMethod = 'api-key' | 'database-key' | 'jwt' | 'session';

/**
 * Caller identity of a request. `admin` comes from a login (bearer JWT or session cookie), and
 * `databaseKey` from a key scoped to one database. A ticket resolves to the principal it was issued to.
 */
export type Principal =
  | { kind: 'anonymous'; tier: 'anonymous' }
  | { kind: 'apiKey'; tier: 'apiKey'; keyFingerprint: string; key: 'current' | 'previous' }
  | {
      kind: 'admin';
      tier: 'jwt';
      username: string;
      authMethod: 'jwt' | 'session';
      /** Token id shared by the JWT and the session cookie of one login; logout revokes it. */
      jti: string;
      expiresAt: Date;
    }
  | {
      kind: 'databaseKey';
      tier: 'apiKey';
      databaseId: string;
      keyId: string;
      keyFingerprint: string;
      /** Null when the key never expires. */
      expiresAt: Date | null;
    };

export const ANONYMOUS: Principal = Object.freeze({ kind: 'anonymous', tier: 'anonymous' });

/** Identity of a caller as logs and audit events show it; never a secret. */
export interface PrincipalDescription {
  /** The admin's user name, or the fingerprint or id of the key; null for anonymous callers. */
  principal: string | null;
  authMethod: AuthMethod | null;
  tier: Tier;
}

/** True for the principals that may use admin routes: the admin user and the global API key. */
export function isAdministrator(principal: Principal): boolean {
  return principal.kind === 'admin' || principal.kind === 'apiKey';
}

export function describePrincipal(principal: Principal): PrincipalDescription {
  switch (principal.kind) {
    case 'anonymous':
      return { principal: null, authMethod: null, tier: principal.tier };
    case 'apiKey':
      return { principal: `api-key:${principal.keyFingerprint}`, authMethod: 'api-key', tier: principal.tier };
    case 'admin':
      return { principal: principal.username, authMethod: principal.authMethod, tier: principal.tier };
    case 'databaseKey':
      return { principal: `database-key:${principal.keyId}`, authMethod: 'database-key', tier: principal.tier };
  }
}
