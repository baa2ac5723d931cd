import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { diagnoseSource, type Diagnosis, type DiagnosisCheck } from '../../diagnose/index.js';
import { DucklingError, errorMessage } from '../../errors/index.js';
import type { DatabaseHandle, HttpDependencies } from '../services.js';
import type { SseHub } from './sse.js';

const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64, description: 'Database id' }) });

/** `/api/databases/:id/diagnose` and its event stream (SPEC 6.12, 3.5). Both are admin, category write. */
export const diagnoseRoutes: FastifyPluginAsyncTypebox<{ deps: HttpDependencies; sse: SseHub }> = async (app, { deps, sse }) => {
  app.post(
    '/databases/:id/diagnose',
    { config: { auth: 'admin', category: 'write' }, schema: { params: IdParams, querystring: Type.Object({}) } },
    async (request) => {
      const handle = databaseOrThrow(deps, request.params.id);
      const diagnosis = await runDiagnosis(deps, handle);
      return { success: true, diagnosis };
    },
  );

  app.get(
    '/databases/:id/diagnose/stream',
    {
      config: { auth: 'admin', category: 'write', ticket: 'sse' },
      schema: { params: IdParams, querystring: Type.Object({ ticket: Type.Optional(Type.String({ description: 'Ticket of POST /api/tickets, purpose sse' })) }) },
    },
    async (request, reply) => {
      // Unknown ids are refused before the stream opens, so they get a plain 404.
      const handle = databaseOrThrow(deps, request.params.id);
      const stream = sse.open(request, reply);
      stream.send({ message: `diagnosing the source of database ${handle.id}` }, 'start');
      try {
        const diagnosis = await runDiagnosis(deps, handle, (check) => {
          stream.send({ id: check.id, name: check.name, status: check.status, detail: check.detail }, 'tick');
        });
        stream.send({ diagnosis }, 'result');
        stream.send({ success: true }, 'done');
      } catch (error) {
        request.log.warn({ err: error, databaseId: handle.id }, 'diagnosis failed');
        stream.send({ error: errorMessage(error) }, 'diagnose-error');
      }
      stream.close();
    },
  );
};

function databaseOrThrow(deps: HttpDependencies, id: string): DatabaseHandle {
  const handle = deps.databases.get(id);
  if (!handle) throw new DucklingError('DUCKLING_DATABASE_NOT_FOUND', { db: id, hint: '; GET /api/databases lists the ids' });
  return handle;
}

function runDiagnosis(deps: HttpDependencies, handle: DatabaseHandle, onCheck?: (check: DiagnosisCheck) => void): Promise<Diagnosis> {
  if (!handle.source) {
    throw handle.sourceError instanceof DucklingError ? handle.sourceError : new DucklingError('DUCKLING_SOURCE_NOT_CONFIGURED', { db: handle.id });
  }
  return diagnoseSource({
    databaseId: handle.id,
    source: handle.source,
    excludedTables: handle.excludedTables,
    watermarkCandidates: deps.config.sync.watermarkColumns,
    lookbackSeconds: deps.config.sync.lookbackSeconds,
    syncOptions: handle.syncOptions,
    onCheck,
  });
}
