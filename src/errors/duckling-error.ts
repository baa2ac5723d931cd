import { ERROR_CODES, type ErrorCode } from './codes.js';

export type ErrorParams = Record<string, string | number | bigint | boolean | null | undefined>;

/**
 * An error with a stable catalogue code. `params` fill the message template; `extra` fields are
 * added to the response body (for example `details` of a validation failure).
 */
export class DucklingError extends Error {
  readonly code: ErrorCode;
  readonly statusCode: number;
  readonly extra: Record<string, unknown>;
  readonly headers: Record<string, string>;

  constructor(
    code: ErrorCode,
    params: ErrorParams = {},
    options: { cause?: unknown; extra?: Record<string, unknown>; headers?: Record<string, string> } = {},
  ) {
    super(renderTemplate(ERROR_CODES[code].template, params), { cause: options.cause });
    this.name = 'DucklingError';
    this.code = code;
    this.statusCode = ERROR_CODES[code].status;
    this.extra = options.extra ?? {};
    this.headers = options.headers ?? {};
  }
}

export function isDucklingError(error: unknown): error is DucklingError {
  return error instanceof DucklingError;
}

function renderTemplate(template: string, params: ErrorParams): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => {
    if (!(name in params)) return whole;
    const value = params[name];
    return value === null || value === undefined ? '' : String(value);
  });
}

/** Returns the message of any thrown value, for wrapping and logging. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
