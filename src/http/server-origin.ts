import type { FastifyRequest } from 'fastify';

/**
 * Returns the server origin of a request: the `PUBLIC_URL` origin whose host matches the request's,
 * else the first `PUBLIC_URL` origin; without `PUBLIC_URL`, the request's own scheme and host.
 * Fastify reads `X-Forwarded-Proto` and `X-Forwarded-Host` only from peers `TRUST_PROXY` allows.
 */
export function serverOrigin(request: FastifyRequest, publicOrigins: readonly string[]): string {
  const host = request.host;
  if (publicOrigins.length > 0) {
    return publicOrigins.find((origin) => new URL(origin).host === host) ?? publicOrigins[0]!;
  }
  return `${request.protocol}://${host}`;
}

/** True when the request's server origin is https: only then do cookies get `Secure` and responses HSTS. */
export function isHttpsRequest(request: FastifyRequest, publicOrigins: readonly string[]): boolean {
  return serverOrigin(request, publicOrigins).startsWith('https:');
}

/** Returns the origins of this server: the `PUBLIC_URL` origins, else the request's own origin. */
export function serverOrigins(request: FastifyRequest, publicOrigins: readonly string[]): string[] {
  return publicOrigins.length > 0 ? [...publicOrigins] : [serverOrigin(request, publicOrigins)];
}
