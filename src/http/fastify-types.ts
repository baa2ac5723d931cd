/**
 * What every route declares in its `config`, and what the plugins put on each request. The auth,
 * database and (later) rate-limit plugins read the declaration; none infers it from the URL.
 */
import type { Principal } from '../auth/index.js';
import type { DatabaseHandle } from './services.js';

/** `public`: anyone; `admin`: the global API key (later also admin users); `any`: every authenticated principal. */
export type AuthRule = 'public' | 'admin' | 'any';

/** Rate-limit category of a route. */
export type RouteCategory = 'monitoring' | 'read' | 'query' | 'write';

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: AuthRule;
    category?: RouteCategory;
    /** The route works on one database, chosen by `?db=` (default `default`). */
    databaseScoped?: boolean;
  }

  interface FastifyRequest {
    principal: Principal;
    /** Set by the db-context plugin on database-scoped routes, null elsewhere. */
    database: DatabaseHandle | null;
  }
}
