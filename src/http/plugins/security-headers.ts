import type { FastifyInstance } from 'fastify';
import fastifyPlugin from 'fastify-plugin';
import { isHttpsRequest } from '../server-origin.js';

export interface SecurityHeadersOptions {
  /** `PUBLIC_URL` origins, which decide whether a request is HTTPS and so gets HSTS. */
  publicOrigins: readonly string[];
}

/** Headers every response carries. */
const FIXED_HEADERS = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  // Every route serves API data, which no cache should keep; event streams copy this header too.
  'cache-control': 'no-store',
} as const;

/** HSTS for one year, sent only on HTTPS so a plain-HTTP deployment is never locked out. */
const HSTS_VALUE = 'max-age=31536000';

/**
 * Sets the security headers in `onRequest`, so error replies, 404s, CORS preflights and event
 * streams (which copy the reply's headers) carry them too. A route may still override one.
 *
 * TODO(dashboard): dashboard pages need `Referrer-Policy: strict-origin-when-cross-origin`, a
 * `Content-Security-Policy` with `default-src 'self'; frame-ancestors 'none'` and cacheable assets,
 * and `/docs` a CSP that allows its bundled assets — add per-route overrides when those routes exist.
 */
export const securityHeadersPlugin = fastifyPlugin(
  async (app: FastifyInstance, options: SecurityHeadersOptions) => {
    app.addHook('onRequest', async (request, reply) => {
      reply.headers(FIXED_HEADERS);
      if (isHttpsRequest(request, options.publicOrigins)) reply.header('strict-transport-security', HSTS_VALUE);
    });
  },
  { name: 'duckling-security-headers' },
);
