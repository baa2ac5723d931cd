import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { LocalBackupResult, OperationContext } from '../../backup/index.js';
import { DucklingError } from '../../errors/index.js';
import { auditActor } from '../audit-actor.js';
import { DatabaseQuery, StringEnum } from '../schemas.js';
import type { HttpDependencies } from '../services.js';

const BackupNameField = Type.String({ minLength: 1, maxLength: 200, description: 'backup-<database id>-<timestamp>, as GET /api/backups lists it' });
const AllowCrossDatabase = Type.Optional(Type.Boolean({ default: false, description: 'Accept a backup of another database or source' }));

const VerifyBody = Type.Object(
  {
    location: StringEnum(['local', 's3'] as const, { description: 'Where the backup is' }),
    name: Type.Optional(BackupNameField),
    key: Type.Optional(Type.String({ minLength: 1, maxLength: 1024, description: 'S3 object key of the data object' })),
    allowCrossDatabase: AllowCrossDatabase,
  },
  { additionalProperties: false },
);
const RestoreBody = Type.Object({ name: BackupNameField, allowCrossDatabase: AllowCrossDatabase }, { additionalProperties: false });
const AutomationRestoreBody = Type.Object({ allowCrossDatabase: AllowCrossDatabase }, { additionalProperties: false });

const scoped = (category: 'read' | 'write') => ({ auth: 'admin' as const, category, databaseScoped: true });

/** `/api/backups*`: local backups, their listing (with S3 entries merged in), verification and restore. */
export const backupRoutes: FastifyPluginAsyncTypebox<{ deps: HttpDependencies }> = async (app, { deps }) => {
  app.get('/backups', { config: scoped('read'), schema: { querystring: Type.Object(DatabaseQuery) } }, async (request) => ({
    success: true,
    backups: await deps.backups.list(databaseId(request)),
  }));

  app.post('/backups', { config: scoped('write'), schema: { querystring: Type.Object(DatabaseQuery) } }, async (request) =>
    backupBody(await deps.backups.createLocalBackup(databaseId(request), operationContext(request))),
  );

  app.post('/backups/verify', { config: scoped('write'), schema: { querystring: Type.Object(DatabaseQuery), body: VerifyBody } }, async (request) => {
    const { location, name, key, allowCrossDatabase } = request.body;
    const outcome = await deps.backups.verify(databaseId(request), {
      location,
      ...(name !== undefined ? { name } : {}),
      ...(key !== undefined ? { key } : {}),
      allowCrossDatabase: allowCrossDatabase ?? false,
    });
    return { success: true, valid: outcome.valid, checks: outcome.checks };
  });

  app.post('/backups/restore', { config: scoped('write'), schema: { querystring: Type.Object(DatabaseQuery), body: RestoreBody } }, async (request) => {
    const id = databaseId(request);
    const result = await deps.backups.restoreLocal(id, { name: request.body.name }, { allowCrossDatabase: request.body.allowCrossDatabase ?? false }, operationContext(request));
    return { success: true, message: `Database "${id}" restored from ${result.restoredFrom}`, ...result };
  });
};

/** `/automation/backup` and `/automation/restore`, mounted under `/api` and at the root. */
export const backupAutomationRoutes: FastifyPluginAsyncTypebox<{ deps: HttpDependencies }> = async (app, { deps }) => {
  app.post('/automation/backup', { config: scoped('write'), schema: { querystring: Type.Object(DatabaseQuery) } }, async (request) =>
    backupBody(await deps.backups.createLocalBackup(databaseId(request), operationContext(request))),
  );

  app.post(
    '/automation/restore',
    { config: scoped('write'), schema: { querystring: Type.Object(DatabaseQuery), body: Type.Optional(AutomationRestoreBody) } },
    async (request) => {
      const id = databaseId(request);
      const result = await deps.backups.restoreLocal(id, { latest: true }, { allowCrossDatabase: request.body?.allowCrossDatabase ?? false }, operationContext(request));
      return { success: true, message: `Database "${id}" restored from its newest local backup ${result.restoredFrom}`, restoredFrom: result.restoredFrom, durationMs: result.durationMs };
    },
  );
};

function backupBody(result: LocalBackupResult) {
  const backup: Record<string, unknown> = { name: result.name, size: result.size, durationMs: result.durationMs, manifest: result.manifest };
  if (result.s3Key !== undefined) backup.s3Key = result.s3Key;
  return { success: true, message: `Backup ${result.name} written (${result.size} bytes)`, backup };
}

function databaseId(request: FastifyRequest): string {
  if (!request.database) throw new DucklingError('DUCKLING_INTERNAL', { detail: `route ${request.routeOptions.url} is not declared databaseScoped` });
  return request.database.id;
}

function operationContext(request: FastifyRequest): OperationContext {
  return { actor: auditActor(request), requestId: request.id };
}
