import type { FastifyInstance, FastifyRequest } from 'fastify';
import fastifyPlugin from 'fastify-plugin';
import { databaseRestoringError } from '../../backup/index.js';
import { DucklingError } from '../../errors/index.js';
import type { Replica } from '../../replica/index.js';
import type { SyncTarget } from '../../sync/types.js';
import type { DatabaseDirectory, DatabaseHandle } from '../services.js';

export interface DbContextOptions {
  databases: DatabaseDirectory;
}

export const DEFAULT_DATABASE_ID = 'default';

/**
 * Resolves `?db=` (default `default`) on routes that declare `databaseScoped` and puts the
 * database on `request.database`. Runs after authentication, so unauthenticated callers cannot
 * probe which ids exist.
 */
export const dbContextPlugin = fastifyPlugin(
  async (app: FastifyInstance, options: DbContextOptions) => {
    app.decorateRequest('database', null);

    app.addHook('onRequest', async (request) => {
      if (request.is404 || !request.routeOptions.config?.databaseScoped) return;
      request.database = resolveDatabase(request, options.databases);
    });
  },
  { name: 'duckling-db-context', dependencies: ['duckling-auth'] },
);

function resolveDatabase(request: FastifyRequest, databases: DatabaseDirectory): DatabaseHandle {
  const query = (request.query ?? {}) as Record<string, unknown>;
  const requested = query.db ?? DEFAULT_DATABASE_ID;
  if (typeof requested !== 'string') {
    throw new DucklingError(
      'DUCKLING_VALIDATION_FAILED',
      { detail: 'querystring.db must be given once' },
      { extra: { details: [{ field: 'querystring.db', message: 'must be given once' }] } },
    );
  }

  const handle = databases.get(requested);
  if (handle) return handle;
  const hint =
    databases.list().length === 0
      ? '; no databases are configured: set MYSQL_CONNECTION_STRING and restart, or add a database'
      : '; check the ?db= parameter (it defaults to "default")';
  throw new DucklingError('DUCKLING_DATABASE_NOT_FOUND', { db: requested, hint });
}

/** The database of a scoped route with an open replica; 503 when the replica is unavailable. */
export function requireReplica(request: FastifyRequest): { handle: DatabaseHandle; replica: Replica } {
  const handle = request.database;
  if (!handle) {
    throw new DucklingError('DUCKLING_INTERNAL', { detail: `route ${request.routeOptions.url} is not declared databaseScoped` });
  }
  if (handle.restoring) {
    throw databaseRestoringError(handle.id);
  }
  if (!handle.replica) {
    throw new DucklingError('DUCKLING_DATABASE_UNAVAILABLE', { db: handle.id, detail: handle.unavailableReason ?? 'it is not open' });
  }
  return { handle, replica: handle.replica };
}

/** The sync target of a scoped route; fails when the database's source cannot be used. */
export function requireSyncTarget(request: FastifyRequest): SyncTarget {
  const { handle, replica } = requireReplica(request);
  if (!handle.source) {
    if (handle.sourceError instanceof DucklingError) throw handle.sourceError;
    throw new DucklingError('DUCKLING_SOURCE_NOT_CONFIGURED', { db: handle.id });
  }
  return {
    databaseId: handle.id, replica, source: handle.source, excludedTables: handle.excludedTables,
    ...(handle.syncOptions ? { sync: handle.syncOptions } : {}),
  };
}
