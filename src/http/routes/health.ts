import { stat } from 'node:fs/promises';
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AdminHealthBody, DatabaseStatusEntry, StatusBody } from '../../api-types/index.js';
import { isAdministrator } from '../../auth/index.js';
import { errorMessage } from '../../errors/index.js';
import { duckdbVersion } from '../../replica/index.js';
import type { DatabaseHandle, HttpDependencies } from '../services.js';

/** `/health`, `/health/ready` and `/status`, at the root only. */
export const healthRoutes: FastifyPluginAsyncTypebox<{ deps: HttpDependencies }> = async (app, { deps }) => {
  app.get('/health', { config: { auth: 'public', category: 'monitoring' }, schema: { querystring: Type.Object({}) } }, async (request, reply) => {
    const health = await deps.health.check();
    if (health.status === 'unhealthy') reply.code(503);
    if (!isAdministrator(request.principal)) return { status: health.status };

    const body: AdminHealthBody = {
      status: health.status,
      timestamp: new Date().toISOString(),
      version: deps.version,
      uptime: uptimeSeconds(deps),
      databases: health.databases,
      security: deps.security.counts(),
    };
    return body;
  });

  app.get('/health/ready', { config: { auth: 'public', category: 'monitoring' }, schema: { querystring: Type.Object({}) } }, async (_request, reply) => {
    const readiness = deps.readiness();
    if (readiness.ready) return { ready: true };
    reply.code(503);
    return { ready: false, reasons: readiness.reasons };
  });

  app.get('/status', { config: { auth: 'admin', category: 'monitoring' }, schema: { querystring: Type.Object({}) } }, async () => {
    const memory = process.memoryUsage();
    const body: StatusBody = {
      uptime: uptimeSeconds(deps),
      version: deps.version,
      nodeVersion: process.version,
      duckdbVersion: duckdbVersion(),
      memory: {
        rssBytes: memory.rss,
        heapUsedBytes: memory.heapUsed,
        heapTotalBytes: memory.heapTotal,
        externalBytes: memory.external,
      },
      databases: await Promise.all(deps.databases.list().map((handle) => databaseStatus(deps, handle))),
      governor: { ...deps.query.governorStats() },
      security: deps.security.counts(),
    };
    return body;
  });
};

function uptimeSeconds(deps: HttpDependencies): number {
  return Math.round((Date.now() - deps.startedAtMs) / 1000);
}

async function databaseStatus(deps: HttpDependencies, handle: DatabaseHandle): Promise<DatabaseStatusEntry> {
  if (!handle.replica) {
    return { databaseId: handle.id, name: handle.name, error: handle.unavailableReason ?? 'the replica is not open' };
  }
  const replica = handle.replica;
  try {
    const details = await deps.tables.listTableDetails(replica);
    const lastSyncAt = details.map((detail) => detail.lastSyncAt).filter((at): at is string => typeof at === 'string').sort().at(-1) ?? null;
    return {
      databaseId: handle.id,
      name: handle.name,
      tables: { mysql: await sourceTableCount(deps, handle), duckdb: details.length },
      lastSyncAt,
      fileSizeBytes: await fileSize(replica.filePath),
    };
  } catch (error) {
    return { databaseId: handle.id, name: handle.name, error: errorMessage(error) };
  }
}

/** Source table count from the sync status; null when the source cannot be asked. */
async function sourceTableCount(deps: HttpDependencies, handle: DatabaseHandle): Promise<number | null> {
  if (!handle.source || !handle.replica) return null;
  try {
    const status = await deps.sync.status({
      databaseId: handle.id,
      replica: handle.replica,
      source: handle.source,
      excludedTables: handle.excludedTables,
    });
    const tables = status.tables as { mysql?: unknown } | undefined;
    return typeof tables?.mysql === 'number' ? tables.mysql : null;
  } catch {
    // The source being down is reported by /health; /status still describes the replica.
    return null;
  }
}

async function fileSize(filePath: string): Promise<number | null> {
  try {
    return (await stat(filePath)).size;
  } catch {
    return null;
  }
}
