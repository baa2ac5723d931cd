import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { OperationContext } from '../../backup/index.js';
import { DucklingError } from '../../errors/index.js';
import { auditActor } from '../audit-actor.js';
import { DatabaseQuery } from '../schemas.js';
import type { HttpDependencies } from '../services.js';

const RestoreBody = Type.Object(
  {
    key: Type.String({ minLength: 1, maxLength: 1024, description: 'Data object key, <pathPrefix>backup-<id>-<timestamp>.db or .db.enc, as GET /api/backups lists it' }),
    allowCrossDatabase: Type.Optional(Type.Boolean({ default: false, description: 'Accept a backup of another database or source' })),
  },
  { additionalProperties: false },
);

const scoped = { auth: 'admin' as const, category: 'write' as const, databaseScoped: true };

/** `/api/backups/s3*`: an S3 backup now, a restore from S3, and the progress of the running transfer. */
export const s3BackupRoutes: FastifyPluginAsyncTypebox<{ deps: HttpDependencies }> = async (app, { deps }) => {
  app.get('/backups/s3/progress', { config: { ...scoped, category: 'read' }, schema: { querystring: Type.Object(DatabaseQuery) } }, async (request) => ({
    success: true,
    transfer: deps.s3Backups.transferProgress(databaseId(request)),
  }));

  app.post('/backups/s3', { config: scoped, schema: { querystring: Type.Object(DatabaseQuery) } }, async (request) => {
    const result = await deps.s3Backups.backupNow(databaseId(request), operationContext(request));
    return {
      success: true,
      key: result.key,
      manifestKey: result.manifestKey,
      size: result.size,
      durationMs: result.durationMs,
      message: `Backup ${result.name} uploaded to ${result.key} (${result.size} bytes)`,
    };
  });

  app.post('/backups/s3/restore', { config: scoped, schema: { querystring: Type.Object(DatabaseQuery), body: RestoreBody } }, async (request) => {
    const id = databaseId(request);
    const result = await deps.s3Backups.restore(id, request.body.key, { allowCrossDatabase: request.body.allowCrossDatabase ?? false }, operationContext(request));
    return { success: true, message: `Database "${id}" restored from ${request.body.key}`, ...result };
  });
};

function databaseId(request: FastifyRequest): string {
  if (!request.database) throw new DucklingError('DUCKLING_INTERNAL', { detail: `route ${request.routeOptions.url} is not declared databaseScoped` });
  return request.database.id;
}

function operationContext(request: FastifyRequest): OperationContext {
  return { actor: auditActor(request), requestId: request.id };
}
