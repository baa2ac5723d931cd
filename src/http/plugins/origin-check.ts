import type { FastifyRequest } from 'fastify';
import { serverOrigins } from '../server-origin.js';

/** Methods that change state; with cookie authentication they must come from an allowed origin. */
const STATE_CHANGING_METHODS = new Set(['POST', 'PUT', 'DELETE', 'PATCH']);

export function isStateChanging(method: string): boolean {
  return STATE_CHANGING_METHODS.has(method);
}

/**
 * Checks that a cookie-authenticated request comes from a page of this server, which stops
 * cross-site request forgery. The request's `Origin` (without one, the origin of its `Referer`)
 * must be a server origin or a `CORS_ORIGINS` entry. A `*` entry does not count, because wildcard
 * CORS responses never allow credentials. Returns null when allowed, else why not.
 */
export function originRejection(
  request: FastifyRequest,
  allowed: { publicOrigins: readonly string[]; corsOrigins: readonly string[] },
): string | null {
  const origin = headerText(request.headers.origin);
  const referer = headerText(request.headers.referer);

  if (origin === 'null') {
    return 'the browser sent "Origin: null", which usually means the page has a no-referrer policy or runs in a sandboxed frame; load the dashboard from the server itself, or send the token in an Authorization header';
  }

  const presented = origin ?? originOf(referer);
  if (presented === null) {
    return 'a cookie-authenticated request must carry an Origin or Referer header naming this server; send the token in an Authorization header from non-browser clients';
  }

  const ownOrigins = serverOrigins(request, allowed.publicOrigins);
  const trusted = new Set([...ownOrigins, ...allowed.corsOrigins.filter((entry) => entry !== '*')]);
  if (trusted.has(presented)) return null;
  const source = origin !== null ? 'Origin' : 'Referer';
  // Without PUBLIC_URL the server origin is the request's own scheme and host, so name that instead.
  const serverOrigin = allowed.publicOrigins.length > 0 ? 'a PUBLIC_URL origin' : `this server's origin (${ownOrigins.join(', ')}, as PUBLIC_URL is not set)`;
  return `${source} ${presented} is neither ${serverOrigin} nor listed in CORS_ORIGINS; add it to CORS_ORIGINS if that page should use the session cookie`;
}

function headerText(value: string | string[] | undefined): string | null {
  if (value === undefined) return null;
  return Array.isArray(value) ? (value[0] ?? null) : value;
}

function originOf(url: string | null): string | null {
  if (url === null) return null;
  try {
    const origin = new URL(url).origin;
    return origin === 'null' ? null : origin;
  } catch {
    return null;
  }
}
