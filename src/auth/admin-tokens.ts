import { randomUUID } from 'node:crypto';
import { errors, jwtVerify, SignJWT } from 'jose';

/** `iss` and `aud` of every admin token. */
export const TOKEN_ISSUER = 'duckling';
export const TOKEN_AUDIENCE = 'duckling';
/**
 * Clock skew allowed on `exp` and `nbf` (and on the session cookie's expiry), in seconds. Instances
 * that share `SESSION_SECRET` verify each other's tokens, so their clocks may differ a little. A token
 * or cookie therefore still works for up to this long after its `expiresAt`.
 */
export const CLOCK_SKEW_SEC = 30;

const ALGORITHM = 'HS256';

/** One admin login, shared by its token and its session cookie. Times are Unix seconds. */
export interface AdminSession {
  jti: string;
  username: string;
  issuedAtSec: number;
  expiresAtSec: number;
}

/** Reason a token failed. `token_expired` is the only one not charged as an attempt. */
export type TokenFailure = 'token_expired' | 'token_not_yet_valid' | 'token_invalid';

export type TokenCheck = { ok: true; session: AdminSession } | { ok: false; failure: TokenFailure; detail: string };

/**
 * Issues and verifies the HS256 tokens of admin logins with `jose`. Verification accepts HS256
 * only, so `alg: none` and every other algorithm fail, and requires every claim that `issue` sets.
 * Revocation and the current admin name are checked by the caller.
 */
export class AdminTokens {
  private readonly key: Uint8Array;

  constructor(
    secret: string,
    readonly lifetimeSec: number,
    private readonly now: () => number = Date.now,
  ) {
    this.key = new TextEncoder().encode(secret);
  }

  async issue(username: string): Promise<{ token: string; session: AdminSession }> {
    const issuedAtSec = Math.floor(this.now() / 1000);
    const session: AdminSession = { jti: randomUUID(), username, issuedAtSec, expiresAtSec: issuedAtSec + this.lifetimeSec };
    const token = await new SignJWT({ username })
      .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
      .setIssuer(TOKEN_ISSUER)
      .setAudience(TOKEN_AUDIENCE)
      .setSubject(username)
      .setJti(session.jti)
      .setIssuedAt(issuedAtSec)
      .setNotBefore(issuedAtSec)
      .setExpirationTime(session.expiresAtSec)
      .sign(this.key);
    return { token, session };
  }

  async verify(token: string): Promise<TokenCheck> {
    let payload;
    try {
      ({ payload } = await jwtVerify(token, this.key, {
        algorithms: [ALGORITHM],
        issuer: TOKEN_ISSUER,
        audience: TOKEN_AUDIENCE,
        clockTolerance: CLOCK_SKEW_SEC,
        requiredClaims: ['sub', 'jti', 'iat', 'nbf', 'exp'],
        currentDate: new Date(this.now()),
      }));
    } catch (error) {
      return classifyFailure(error);
    }

    const { sub, jti, iat, exp, username } = payload;
    if (typeof sub !== 'string' || typeof jti !== 'string' || typeof iat !== 'number' || typeof exp !== 'number' || username !== sub) {
      return { ok: false, failure: 'token_invalid', detail: 'the token\'s claims are not those of a Duckling login; log in again' };
    }
    return { ok: true, session: { jti, username: sub, issuedAtSec: iat, expiresAtSec: exp } };
  }
}

function classifyFailure(error: unknown): TokenCheck {
  if (error instanceof errors.JWTExpired) {
    return { ok: false, failure: 'token_expired', detail: 'the token has expired; log in again with POST /api/login' };
  }
  if (error instanceof errors.JWTClaimValidationFailed && error.claim === 'nbf') {
    return {
      ok: false,
      failure: 'token_not_yet_valid',
      detail: 'the token is not valid yet (nbf lies in the future); check the clocks of the client and the server',
    };
  }
  if (error instanceof errors.JOSEError) {
    return {
      ok: false,
      failure: 'token_invalid',
      detail: 'the token was not issued by this server (bad signature, algorithm or claims); log in again with POST /api/login',
    };
  }
  throw error;
}
