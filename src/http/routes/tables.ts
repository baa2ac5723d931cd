import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { requireReplica } from '../plugins/db-context.js';
import { DatabaseQuery, TableNameParam } from '../schemas.js';
import type { HttpDependencies } from '../services.js';
import { abortOnDisconnect, principalLabel } from './request-helpers.js';

const TableParams = Type.Object({ name: TableNameParam });
const routeConfig = { auth: 'any', category: 'read', databaseScoped: true } as const;

/** `/tables` routes, mounted under `/api` and at the root. */
export const tableRoutes: FastifyPluginAsyncTypebox<{ deps: HttpDependencies }> = async (app, { deps }) => {
  app.get(
    '/tables',
    {
      config: routeConfig,
      schema: {
        querystring: Type.Object({
          ...DatabaseQuery,
          details: Type.Boolean({ default: false, description: 'Return {name, rows, columns, syncMode, lastSyncAt} per table' }),
        }),
      },
    },
    async (request) => {
      const { replica } = requireReplica(request);
      return request.query.details ? deps.tables.listTableDetails(replica) : deps.tables.listTables(replica);
    },
  );

  app.get(
    '/tables/counts/all',
    { config: routeConfig, schema: { querystring: Type.Object(DatabaseQuery) } },
    async (request) => deps.tables.countAll(requireReplica(request).replica),
  );

  app.get(
    '/tables/:name/schema',
    { config: routeConfig, schema: { params: TableParams, querystring: Type.Object(DatabaseQuery) } },
    async (request) => deps.tables.schema(requireReplica(request).replica, request.params.name),
  );

  app.get(
    '/tables/:name/data',
    {
      config: routeConfig,
      schema: {
        params: TableParams,
        querystring: Type.Object({
          ...DatabaseQuery,
          limit: Type.Integer({ minimum: 1, maximum: 10_000, default: 100 }),
          offset: Type.Integer({ minimum: 0, default: 0 }),
        }),
      },
    },
    async (request, reply) => {
      const { limit, offset } = request.query;
      const context = { principal: principalLabel(request), signal: abortOnDisconnect(reply) };
      return deps.tables.page(requireReplica(request).replica, request.params.name, { limit, offset }, context);
    },
  );

  app.get(
    '/tables/:name/count',
    { config: routeConfig, schema: { params: TableParams, querystring: Type.Object(DatabaseQuery) } },
    async (request) => deps.tables.count(requireReplica(request).replica, request.params.name),
  );
};
