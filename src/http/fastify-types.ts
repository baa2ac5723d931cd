/**
 * What every route declares in its `config`, and what the plugins put on each request. The auth,
 * database and (later) rate-limit plugins read the declaration; none infers it from the URL.
 */
import type { FastifyRequest } from 'fastify';
import type { Principal } from '../auth/index.js';
import type { RateCharge, RateLimitCategory, RateLimitCosts } from '../ratelimit/index.js';
import type { DatabaseHandle } from './services.js';

/** `public`: anyone; `admin`: the global API key (later also admin users); `any`: every authenticated principal. */
export type AuthRule = 'public' | 'admin' | 'any';

/** Rate-limit category of a route. `auth` routes are charged by the authentication-attempt guard. */
export type RouteCategory = RateLimitCategory;

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: AuthRule;
    category?: RouteCategory;
    /**
     * The charge of a request whose cost depends on its body or query string (the SQL length of a
     * query, the mode of a validation). Called before validation, so it must accept any body.
     * Without it a request costs the base cost of `category`.
     */
    rateLimitCharge?: (request: FastifyRequest, costs: RateLimitCosts) => RateCharge;
    /** The route works on one database, chosen by `?db=` (default `default`). */
    databaseScoped?: boolean;
  }

  interface FastifyRequest {
    principal: Principal;
    /** Set by the db-context plugin on database-scoped routes, null elsewhere. */
    database: DatabaseHandle | null;
  }
}
