import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyError, FastifyRequest } from 'fastify';
import type { AuditEventType } from '../../audit/index.js';
import { DucklingError, isDucklingError } from '../../errors/index.js';
import { requestAuditContext } from '../audit-actor.js';
import { schemaIssues, validationFailed } from '../plugins/error-handler.js';
import type { HttpDependencies } from '../services.js';

const TableNameSetting = Type.String({ minLength: 1, maxLength: 128 });

/** The database's own sync settings; unknown keys are rejected so a typo is not silently ignored. */
const SyncSettings = Type.Object(
  {
    excludedTables: Type.Optional(Type.Array(TableNameSetting, { description: 'Exact, case-sensitive source table names never synced' })),
    watermarkColumns: Type.Optional(Type.Record(Type.String(), TableNameSetting, { description: 'Table name to its watermark column' })),
    appendOnlyTables: Type.Optional(Type.Array(TableNameSetting, { description: 'Tables synced by their increasing integer key' })),
    lookbackSeconds: Type.Optional(Type.Integer({ minimum: 0, description: 'Re-read rows this far below the saved watermark' })),
  },
  { additionalProperties: false },
);

const CONNECTION_STRING_DESCRIPTION = 'mysql://user:password@host:port/schema?options; never returned';

// Unknown body fields pass the schema and are rejected by `rejectUnknownFields`, whose message
// lists every rejected field together with the accepted ones.
const CreateBody = Type.Object({
  name: Type.String({ maxLength: 1024 }),
  mysqlConnectionString: Type.String({ minLength: 1, maxLength: 4096, description: CONNECTION_STRING_DESCRIPTION }),
  sync: Type.Optional(SyncSettings),
});

const UpdateBody = Type.Object({
  name: Type.Optional(Type.String({ maxLength: 1024 })),
  mysqlConnectionString: Type.Optional(Type.String({ minLength: 1, maxLength: 4096, description: CONNECTION_STRING_DESCRIPTION })),
  sync: Type.Optional(SyncSettings),
});

const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64, description: 'Database id' }) });

/** `/api/databases`: the database registry. Every route is admin; GET is category read, the rest write. */
export const databaseRoutes: FastifyPluginAsyncTypebox<{ deps: HttpDependencies }> = async (app, { deps }) => {
  /**
   * Runs a registry change and records its audit event: outcome `success`, or `failure` with the
   * error code, after which the error is thrown on. `detail` must not contain the connection string.
   */
  async function audited<T extends object>(
    request: FastifyRequest,
    event: AuditEventType,
    target: string,
    detail: Record<string, unknown>,
    change: () => Promise<T>,
  ): Promise<T> {
    const context = requestAuditContext(request);
    try {
      const result = await change();
      // A created database is named by the id the registry allocated.
      deps.audit.record({ ...context, event, target: 'id' in result && typeof result.id === 'string' ? result.id : target, outcome: 'success', detail });
      return result;
    } catch (error) {
      const code = isDucklingError(error) ? error.code : 'DUCKLING_INTERNAL';
      deps.audit.record({ ...context, event, target, outcome: 'failure', detail: { ...detail, code } });
      throw error;
    }
  }

  app.get('/databases', { config: { auth: 'admin', category: 'read' }, schema: { querystring: Type.Object({}) } }, async () => ({
    success: true,
    databases: await deps.databaseAdmin.describeAll(),
  }));

  app.post('/databases', { config: { auth: 'admin', category: 'write' }, schema: { body: CreateBody }, attachValidation: true, preValidation: checkRawBody }, async (request) => {
    rejectInvalidBody(request, 'POST /api/databases');
    // A failed creation has no id yet, so its event names the requested name.
    const database = await audited(request, 'database.created', request.body.name, { name: request.body.name }, () => deps.databaseAdmin.create(request.body));
    return { success: true, database };
  });

  app.put(
    '/databases/:id',
    {
      config: { auth: 'admin', category: 'write' },
      attachValidation: true,
      preValidation: checkRawBody,
      schema: {
        params: IdParams,
        body: UpdateBody,
        querystring: Type.Object({
          resync: Type.Boolean({
            default: false,
            description: 'Accept a connection string that reaches another source: clears watermarks and sync sessions so the next sync reloads every table',
          }),
        }),
      },
    },
    async (request) => {
      rejectInvalidBody(request, 'PUT /api/databases/:id');
      const fields = Object.keys(request.body);
      const database = await audited(request, 'database.updated', request.params.id, { fields, resync: request.query.resync }, () =>
        deps.databaseAdmin.update(request.params.id, request.body, { resync: request.query.resync }));
      return { success: true, database };
    },
  );

  app.delete(
    '/databases/:id',
    {
      config: { auth: 'admin', category: 'write' },
      schema: {
        params: IdParams,
        querystring: Type.Object({
          deleteFiles: Type.Boolean({ default: false, description: 'Also delete the replica file; by default it stays in DATA_PATH' }),
        }),
      },
    },
    async (request) => {
      const { deleteFiles } = request.query;
      const { message } = await audited(request, 'database.deleted', request.params.id, { deleteFiles }, () =>
        deps.databaseAdmin.remove(request.params.id, { deleteFiles }));
      return { success: true, message };
    },
  );

  app.post(
    '/databases/:id/test',
    { config: { auth: 'admin', category: 'write' }, schema: { params: IdParams, querystring: Type.Object({}) } },
    async (request) => deps.databaseAdmin.testConnection(request.params.id),
  );
};

