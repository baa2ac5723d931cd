import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { auditSyncRun } from '../../audit/index.js';
import { assertTableName } from '../../query/index.js';
import { requestAuditContext } from '../audit-actor.js';
import type { SyncProgress, SyncRunHandle, SyncTarget } from '../../sync/types.js';
import { requireReplica, requireSyncTarget } from '../plugins/db-context.js';
import { DatabaseQuery, StringEnum, TableName, TableNameParam } from '../schemas.js';
import type { HttpDependencies } from '../services.js';
import { LatestValueThrottle, type SseHub } from './sse.js';

/** Progress messages on `/api/sync/events` are sent at most 4 times per second. */
const PROGRESS_EVENT_INTERVAL_MS = 250;

export interface SyncRouteOptions {
  deps: HttpDependencies;
  sse: SseHub;
}

/** `/sync/*` routes, mounted under `/api` and at the root. */
export const syncRoutes: FastifyPluginAsyncTypebox<SyncRouteOptions> = async (app, { deps, sse }) => {
  const runQuery = Type.Object({
    ...DatabaseQuery,
    async: Type.Boolean({ default: false, description: 'Return 202 {runId} at once instead of waiting for the run' }),
    allowMassDrop: Type.Boolean({ default: false, description: 'Allow a run that drops more than half of the replica tables' }),
  });
  const runRoute = { config: { auth: 'admin', category: 'write', databaseScoped: true }, schema: { querystring: runQuery } } as const;

  /** Body of `GET /sync/status`: the replica's sync state plus the database's schedule. */
  async function statusWithSchedule(target: SyncTarget) {
    return { ...(await deps.sync.status(target)), schedule: deps.automation.describe(target.databaseId) };
  }

  /** Records the run's audit events (`sync.started`, then `sync.completed` or `sync.failed`). */
  function audited(request: FastifyRequest, run: SyncRunHandle, databaseId: string, type: 'full' | 'incremental'): SyncRunHandle {
    const completion = auditSyncRun(deps.audit, requestAuditContext(request), { databaseId, type, trigger: 'manual' }, run.runId, run.completion);
    return { runId: run.runId, completion, ...(run.started ? { started: run.started } : {}) };
  }

  /**
   * Returns the run stats when the run ends, or with `async=true` 202 {runId} once the run passed
   * its checks. A run that fails before its first table (source unreachable, no tables, mass
   * drop) fails the request with that error either way.
   */
  async function answerRun(request: FastifyRequest, reply: FastifyReply, run: SyncRunHandle, async: boolean, databaseId: string) {
    if (!async) return run.completion;

    // The run outlives this request; a failure of the whole run is logged, and the sync log has it.
    run.completion.catch((error: unknown) => {
      request.log.error({ err: error, runId: run.runId, databaseId }, 'background sync run failed');
    });
    if (run.started) await run.started;
    reply.code(202);
    return { runId: run.runId };
  }

  app.post('/sync/full', runRoute, async (request, reply) => {
    const target = requireSyncTarget(request);
    const run = audited(request, deps.sync.startFullRun(target, { trigger: 'manual', allowMassDrop: request.query.allowMassDrop }), target.databaseId, 'full');
    return answerRun(request, reply, run, request.query.async, target.databaseId);
  });

  app.post('/sync/incremental', runRoute, async (request, reply) => {
    const target = requireSyncTarget(request);
    const run = audited(request, deps.sync.startIncrementalRun(target, { trigger: 'manual', allowMassDrop: request.query.allowMassDrop }), target.databaseId, 'incremental');
    return answerRun(request, reply, run, request.query.async, target.databaseId);
  });

  app.post(
    '/sync/table/:table',
    {
      config: { auth: 'admin', category: 'write', databaseScoped: true },
      schema: {
        params: Type.Object({ table: TableNameParam }),
        querystring: Type.Object({
          ...DatabaseQuery,
          mode: StringEnum(['auto', 'full', 'incremental'], {
            default: 'auto',
            description: 'auto and incremental merge the changed rows when the table has a stored watermark, else load it fully; full always loads it fully',
          }),
        }),
      },
    },
    async (request) => {
      const { table } = request.params;
      assertTableName(table);
      const target = requireSyncTarget(request);
      const result = deps.sync.syncTable(target, table, { trigger: 'manual', mode: request.query.mode });
      return auditSyncRun(deps.audit, requestAuditContext(request), { databaseId: target.databaseId, type: 'table', table, trigger: 'manual' }, null, result);
    },
  );

  app.delete(
    '/sync/clear-all',
    { config: { auth: 'admin', category: 'write', databaseScoped: true }, schema: { querystring: Type.Object(DatabaseQuery) } },
    async (request) => {
      const { handle, replica } = requireReplica(request);
      const dropped = await deps.sync.clearAll({ databaseId: handle.id, replica });
      request.log.info({ databaseId: handle.id, tablesDropped: dropped.length }, 'replica cleared');
      return {
        success: true,
        message: `Dropped ${dropped.length} tables of database "${handle.id}" and cleared its watermarks and sync sessions; the next sync loads every table from the source`,
        tablesDropped: dropped.length,
      };
    },
  );

  app.get(
    '/sync/status',
    { config: { auth: 'any', category: 'read', databaseScoped: true }, schema: { querystring: Type.Object(DatabaseQuery) } },
    async (request) => statusWithSchedule(requireSyncTarget(request)),
  );

  app.get(
    '/sync/progress',
    { config: { auth: 'any', category: 'read', databaseScoped: true }, schema: { querystring: Type.Object(DatabaseQuery) } },
    async (request) => deps.sync.progress(requireReplica(request).handle.id),
  );

  app.get(
    '/sync/events',
    {
      config: { auth: 'any', category: 'read', databaseScoped: true, ticket: 'sse' },
      schema: { querystring: Type.Object({ ...DatabaseQuery, ticket: Type.Optional(Type.String({ description: 'Ticket of POST /api/tickets, purpose sse' })) }) },
    },
    async (request, reply) => {
      const target = requireSyncTarget(request);
      // Read the status before taking the response over, so a failure still gets a JSON error.
      const syncStatus = await statusWithSchedule(target);

      const stream = sse.open(request, reply);
      stream.send({ progress: deps.sync.progress(target.databaseId), syncStatus });

      const throttle = new LatestValueThrottle<SyncProgress>(PROGRESS_EVENT_INTERVAL_MS, (progress) => stream.send({ progress }));
      const unsubscribe = deps.sync.onProgress((databaseId, progress) => {
        if (databaseId === target.databaseId) throttle.push(progress);
      });
      stream.onClose(() => {
        unsubscribe();
        throttle.cancel();
      });
    },
  );
};

/** `GET /api/sync-logs`, which has no root alias. */
export const syncLogRoutes: FastifyPluginAsyncTypebox<{ deps: HttpDependencies }> = async (app, { deps }) => {
  app.get(
    '/sync-logs',
    {
      config: { auth: 'admin', category: 'monitoring', databaseScoped: true },
      schema: {
        querystring: Type.Object({
          ...DatabaseQuery,
          limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
          offset: Type.Integer({ minimum: 0, default: 0 }),
          status: Type.Optional(StringEnum(['success', 'error', 'skipped'])),
          table: Type.Optional(TableName),
        }),
      },
    },
    async (request) => {
      const { limit, offset, status, table } = request.query;
      return deps.sync.listSyncLogs(requireSyncTarget(request), { limit, offset, status, table });
    },
  );
};
