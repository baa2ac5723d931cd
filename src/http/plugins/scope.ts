import type { FastifyInstance, FastifyRequest } from 'fastify';
import fastifyPlugin from 'fastify-plugin';
import type { AuditLog } from '../../audit/index.js';
import { DucklingError } from '../../errors/index.js';
import { recordRejection } from './auth.js';

export interface ScopePluginOptions {
  audit: AuditLog;
}

/**
 * Keeps database keys and tickets to their own database. Runs after the db-context plugin, so the
 * database of a `?db=` route is known; a key or ticket for another database gets 403
 * `DUCKLING_AUTH_SCOPE`.
 */
export const scopePlugin = fastifyPlugin(
  async (app: FastifyInstance, options: ScopePluginOptions) => {
    app.addHook('onRequest', async (request) => {
      if (request.is404) return;
      const target = targetDatabase(request);
      if (target === null) return;

      const principal = request.principal;
      if (principal.kind === 'databaseKey' && principal.databaseId !== target) {
        recordRejection(request, options, 'scope', request.credentialSource);
        throw new DucklingError('DUCKLING_AUTH_SCOPE', {
          detail: `the database key belongs to database "${principal.databaseId}" and cannot read database "${target}"`,
        });
      }
      if (request.ticketDatabase !== null && request.ticketDatabase !== target) {
        recordRejection(request, options, 'scope', 'ticket');
        throw new DucklingError('DUCKLING_AUTH_SCOPE', {
          detail: `the ticket was issued for database "${request.ticketDatabase}", not "${target}"; request a ticket with db "${target}"`,
        });
      }
    });
  },
  { name: 'duckling-scope', dependencies: ['duckling-auth', 'duckling-db-context'] },
);

/** Returns the database a request works on: `?db=` on database-scoped routes, `:id` on `/api/databases/:id/...`. */
function targetDatabase(request: FastifyRequest): string | null {
  if (request.database) return request.database.id;
  const id = (request.params as Record<string, unknown> | null)?.id;
  return request.routeOptions.url?.startsWith('/api/databases/:id') && typeof id === 'string' ? id : null;
}
