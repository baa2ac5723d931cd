/**
 * What every route declares in its `config`, and what the plugins put on each request. The auth,
 * database and (later) rate-limit plugins read the declaration; none infers it from the URL.
 */
import type { Principal, TicketPurpose } from '../auth/index.js';
import type { DatabaseHandle } from './services.js';

/**
 * `public`: anyone; `admin`: the admin user (token or cookie) and the global API key; `any`: also
 * a database key, on routes of its own database.
 */
export type AuthRule = 'public' | 'admin' | 'any';

/** Rate-limit category of a route. */
export type RouteCategory = 'auth' | 'monitoring' | 'read' | 'query' | 'write';

/** Source of the request's credential; null when it presented none that verified. */
export type CredentialSource = 'header' | 'cookie' | 'ticket';

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: AuthRule;
    category?: RouteCategory;
    /** The route works on one database, chosen by `?db=` (default `default`). */
    databaseScoped?: boolean;
    /** The route also accepts `?ticket=` of this purpose (event streams and WebSocket upgrades). */
    ticket?: TicketPurpose;
  }

  interface FastifyRequest {
    principal: Principal;
    credentialSource: CredentialSource | null;
    /** Database a redeemed ticket is bound to; null unless the request used a ticket. */
    ticketDatabase: string | null;
    /** Set by the db-context plugin on database-scoped routes, null elsewhere. */
    database: DatabaseHandle | null;
  }
}
