import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fastifyPlugin from 'fastify-plugin';
import type { AuditLog } from '../../audit/index.js';
import {
  ANONYMOUS,
  findUrlCredentialParameters,
  isAdministrator,
  readAuthorizationCredential,
  type Authentication,
  type AuthServices,
  type TicketGrant,
  type TicketPurpose,
} from '../../auth/index.js';
import { DucklingError, isDucklingError } from '../../errors/index.js';
import { auditActor } from '../audit-actor.js';
import type { AuthRule, CredentialSource } from '../fastify-types.js';
import { isStateChanging, originRejection } from './origin-check.js';
import { clearSessionCookies, readSessionCookie } from './session-cookie.js';

export interface AuthPluginOptions {
  auth: AuthServices;
  audit: AuditLog;
  /** `PUBLIC_URL` origins. */
  publicOrigins: readonly string[];
  /** `CORS_ORIGINS`, also accepted by the origin check of cookie requests. */
  corsOrigins: readonly string[];
}

export const INVALID_TOKEN_CHALLENGE = { 'WWW-Authenticate': 'Bearer error="invalid_token"' };

interface PresentedCredential {
  source: CredentialSource;
  value: string;
}

/**
 * Authenticates every request in `onRequest`, before its body is read, and enforces the rule the
 * route declares in `config.auth`; a route that declares none is treated as `admin`. Credentials
 * are taken from the `Authorization` header, else the session cookie, else `?ticket=` on routes
 * that declare `config.ticket`. A credential that fails is audited and, unless merely expired,
 * charged to the client's `auth` budget; on public routes the caller then continues as anonymous.
 * The principal is on `request.principal`.
 */
export const authPlugin = fastifyPlugin(
  async (app: FastifyInstance, options: AuthPluginOptions) => {
    app.decorateRequest('principal', null as never);
    app.decorateRequest('credentialSource', null);
    app.decorateRequest('ticketDatabase', null);

    app.addHook('onRequest', async (request, reply) => {
      request.principal = ANONYMOUS;
      request.credentialSource = null;
      request.ticketDatabase = null;
      if (request.is404) return;
      await authenticateRequest(request, reply, options);
    });
  },
  { name: 'duckling-auth' },
);

async function authenticateRequest(request: FastifyRequest, reply: FastifyReply, options: AuthPluginOptions): Promise<void> {
  const rule: AuthRule = request.routeOptions.config?.auth ?? 'admin';
  const ticketPurpose = request.routeOptions.config?.ticket;
  rejectCredentialsInUrl(request, ticketPurpose, options);

  const presented = presentedCredential(request, ticketPurpose);
  if (presented === null) {
    if (rule === 'public') return;
    recordRejection(request, options, 'credential_missing', null);
    throw new DucklingError('DUCKLING_AUTH_REQUIRED', {
      detail: 'send "Authorization: Bearer <key or token>" with DUCKLING_API_KEY, a database key or the token of POST /api/login, or log in for a session cookie',
    });
  }

  let result: Authentication & { grant?: TicketGrant };
  try {
    result = await verify(presented, ticketPurpose, options.auth);
  } catch (error) {
    // A store outage must not take public routes (health, login, logout) down with it.
    if (rule === 'public' && isDucklingError(error) && error.code === 'DUCKLING_STORE_UNAVAILABLE') {
      request.log.warn({ code: error.code, source: presented.source }, 'credential not checked; continuing as anonymous');
      return;
    }
    throw error;
  }

  if (!result.ok) {
    recordRejection(request, options, result.failure.reason, presented.source);
    // A cookie that failed is of no further use, so the response expires it.
    if (presented.source === 'cookie') clearSessionCookies(reply, options.publicOrigins);
    if (result.failure.charged) await options.auth.attemptGuard.onInvalidCredential(request);
    if (rule === 'public') return;
    throw new DucklingError('DUCKLING_AUTH_INVALID', { detail: result.failure.detail }, { headers: INVALID_TOKEN_CHALLENGE });
  }

  request.principal = result.principal;
  request.credentialSource = presented.source;
  request.ticketDatabase = result.grant?.db ?? null;

  if (presented.source === 'cookie' && isStateChanging(request.method)) {
    const rejection = originRejection(request, options);
    if (rejection !== null) {
      recordRejection(request, options, 'origin_rejected', presented.source);
      throw new DucklingError('DUCKLING_AUTH_ORIGIN_REJECTED', { detail: rejection });
    }
  }

  if (rule === 'admin' && !isAdministrator(result.principal)) {
    recordRejection(request, options, 'scope', presented.source);
    throw new DucklingError('DUCKLING_AUTH_SCOPE', {
      detail: `${request.method} ${request.routeOptions.url} is an admin route, and a database key only opens the data routes of its own database`,
    });
  }
}

/** Credential parameters in the URL end up in proxy logs and browser history, so they are refused everywhere. */
function rejectCredentialsInUrl(request: FastifyRequest, ticketPurpose: TicketPurpose | undefined, options: AuthPluginOptions): void {
  const inUrl = findUrlCredentialParameters(request.query);
  const query = request.query as Record<string, unknown> | null;
  if (ticketPurpose === undefined && query && Object.hasOwn(query, 'ticket')) inUrl.push('ticket');
  if (inUrl.length === 0) return;

  recordRejection(request, options, 'credentials_in_url', null);
  const parameters = inUrl.join(', ');
  throw new DucklingError('DUCKLING_AUTH_CREDENTIALS_IN_URL', { parameters });
}

function presentedCredential(request: FastifyRequest, ticketPurpose: TicketPurpose | undefined): PresentedCredential | null {
  const header = readAuthorizationCredential(request.headers.authorization);
  if (header !== null) return { source: 'header', value: header };

  const cookie = readSessionCookie(request);
  if (cookie !== null) return { source: 'cookie', value: cookie };

  if (ticketPurpose !== undefined) {
    const ticket = (request.query as Record<string, unknown> | null)?.ticket;
    if (ticket !== undefined) return { source: 'ticket', value: typeof ticket === 'string' ? ticket : '' };
  }
  return null;
}

function verify(
  presented: PresentedCredential,
  ticketPurpose: TicketPurpose | undefined,
  auth: AuthServices,
): Promise<Authentication & { grant?: TicketGrant }> {
  switch (presented.source) {
    case 'header':
      return auth.authenticator.bearer(presented.value);
    case 'cookie':
      return auth.authenticator.cookie(presented.value);
    case 'ticket':
      return auth.authenticator.ticket(presented.value, ticketPurpose!);
  }
}

/** Records `auth.rejected`; the actor is the request's principal so far, anonymous for a credential that failed. */
export function recordRejection(
  request: FastifyRequest,
  options: { audit: AuditLog },
  reason: string,
  source: CredentialSource | null,
): void {
  options.audit.record({
    event: 'auth.rejected',
    actor: auditActor(request),
    target: `${request.method} ${request.routeOptions.url ?? request.url.split('?')[0]}`,
    outcome: 'failure',
    requestId: request.id,
    detail: { reason, ...(source ? { credential: source } : {}) },
  });
}
