import type { FastifyInstance } from 'fastify';
import fastifyPlugin from 'fastify-plugin';
import {
  concurrencyHeaders,
  concurrencyLimitedError,
  rateHeaders,
  rateLimitedError,
  type RateLimiter,
} from '../../ratelimit/index.js';

export interface RateLimitPluginOptions {
  limiter: RateLimiter;
  now?: () => number;
}

/**
 * Charges every route that declares a rate-limit category, once authentication and the database
 * are known and the body is parsed (`preValidation`), so invalid bodies are charged too. The
 * route's `rateLimitCharge`, if any, prices the request; otherwise it costs its category's base.
 * Allowed responses carry the rate-limit headers, query routes also the in-flight headers, and
 * over-limit requests get 429 (in shadow mode only the would-block header). A query's in-flight
 * slot is freed when its response ends or its connection closes. `auth` routes are left to the
 * authentication-attempt guard, which charges password attempts before they are checked and
 * returns the headers that the login route sends.
 */
export const rateLimitPlugin = fastifyPlugin(
  async (app: FastifyInstance, options: RateLimitPluginOptions) => {
    const { limiter } = options;
    const now = options.now ?? Date.now;
    if (!limiter.enabled) return;

    app.addHook('preValidation', async (request, reply) => {
      const config = request.routeOptions.config;
      const category = config?.category;
      if (category === undefined || category === 'auth') return;

      const charge = config.rateLimitCharge?.(request, limiter.costs) ?? limiter.costs.base(category);
      const admission = await limiter.admit(
        { principal: request.principal, clientIp: request.ip, databaseId: request.database?.id ?? null },
        charge,
        { requestId: request.id, target: `${request.method} ${request.routeOptions.url}` },
      );
      reply.raw.once('close', admission.release);

      if (admission.concurrency) reply.headers(concurrencyHeaders(admission.concurrency));
      if (!admission.admitted && admission.exceeded === 'concurrency' && admission.concurrency) {
        // The bucket was read, not charged, so these headers show the budget still left.
        if (admission.rate) reply.headers(rateHeaders(admission.rate, now()));
        throw concurrencyLimitedError(admission.concurrency);
      }
      if (!admission.rate) return;
      if (!admission.admitted) throw rateLimitedError(admission.rate, now());
      reply.headers(rateHeaders(admission.rate, now()));
    });
  },
  { name: 'duckling-rate-limit', dependencies: ['duckling-auth', 'duckling-db-context'] },
);
