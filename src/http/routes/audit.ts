import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AUDIT_EVENTS, AUDIT_RING_SIZE } from '../../audit/index.js';
import { StringEnum } from '../schemas.js';
import type { HttpDependencies } from '../services.js';

const AuditQuery = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: AUDIT_RING_SIZE, default: 100, description: 'Events returned, newest first' }),
  since: Type.Optional(Type.String({ format: 'date-time', description: 'ISO-8601 instant; only later events are returned' })),
  event: Type.Optional(StringEnum(AUDIT_EVENTS, { description: 'Only events of this type' })),
});

/** `GET /api/audit`: the newest audit events kept in memory (the last 1,000), newest first. */
export const auditRoutes: FastifyPluginAsyncTypebox<{ deps: HttpDependencies }> = async (app, { deps }) => {
  app.get('/audit', { config: { auth: 'admin', category: 'monitoring' }, schema: { querystring: AuditQuery } }, async (request) => {
    const { limit, since, event } = request.query;
    const events = deps.audit.list({ limit, since, event });
    return { events, count: events.length };
  });
};
