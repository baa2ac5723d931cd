/**
 * Errors the client throws. The server's coded errors become `DucklingClientError`; a request that
 * never reached the server becomes `DucklingConnectionError`, so callers can tell "the server said
 * no" from "there is no server".
 */

/** A response with a non-2xx status, carrying the server's stable error code. */
export class DucklingClientError extends Error {
  readonly statusCode: number;
  readonly code: string;
  readonly requestId: string | null;
  /** The parsed error body, including extra fields such as `details`. */
  readonly body: Record<string, unknown>;

  constructor(statusCode: number, code: string, message: string, options: { requestId?: string | null; body?: Record<string, unknown> } = {}) {
    super(message);
    this.name = 'DucklingClientError';
    this.statusCode = statusCode;
    this.code = code;
    this.requestId = options.requestId ?? null;
    this.body = options.body ?? {};
  }
}

/** Network error codes that mean no server is listening at the address, or the address is wrong. */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'ETIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** A request that failed below HTTP: refused connection, unknown host, reset socket or timeout. */
export class DucklingConnectionError extends Error {
  readonly url: string;
  /** Network error code such as `ECONNREFUSED`, or `TIMEOUT`; null when unknown. */
  readonly networkCode: string | null;
  /** True when the failure means no server listens at the URL, as opposed to a dropped connection. */
  readonly unreachable: boolean;

  /** Network error code, else the innermost error message (e.g. fetch's `bad port`). */
  readonly reason: string;

  constructor(url: string, networkCode: string | null, options: { cause?: unknown } = {}) {
    const reason = networkCode ?? innermostMessage(options.cause) ?? 'network error';
    super(`Request to ${url} failed: ${reason}`, { cause: options.cause });
    this.reason = reason;
    this.name = 'DucklingConnectionError';
    this.url = url;
    this.networkCode = networkCode;
    this.unreachable = networkCode !== null && UNREACHABLE_CODES.has(networkCode);
  }
}

/**
 * Finds the network error code in what `fetch` threw. Node's fetch (undici) throws
 * `TypeError('fetch failed')` with the socket error as `cause`, sometimes nested in an AggregateError.
 */
export function networkErrorCode(error: unknown): string | null {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current; depth += 1) {
    if (typeof current === 'object' && current !== null) {
      const code = (current as { code?: unknown }).code;
      if (typeof code === 'string') return code;
      const nested = (current as { errors?: unknown[] }).errors;
      if (Array.isArray(nested) && nested.length > 0) {
        const inner = networkErrorCode(nested[0]);
        if (inner) return inner;
      }
      current = (current as { cause?: unknown }).cause;
    } else {
      break;
    }
  }
  return null;
}

function innermostMessage(error: unknown): string | null {
  let message: string | null = null;
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth += 1) {
    message = current.message;
    current = current.cause;
  }
  return message;
}
