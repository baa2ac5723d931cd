import { Readable } from 'node:stream';
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { QueryFormat } from '../../api-types/index.js';
import { isAdministrator } from '../../auth/index.js';
import type { Config } from '../../config/index.js';
import { DucklingError } from '../../errors/index.js';
import { recordRejection } from '../plugins/auth.js';
import type { QueryRequest } from '../../query/types.js';
import { requireReplica } from '../plugins/db-context.js';
import { DatabaseQuery, StringEnum } from '../schemas.js';
import type { HttpDependencies } from '../services.js';
import { abortOnDisconnect, principalLabel } from './request-helpers.js';
import { buildJsonBody, csvLines, ndjsonLines } from '../../query/formats.js';
import type { QueryStream } from '../../query/query-service.js';

const Format = StringEnum(['json', 'ndjson', 'csv']);

const QueryBody = Type.Object(
  {
    sql: Type.String({ minLength: 1, description: 'One SQL statement' }),
    database: Type.Optional(StringEnum(['duckdb', 'mysql'], { description: 'duckdb (default) queries the replica, mysql the source' })),
    params: Type.Optional(
      Type.Union([Type.Array(Type.Unknown()), Type.Record(Type.String(), Type.Unknown())], {
        description: 'Values bound to ? or $1..$n (array) or to $name (object)',
      }),
    ),
    format: Type.Optional(Format),
    rowFormat: Type.Optional(StringEnum(['object', 'array'])),
    maxRows: Type.Optional(Type.Integer({ minimum: 1, description: 'Lowers the server row cap' })),
    timeoutMs: Type.Optional(Type.Integer({ minimum: 1, description: 'Lowers QUERY_TIMEOUT_MS' })),
  },
  { additionalProperties: false },
);

/** `POST /query`, mounted under `/api` and at the root. */
export const queryRoutes: FastifyPluginAsyncTypebox<{ deps: HttpDependencies }> = async (app, { deps }) => {
  app.post(
    '/query',
    {
      config: { auth: 'any', category: 'query', databaseScoped: true },
      schema: { body: QueryBody, querystring: Type.Object({ ...DatabaseQuery, format: Type.Optional(Format) }) },
    },
    async (request, reply) => {
      const body = request.body;
      if (body.database === 'mysql') rejectSourceQuery(request, deps);
      const { handle, replica } = requireReplica(request);
      const format = body.format ?? request.query.format ?? formatFromAccept(request.headers.accept);
      const maxRows = lowerLimit(format === 'json' ? deps.config.query.maxRows : deps.config.query.streamMaxRows, body.maxRows);
      const signal = abortOnDisconnect(reply);

      const queryRequest: QueryRequest = {
        databaseId: handle.id,
        replica,
        sql: body.sql,
        params: body.params,
        maxRows,
        timeoutMs: effectiveTimeoutMs(deps.config, body.timeoutMs),
        signal,
        principal: principalLabel(request),
        priority: 'normal',
        protocol: 'rest',
      };

      if (format === 'json') {
        const result = await deps.query.execute(queryRequest);
        return buildJsonBody(result, { db: handle.id, rowFormat: body.rowFormat ?? 'object' });
      }

      const stream = await deps.query.stream(queryRequest);
      endStalledResponse(reply, deps.config.query.streamTimeoutMs);
      if (format === 'ndjson') {
        reply.type('application/x-ndjson; charset=utf-8');
        return reply.send(Readable.from(ndjsonLines(stream)));
      }

      reply.type('text/csv; charset=utf-8');
      reply.header('Duckling-Max-Rows', String(maxRows));
      reply.header('Trailer', 'Duckling-Truncated');
      return reply.send(Readable.from(csvWithTrailer(stream, reply)));
    },
  );
};

/**
 * Source queries are for administrators only; a database key gets 403 `DUCKLING_AUTH_SCOPE`.
 * Administrators get 400, because this release cannot run them yet.
 */
function rejectSourceQuery(request: FastifyRequest, deps: HttpDependencies): never {
  if (!isAdministrator(request.principal)) {
    recordRejection(request, deps, 'scope', request.credentialSource);
    throw new DucklingError('DUCKLING_AUTH_SCOPE', {
      detail: 'queries on the source (database "mysql") are for administrators only; omit database to query the replica',
    });
  }
  // TODO(query): run source queries as a read-only transaction on the source — needs the checks and timeouts of source queries.
  throw new DucklingError(
    'DUCKLING_VALIDATION_FAILED',
    { detail: 'body.database "mysql" is not supported by this release; omit database to query the replica' },
    { extra: { details: [{ field: 'body.database', message: '"mysql" is not supported by this release' }] } },
  );
}

/**
 * CSV lines, then the `Duckling-Truncated` trailer. Trailers must be added before the response
 * ends, which happens right after the last line. A failure mid-stream can only end the body early
 * (CSV has no error record), so it is logged here.
 */
async function* csvWithTrailer(stream: QueryStream, reply: FastifyReply): AsyncGenerator<string> {
  try {
    yield* csvLines(stream);
  } catch (error) {
    reply.log.warn({ err: error }, 'query stream failed; CSV body ends early');
    throw error;
  }
  reply.raw.addTrailers({ 'Duckling-Truncated': String(stream.summary().truncated) });
}

/**
 * Destroys the response once its client has accepted no data for `timeoutMs`
 * (`QUERY_STREAM_TIMEOUT_MS`), which aborts the query and frees its slot. Only time spent with a
 * full write buffer counts, so a query that is slow to produce rows is not cut off.
 */
function endStalledResponse(reply: FastifyReply, timeoutMs: number): void {
  if (timeoutMs === 0) return;
  const response = reply.raw;
  let stalledSinceMs: number | null = null;

  const watchdog = setInterval(() => {
    if (!response.writableNeedDrain) {
      stalledSinceMs = null;
      return;
    }
    stalledSinceMs ??= Date.now();
    if (Date.now() - stalledSinceMs < timeoutMs) return;
    reply.log.warn({ timeoutMs }, 'client accepted no data within QUERY_STREAM_TIMEOUT_MS; ending the query stream');
    clearInterval(watchdog);
    response.destroy();
  }, Math.max(10, Math.min(1_000, Math.floor(timeoutMs / 4))));
  watchdog.unref();
  response.on('close', () => clearInterval(watchdog));
}

/** Picks the format from `Accept` when neither the body nor the query names one. */
export function formatFromAccept(accept: string | undefined): QueryFormat {
  if (!accept) return 'json';
  const types = accept.split(',').map((part) => part.split(';')[0]!.trim().toLowerCase());
  for (const type of types) {
    if (type === 'application/x-ndjson' || type === 'application/ndjson') return 'ndjson';
    if (type === 'text/csv') return 'csv';
    if (type === 'application/json') return 'json';
  }
  return 'json';
}

/** Returns the client's value when it is lower than the server limit, else the server limit. */
function lowerLimit(serverLimit: number, requested: number | undefined): number {
  return requested === undefined ? serverLimit : Math.min(serverLimit, requested);
}

/** `QUERY_TIMEOUT_MS=0` disables the server timeout, so the client's value then applies alone. */
function effectiveTimeoutMs(config: Config, requested: number | undefined): number {
  const serverTimeoutMs = config.query.timeoutMs;
  if (requested === undefined) return serverTimeoutMs;
  return serverTimeoutMs === 0 ? requested : Math.min(serverTimeoutMs, requested);
}
