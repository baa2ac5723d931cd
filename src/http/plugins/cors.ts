import type { FastifyInstance, FastifyRequest } from 'fastify';
import fastifyCors, { type FastifyCorsOptions } from '@fastify/cors';
import fastifyPlugin from 'fastify-plugin';

export interface CorsPluginOptions {
  /** `CORS_ORIGINS`: exact origins allowed cross-origin access with credentials; `*` allows every origin without them. */
  origins: readonly string[];
}

const ALLOWED_METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'OPTIONS'];
const ALLOWED_HEADERS = ['Authorization', 'Content-Type', 'X-Request-Id'];
/** Response headers a cross-origin script may read: the rate-limit headers, request id and query metadata. */
const EXPOSED_HEADERS = [
  'RateLimit',
  'RateLimit-Policy',
  'X-RateLimit-Limit',
  'X-RateLimit-Remaining',
  'X-RateLimit-Reset',
  'X-RateLimit-Cost',
  'X-RateLimit-Query-Concurrency-Limit',
  'X-RateLimit-Query-Concurrency-In-Flight',
  'X-RateLimit-Shadow-Would-Block',
  'X-RateLimit-Shadow-Query-Concurrency-Would-Block',
  'Retry-After',
  'X-Request-Id',
  'Duckling-Freshness',
  'Duckling-Max-Rows',
];
/** Browsers may cache a preflight response for 10 minutes. */
const PREFLIGHT_MAX_AGE_SECONDS = 600;

/**
 * CORS with an allow-list, through @fastify/cors with per-request options: a listed origin is echoed
 * with `Access-Control-Allow-Credentials: true`, a `*` entry gets `Access-Control-Allow-Origin: *` without credentials, and
 * any other origin gets no CORS headers. An arbitrary origin is never echoed with credentials.
 * Register it only when `ENABLE_CORS=true`.
 */
export const corsPlugin = fastifyPlugin(
  async (app: FastifyInstance, options: CorsPluginOptions) => {
    const listed = new Set(options.origins.filter((origin) => origin !== '*'));
    const wildcard = options.origins.includes('*');

    // @fastify/cors adds an `OPTIONS *` route for preflights. It declares no auth rule, so the auth
    // plugin would treat it as admin and reject a preflight from a disallowed origin with 401. It is
    // public instead, so such a preflight gets the usual 404.
    app.addHook('onRoute', (route) => {
      if (route.method === 'OPTIONS' && route.url === '*') route.config = { ...route.config, auth: 'public' };
    });

    const common: FastifyCorsOptions = {
      methods: ALLOWED_METHODS,
      allowedHeaders: ALLOWED_HEADERS,
      exposedHeaders: EXPOSED_HEADERS,
      maxAge: PREFLIGHT_MAX_AGE_SECONDS,
      // A preflight without Access-Control-Request-Method still gets the headers instead of a plain-text 400.
      strictPreflight: false,
    };
    await app.register(fastifyCors, {
      hook: 'onRequest',
      delegator: (request: FastifyRequest, callback) => {
        const origin = request.headers.origin;
        if (origin !== undefined && listed.has(origin)) {
          callback(null, { ...common, origin, credentials: true });
        } else if (wildcard) {
          callback(null, { ...common, origin: '*', credentials: false });
        } else {
          callback(null, { ...common, origin: false });
        }
      },
    });
  },
  { name: 'duckling-cors' },
);
