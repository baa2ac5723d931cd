import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fastifyPlugin from 'fastify-plugin';
import { DucklingError, isDucklingError } from '../../errors/index.js';
import { redactText } from '../../logging/index.js';
import type { ErrorBody } from '../../api-types/index.js';

export interface ErrorHandlerOptions {
  /** Hide the text of unexpected errors in 500 bodies (`NODE_ENV=production`). */
  hideInternalErrors: boolean;
  bodyLimitBytes: number;
  /** Called with the original error of every 5xx response, to report it to Sentry; never for 4xx. */
  reportServerError?: (error: Error, request: FastifyRequest) => void;
}

/**
 * The only place that turns an error into a response: every failure becomes a catalogue error
 * with the body `{success:false, statusCode, code, error, message, requestId, ...extra}`. 5xx are
 * logged at error with the stack, 4xx at info without it.
 */
export const errorHandlerPlugin = fastifyPlugin(
  async (app: FastifyInstance, options: ErrorHandlerOptions) => {
    app.setErrorHandler(async (error: FastifyError, request, reply) => {
      const ducklingError = toDucklingError(error, options);
      logFailure(request, ducklingError, error);
      if (ducklingError.statusCode >= 500) options.reportServerError?.(error, request);
      return sendError(request, reply, ducklingError, options);
    });

    app.setNotFoundHandler(async (request, reply) => {
      const error = new DucklingError('DUCKLING_NOT_FOUND', { method: request.method, url: request.url.split('?')[0] });
      logFailure(request, error, error);
      return sendError(request, reply, error, options);
    });
  },
  { name: 'duckling-error-handler' },
);

/** Builds the error body; also used by streaming routes that must report an error themselves. */
export function errorBody(error: DucklingError, requestId: string, hideInternalErrors: boolean): ErrorBody {
  // Messages can quote a driver error, which may hold a connection string with its password.
  const message =
    hideInternalErrors && error.code === 'DUCKLING_INTERNAL'
      ? `Internal error; the server log has the details under request id ${requestId}`
      : redactText(error.message);
  return {
    success: false,
    statusCode: error.statusCode,
    code: error.code,
    error: STATUS_CODES[error.statusCode] ?? 'Error',
    message,
    requestId,
    ...error.extra,
  };
}

function sendError(request: FastifyRequest, reply: FastifyReply, error: DucklingError, options: ErrorHandlerOptions): ErrorBody {
  for (const [name, value] of Object.entries(error.headers)) reply.header(name, value);
  reply.code(error.statusCode).type('application/json; charset=utf-8');
  return errorBody(error, request.id, options.hideInternalErrors);
}

function toDucklingError(error: FastifyError, options: ErrorHandlerOptions): DucklingError {
  if (isDucklingError(error)) return error;

  if (error.validation) return validationFailed(schemaIssues(error), error);

  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new DucklingError('DUCKLING_PAYLOAD_TOO_LARGE', { limitBytes: options.bodyLimitBytes }, { cause: error });
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return validationFailure('body', `is not valid JSON (${error.message}); send a JSON object`, error);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return validationFailure('body', 'has an unsupported Content-Type; send JSON with Content-Type: application/json', error);
  }

  // Fastify's JSON parser reports a syntax error as a plain SyntaxError with status 400.
  if (error instanceof SyntaxError && error.statusCode === 400) {
    return validationFailure('body', `is not valid JSON (${error.message}); send a JSON object`, error);
  }
  if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
    if (error.statusCode === 413) {
      return new DucklingError('DUCKLING_PAYLOAD_TOO_LARGE', { limitBytes: options.bodyLimitBytes }, { cause: error });
    }
    return validationFailure('request', error.message, error);
  }
  return new DucklingError('DUCKLING_INTERNAL', { detail: error.message }, { cause: error });
}

/** Lists the schema validation issues of a Fastify error, each with the field as the client wrote it. */
export function schemaIssues(error: FastifyError): Array<{ field: string; message: string }> {
  return (error.validation ?? []).map((issue) => ({
    field: validationField(error.validationContext, issue.instancePath, issue.params),
    message: validationMessage(issue),
  }));
}

/** Builds the 400 DUCKLING_VALIDATION_FAILED error that lists every issue in `details`. */
export function validationFailed(details: Array<{ field: string; message: string }>, cause?: Error): DucklingError {
  const detail = details.map((item) => `${item.field} ${item.message}`).join('; ');
  return new DucklingError('DUCKLING_VALIDATION_FAILED', { detail }, { ...(cause ? { cause } : {}), extra: { details } });
}

function validationFailure(field: string, message: string, cause: Error): DucklingError {
  return new DucklingError('DUCKLING_VALIDATION_FAILED', { detail: `${field} ${message}` }, { cause, extra: { details: [{ field, message }] } });
}

/** Names the failing field the way a client wrote it: `body.maxRows`, `querystring.limit`. */
function validationField(context: string | undefined, instancePath: string, params: unknown): string {
  const parts = [context ?? 'request'];
  const pathParts = instancePath.split('/').filter((part) => part !== '');
  parts.push(...pathParts);
  const record = (params ?? {}) as Record<string, unknown>;
  if (typeof record.missingProperty === 'string') parts.push(record.missingProperty);
  if (typeof record.additionalProperty === 'string') parts.push(record.additionalProperty);
  return parts.join('.');
}

function logFailure(request: FastifyRequest, error: DucklingError, original: Error): void {
  if (error.statusCode >= 500) {
    request.log.error({ err: original, code: error.code, statusCode: error.statusCode }, 'request failed');
  } else {
    request.log.info({ code: error.code, statusCode: error.statusCode, detail: error.message }, 'request rejected');
  }
}

/** Ajv's message, with the allowed values spelled out where Ajv's own message reads only "one of the allowed values". */
function validationMessage(issue: { keyword: string; message?: string; params: Record<string, unknown> }): string {
  const allowed = issue.params.allowedValues;
  if (issue.keyword === 'enum' && Array.isArray(allowed)) return `must be one of: ${allowed.join(', ')}`;
  return issue.message ?? 'is invalid';
}
