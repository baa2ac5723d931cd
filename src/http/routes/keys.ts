import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { DucklingError } from '../../errors/index.js';
import { auditActor } from '../audit-actor.js';
import type { HttpDependencies } from '../services.js';

const MAX_NAME_LENGTH = 128;

const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64, description: 'Database id' }) });
const KeyParams = Type.Object({ id: IdParams.properties.id, keyId: Type.String({ minLength: 1, maxLength: 64 }) });
const NewKeyBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: MAX_NAME_LENGTH, description: 'What the key is for' }),
    expiresAt: Type.Optional(Type.String({ format: 'date-time', description: 'ISO-8601 instant in the future; default never' })),
  },
  { additionalProperties: false },
);

/** `/api/databases/:id/keys`: database keys, scoped to one database's data routes. Admin only. */
export const keyRoutes: FastifyPluginAsyncTypebox<{ deps: HttpDependencies }> = async (app, { deps }) => {
  const keys = deps.auth.databaseKeys;

  app.get('/databases/:id/keys', { config: { auth: 'admin', category: 'read' }, schema: { params: IdParams, querystring: Type.Object({}) } }, async (request) => {
    return { keys: keys.list(request.params.id) };
  });

  app.post('/databases/:id/keys', { config: { auth: 'admin', category: 'write' }, schema: { params: IdParams, body: NewKeyBody } }, async (request, reply) => {
    const databaseId = request.params.id;
    const name = checkName(request.body.name);
    const expiresAt = request.body.expiresAt === undefined ? null : checkExpiry(request.body.expiresAt);

    const created = await keys.create(databaseId, { name, expiresAt });
    request.log.info({ databaseId, keyId: created.keyId }, 'database key created');
    deps.audit.record({
      event: 'apikey.created',
      actor: auditActor(request),
      target: `${databaseId}/${created.keyId}`,
      outcome: 'success',
      requestId: request.id,
      detail: { name, expiresAt: created.expiresAt },
    });
    reply.code(201);
    return { keyId: created.keyId, name: created.name, key: created.key, expiresAt: created.expiresAt };
  });

  app.delete('/databases/:id/keys/:keyId', { config: { auth: 'admin', category: 'write' }, schema: { params: KeyParams, querystring: Type.Object({}) } }, async (request) => {
    const { id: databaseId, keyId } = request.params;
    await keys.delete(databaseId, keyId);
    request.log.info({ databaseId, keyId }, 'database key deleted');
    deps.audit.record({
      event: 'apikey.deleted',
      actor: auditActor(request),
      target: `${databaseId}/${keyId}`,
      outcome: 'success',
      requestId: request.id,
    });
    return { success: true };
  });
};

function checkName(value: string): string {
  if (value.trim() === '') throw fieldError('body.name', 'must not be blank');
  if (/\p{Cc}/u.test(value)) throw fieldError('body.name', 'contains a control character; use printable characters only');
  return value;
}

function checkExpiry(value: string): Date {
  const expiresAt = new Date(value);
  if (Number.isNaN(expiresAt.getTime())) throw fieldError('body.expiresAt', `"${value}" is not an ISO-8601 instant such as 2030-01-31T00:00:00Z`);
  if (expiresAt.getTime() <= Date.now()) throw fieldError('body.expiresAt', `${value} lies in the past; give a future instant or leave it out for a key that never expires`);
  return expiresAt;
}

function fieldError(field: string, message: string): DucklingError {
  return new DucklingError('DUCKLING_VALIDATION_FAILED', { detail: `${field} ${message}` }, { extra: { details: [{ field, message }] } });
}
