import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { AuditActor } from '../../audit/index.js';
import { describePrincipal, readAuthorizationCredential, secretsEqual, type Principal } from '../../auth/index.js';
import { DucklingError } from '../../errors/index.js';
import { auditActor } from '../audit-actor.js';
import { clearSessionCookies, readSessionCookie, setSessionCookie } from '../plugins/session-cookie.js';
import type { HttpDependencies } from '../services.js';

const LoginBody = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 256 }),
    password: Type.String({ minLength: 1, maxLength: 1024 }),
  },
  { additionalProperties: false },
);

/** `POST /login`, mounted under `/api` and at the root. */
export const loginRoutes: FastifyPluginAsyncTypebox<{ deps: HttpDependencies }> = async (app, { deps }) => {
  const { auth, audit } = deps;
  const publicOrigins = deps.config.network.publicOrigins;

  app.post('/login', { config: { auth: 'public', category: 'auth' }, schema: { body: LoginBody } }, async (request, reply) => {
    // The attempt is charged before the password is looked at, so a brute force stops at the budget.
    // Its headers are set now, so the 200 and the 401 both carry them.
    reply.headers(await auth.attemptGuard.beforePasswordAttempt(request));
    const { username, password } = request.body;

    const account = auth.adminAccount;
    if (!account || !auth.tokens || !auth.cookies) {
      recordLoginFailure(request, 'login_not_configured');
      request.log.warn('login attempted, but ADMIN_USERNAME, ADMIN_PASSWORD or SESSION_SECRET is not set');
      throw new DucklingError('DUCKLING_AUTH_LOGIN_FAILED', {
        detail: 'admin login is not configured on this server; set ADMIN_USERNAME, ADMIN_PASSWORD and SESSION_SECRET and restart',
      });
    }

    // Both comparisons always run, so the time taken does not tell which field was wrong.
    const usernameMatches = secretsEqual(username, account.username);
    const passwordMatches = secretsEqual(password, account.password);
    if (!usernameMatches || !passwordMatches) {
      recordLoginFailure(request, 'wrong_credentials');
      throw new DucklingError('DUCKLING_AUTH_LOGIN_FAILED', {
        detail: 'the user name or password is wrong; repeated failures from one address are rate limited',
      });
    }

    const { token, session } = await auth.tokens.issue(account.username);
    setSessionCookie(reply, auth.cookies.seal(session), auth.tokens.lifetimeSec, publicOrigins);
    audit.record({
      event: 'auth.login.succeeded',
      actor: adminActor(request, account.username),
      target: account.username,
      outcome: 'success',
      requestId: request.id,
    });
    return {
      success: true,
      message: `Logged in as ${account.username}`,
      username: account.username,
      token,
      expiresIn: auth.expiresIn,
      expiresAt: new Date(session.expiresAtSec * 1000).toISOString(),
    };
  });

  function recordLoginFailure(request: FastifyRequest, reason: string): void {
    audit.record({
      event: 'auth.login.failed',
      actor: auditActor(request),
      target: request.body && typeof request.body === 'object' ? String((request.body as { username?: unknown }).username ?? '') : null,
      outcome: 'failure',
      requestId: request.id,
      detail: { reason },
    });
  }
};

/** `POST /api/logout`, `GET /api/check-auth` and `GET /api/me`. */
export const sessionRoutes: FastifyPluginAsyncTypebox<{ deps: HttpDependencies }> = async (app, { deps }) => {
  const { auth, audit } = deps;
  const publicOrigins = deps.config.network.publicOrigins;

  app.post('/logout', { config: { auth: 'public', category: 'read' } }, async (request, reply) => {
    const header = readAuthorizationCredential(request.headers.authorization);
    const session = await auth.authenticator.sessionToRevoke({ token: header, cookie: readSessionCookie(request) });
    // A second logout with the same token finds it revoked already, so there is nothing left to end.
    const alreadyRevoked = session !== null && (await auth.revocations.isRevoked(session.jti));
    const revoked = session !== null && !alreadyRevoked;
    if (revoked) await auth.revocations.revoke(session.jti, session.expiresAtSec);
    clearSessionCookies(reply, publicOrigins);

    audit.record({
      event: 'auth.logout',
      actor: session ? adminActor(request, session.username, request.headers.authorization ? 'jwt' : 'session') : auditActor(request),
      target: session?.username ?? null,
      outcome: 'success',
      requestId: request.id,
      detail: { revoked, ...(alreadyRevoked ? { reason: 'already_revoked' } : {}) },
    });
    return { success: true, message: logoutMessage(session !== null, alreadyRevoked) };
  });

  app.get('/check-auth', { config: { auth: 'public', category: 'read' }, schema: { querystring: Type.Object({}) } }, async (request) => {
    const principal = request.principal;
    if (principal.kind === 'anonymous') {
      return { authenticated: false, message: 'No valid credentials were presented; log in with POST /api/login or send an API key' };
    }
    return { authenticated: true, username: usernameOf(principal), authMethod: describePrincipal(principal).authMethod };
  });

  app.get('/me', { config: { auth: 'any', category: 'read' }, schema: { querystring: Type.Object({}) } }, async (request) => {
    const principal = request.principal;
    return {
      username: usernameOf(principal),
      authMethod: describePrincipal(principal).authMethod,
      tier: principal.tier,
      scope: principal.kind === 'databaseKey' ? `database:${principal.databaseId}` : 'all',
      expiresAt: expiryOf(principal)?.toISOString() ?? null,
    };
  });
};

function logoutMessage(presented: boolean, alreadyRevoked: boolean): string {
  if (alreadyRevoked) return 'No active session was revoked, because the token or session cookie was already logged out; the session cookie was cleared';
  if (presented) return 'Logged out; the token and session cookie no longer work';
  return 'No active session was revoked, because no valid token or session cookie was presented; the session cookie was cleared';
}

function adminActor(request: FastifyRequest, username: string, authMethod: 'jwt' | 'session' = 'jwt'): AuditActor {
  return { ...auditActor(request), principal: username, authMethod, tier: 'jwt' };
}

/** Returns the admin's name, or the key's principal label (`api-key:<fingerprint>`, `database-key:<keyId>`). */
function usernameOf(principal: Principal): string | null {
  return describePrincipal(principal).principal;
}

function expiryOf(principal: Principal): Date | null {
  if (principal.kind === 'admin' || principal.kind === 'databaseKey') return principal.expiresAt;
  return null;
}
