import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { HttpDependencies } from '../services.js';

/** `GET /api/security/findings`: the startup and run-time findings with their remedies, never a secret. */
export const securityRoutes: FastifyPluginAsyncTypebox<{ deps: HttpDependencies }> = async (app, { deps }) => {
  app.get(
    '/security/findings',
    { config: { auth: 'admin', category: 'read' }, schema: { querystring: Type.Object({}) } },
    async () => ({ ...deps.security.counts(), findings: deps.security.list() }),
  );
};
