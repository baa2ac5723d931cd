import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { TICKET_PURPOSES } from '../../auth/index.js';
import { DucklingError } from '../../errors/index.js';
import { auditActor } from '../audit-actor.js';
import { recordRejection } from '../plugins/auth.js';
import { DEFAULT_DATABASE_ID } from '../plugins/db-context.js';
import { StringEnum } from '../schemas.js';
import type { HttpDependencies } from '../services.js';

const TicketBody = Type.Object(
  {
    purpose: StringEnum(TICKET_PURPOSES, { description: 'sse opens an event stream, ws a WebSocket' }),
    db: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'Database id; default the key\'s database, else "default"' })),
  },
  { additionalProperties: false },
);

/** `POST /api/tickets`: single-use, 60 s credentials for `?ticket=` on event streams and WebSocket upgrades. */
export const ticketRoutes: FastifyPluginAsyncTypebox<{ deps: HttpDependencies }> = async (app, { deps }) => {
  app.post('/tickets', { config: { auth: 'any', category: 'read' }, schema: { body: TicketBody } }, async (request, reply) => {
    const principal = request.principal;
    const { purpose } = request.body;
    const db = request.body.db ?? (principal.kind === 'databaseKey' ? principal.databaseId : DEFAULT_DATABASE_ID);

    if (principal.kind === 'databaseKey' && principal.databaseId !== db) {
      recordRejection(request, deps, 'scope', request.credentialSource);
      throw new DucklingError('DUCKLING_AUTH_SCOPE', {
        detail: `the database key belongs to database "${principal.databaseId}" and cannot get a ticket for database "${db}"`,
      });
    }
    if (!deps.databases.get(db)) {
      throw new DucklingError('DUCKLING_DATABASE_NOT_FOUND', { db, hint: '; check the db field of the request body' });
    }

    const { ticket, expiresAt } = await deps.auth.tickets.issue(principal, purpose, db);
    deps.audit.record({
      event: 'auth.ticket.issued',
      actor: auditActor(request),
      target: db,
      outcome: 'success',
      requestId: request.id,
      detail: { purpose },
    });
    reply.code(201);
    return { ticket, purpose, db, expiresAt: expiresAt.toISOString() };
  });
};
