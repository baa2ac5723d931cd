import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { S3_ENCRYPTION_MODES, type S3EncryptionMode } from '../../registry/index.js';
import type { HttpDependencies } from '../services.js';
import { rejectUnknownFields } from './databases.js';

const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64, description: 'Database id' }) });

const ACCEPTED_FIELDS = [
  'enabled', 'bucket', 'region', 'accessKeyId', 'secretAccessKey', 'endpoint', 'forcePathStyle', 'pathPrefix',
  'encryption', 'kmsKeyId', 'encryptionKey', 's3BackupRetentionDays',
];

// Formats are checked by the registry's own validation, whose messages name the accepted form;
// the schema checks types and lengths only. Unknown fields (such as `keyring`, which is filled
// automatically) are rejected by `rejectUnknownFields`.
const S3Body = Type.Object({
  enabled: Type.Optional(Type.Boolean({ default: true })),
  bucket: Type.String({ maxLength: 63 }),
  region: Type.String({ maxLength: 64 }),
  accessKeyId: Type.String({ maxLength: 256 }),
  secretAccessKey: Type.Optional(Type.String({ minLength: 1, maxLength: 1024, description: 'Required on the first save; omitted or "***" keeps the stored value. Never returned' })),
  endpoint: Type.Optional(Type.String({ maxLength: 2048, description: 'URL of an S3-compatible store' })),
  forcePathStyle: Type.Optional(Type.Boolean()),
  pathPrefix: Type.Optional(Type.String({ maxLength: 512, description: 'Key prefix ending in /; default "<id>/"' })),
  // One `enum` instead of a union of literals, so a wrong mode gets one message listing the modes.
  encryption: Type.Optional(Type.Unsafe<S3EncryptionMode>({ type: 'string', enum: [...S3_ENCRYPTION_MODES], default: 'none' })),
  kmsKeyId: Type.Optional(Type.String({ maxLength: 2048 })),
  encryptionKey: Type.Optional(
    // Null comes first: with Ajv's coerceTypes, a string branch tried first would turn null into "".
    Type.Union([Type.Null(), Type.String({ maxLength: 128 })], {
      description: '64 hex characters for client-aes256; omitted or "***" keeps the stored key, null or a new key moves the old one to the keyring. Never returned',
    }),
  ),
  s3BackupRetentionDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 36_500 })),
});

/** `/api/databases/:id/s3`: a database's S3 backup target. Admin only; GET is category read, the rest write. */
export const s3SettingsRoutes: FastifyPluginAsyncTypebox<{ deps: HttpDependencies }> = async (app, { deps }) => {
  app.get('/databases/:id/s3', { config: { auth: 'admin', category: 'read' }, schema: { params: IdParams, querystring: Type.Object({}) } }, async (request) => ({
    success: true,
    s3: deps.s3Settings.get(request.params.id),
  }));

  app.put('/databases/:id/s3', { config: { auth: 'admin', category: 'write' }, schema: { params: IdParams, body: S3Body } }, async (request) => {
    rejectUnknownFields(request.body, ACCEPTED_FIELDS, 'PUT /api/databases/:id/s3');
    return { success: true, s3: await deps.s3Settings.put(request.params.id, request.body) };
  });

  app.delete('/databases/:id/s3', { config: { auth: 'admin', category: 'write' }, schema: { params: IdParams, querystring: Type.Object({}) } }, async (request) => {
    const { message } = await deps.s3Settings.remove(request.params.id);
    return { success: true, message };
  });

  app.post('/databases/:id/s3/test', { config: { auth: 'admin', category: 'write' }, schema: { params: IdParams, querystring: Type.Object({}) } }, async (request) =>
    deps.s3Settings.test(request.params.id),
  );
};
