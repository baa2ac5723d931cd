import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { auditSyncRun } from '../../audit/index.js';
import { assertTableName } from '../../query/index.js';
import { listSourceTables, tableDetails, validateDatabase } from '../../sync/validation/index.js';
import { requestAuditContext } from '../audit-actor.js';
import { requireSyncTarget } from '../plugins/db-context.js';
import { DatabaseQuery, StringEnum, TableName } from '../schemas.js';
import type { HttpDependencies } from '../services.js';

/**
 * Validation routes: `GET /api/sync/validate` (with its root alias `/sync/validate`),
 * `POST /api/sync/reconcile` (with `/sync/reconcile`), `GET /api/validation/mysql-tables` and
 * `POST /api/validation/table-details`.
 */
export const validationRoutes: FastifyPluginAsyncTypebox<{ deps: HttpDependencies }> = async (app, { deps }) => {
  for (const path of ['/api/sync/validate', '/sync/validate']) {
    app.get(
      path,
      {
        config: {
          auth: 'any',
          category: 'read',
          databaseScoped: true,
          rateLimitCharge: (request, costs) => costs.validation((request.query as { mode?: unknown }).mode),
        },
        schema: {
          querystring: Type.Object({
            ...DatabaseQuery,
            mode: StringEnum(['count', 'checksum'], { default: 'count', description: 'count: exact row counts; checksum: also chunked SHA-256 checksums' }),
            table: Type.Optional(TableName),
          }),
        },
      },
      async (request) => {
        const { mode, table } = request.query;
        if (table !== undefined) assertTableName(table);
        return validateDatabase(requireSyncTarget(request), { mode, table }, deps.logger);
      },
    );
  }

  await app.register(reconcileRoutes, { deps });

  app.get(
    '/api/validation/mysql-tables',
    { config: { auth: 'admin', category: 'read', databaseScoped: true }, schema: { querystring: Type.Object(DatabaseQuery) } },
    async (request) => listSourceTables(requireSyncTarget(request)),
  );

  app.post(
    '/api/validation/table-details',
    {
      config: { auth: 'admin', category: 'query', databaseScoped: true },
      schema: {
        querystring: Type.Object(DatabaseQuery),
        body: Type.Object(
          {
            tableName: TableName,
            skipMySQLCount: Type.Optional(Type.Boolean({ description: 'Skip the exact source COUNT(*), which scans the whole table' })),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (request) => {
      const { tableName, skipMySQLCount } = request.body;
      assertTableName(tableName);
      return tableDetails(requireSyncTarget(request), tableName, { skipMySQLCount: skipMySQLCount ?? false });
    },
  );
};

/**
 * `POST /api/sync/reconcile` and `/sync/reconcile` in a scope of their own, because their body is
 * optional: a request without a body reconciles every table, as `{}`. An empty JSON body already
 * arrives as `{}` from the server's JSON parser.
 */
const reconcileRoutes: FastifyPluginAsyncTypebox<{ deps: HttpDependencies }> = async (scope, { deps }) => {
  scope.addHook('preValidation', async (request) => {
    if (request.body === undefined || request.body === null) request.body = {};
  });

  for (const path of ['/api/sync/reconcile', '/sync/reconcile']) {
    scope.post(
      path,
      {
        config: { auth: 'admin', category: 'write', databaseScoped: true },
        schema: {
          querystring: Type.Object(DatabaseQuery),
          body: Type.Optional(Type.Object(
            {
              table: Type.Optional(TableName),
              content: Type.Optional(Type.Boolean({ description: 'Also re-copy rows whose values differ, found by chunk checksums' })),
            },
            { additionalProperties: false },
          )),
        },
      },
      async (request) => {
        const { table, content } = request.body ?? {};
        if (table !== undefined) assertTableName(table);
        const target = requireSyncTarget(request);
        const run = deps.sync.startReconcileRun(target, { trigger: 'manual', table, content: content ?? false });
        const audited = { databaseId: target.databaseId, type: 'reconcile', ...(table ? { table } : {}), trigger: 'manual' };
        return auditSyncRun(deps.audit, requestAuditContext(request), audited, run.runId, run.completion);
      },
    );
  }
};