/** Rejects body fields outside `allowed`, listing each one in `details`. */
export function rejectUnknownFields(body: object, allowed: readonly string[], route: string): void {
  const rejected = Object.keys(body).filter((field) => !allowed.includes(field));
  if (rejected.length === 0) return;
  const message = `is not accepted; ${route} takes only ${allowed.join(', ')}`;
  const details = rejected.map((field) => ({ field: `body.${field}`, message }));
  throw new DucklingError(
    'DUCKLING_VALIDATION_FAILED',
    { detail: `${rejected.map((field) => `body.${field}`).join(', ')} ${rejected.length === 1 ? 'is' : 'are'} not accepted; ${route} takes only ${allowed.join(', ')}` },
    { extra: { details } },
  );
}

/** Body fields that POST and PUT /api/databases accept. */
const BODY_FIELDS = ['name', 'mysqlConnectionString', 'sync'] as const;

/** Issues found in the body before schema validation, which coerces a number to a string. */
const rawBodyIssues = new WeakMap<FastifyRequest, ValidationIssue[]>();

interface ValidationIssue {
  field: string;
  message: string;
}

/** Records `sync.watermarkColumns` values that are not strings, because validation would coerce 5 to "5". */
async function checkRawBody(request: FastifyRequest): Promise<void> {
  const body = request.body as { sync?: { watermarkColumns?: unknown } } | null | undefined;
  const columns = body?.sync?.watermarkColumns;
  if (typeof columns !== 'object' || columns === null || Array.isArray(columns)) return;
  const issues = Object.entries(columns)
    .filter(([, column]) => typeof column !== 'string')
    .map(([table, column]) => ({
      field: `body.sync.watermarkColumns.${table}`,
      message: `must be a column name in a string, found ${JSON.stringify(column)}`,
    }));
  if (issues.length > 0) rawBodyIssues.set(request, issues);
}

/**
 * Throws 400 DUCKLING_VALIDATION_FAILED listing every problem of the body together: schema
 * issues, non-string watermark columns and fields the route does not accept.
 */
function rejectInvalidBody(request: FastifyRequest, route: string): void {
  const issues: ValidationIssue[] = [...(rawBodyIssues.get(request) ?? [])];
  if (request.validationError) issues.push(...schemaIssues(request.validationError as FastifyError));

  const body = request.body;
  if (typeof body === 'object' && body !== null && !Array.isArray(body)) {
    const message = `is not accepted; ${route} takes only ${BODY_FIELDS.join(', ')}`;
    for (const field of Object.keys(body)) {
      if (!(BODY_FIELDS as readonly string[]).includes(field)) issues.push({ field: `body.${field}`, message });
    }
  }
  // A non-object watermark column also fails the schema; its first, clearer issue is kept.
  const unique = issues.filter((issue, index) => issues.findIndex((other) => other.field === issue.field) === index);
  if (unique.length > 0) throw validationFailed(unique, request.validationError);
}
