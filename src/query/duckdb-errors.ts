/**
 * Maps errors raised by DuckDB to catalogue errors. DuckDB prefixes every message with its error
 * type (`Permission Error: …`, `Binder Error: …`), which is the only structured part that
 * @duckdb/node-api 1.5 passes on, so the type is read from that prefix.
 */
import { DucklingError, errorMessage } from '../errors/index.js';

/** DuckDB error types that come from the server side rather than from the statement. */
const SERVER_ERROR_TYPES = ['Out of Memory Error', 'IO Error', 'INTERNAL Error', 'FATAL Error', 'Connection Error'];

/** DuckDB messages start with their error type, e.g. `Binder Error: `. */
const DUCKDB_ERROR_PREFIX = /^[A-Za-z ]+ Error: /;

/** True for the error DuckDB raises after `connection.interrupt()`. */
export function isInterruptError(error: unknown): boolean {
  return errorMessage(error).startsWith('INTERRUPT Error');
}

/**
 * Converts an error from preparing or running a user statement: a permission error (file access,
 * extension install) is 403 `DUCKLING_QUERY_READ_ONLY`, a server-side failure 500, and anything
 * else (parse, bind, conversion, catalog) 400 `DUCKLING_QUERY_INVALID` with DuckDB's message.
 */
export function toQueryError(error: unknown): DucklingError {
  if (error instanceof DucklingError) return error;
  const message = errorMessage(error);
  if (message.startsWith('Permission Error')) {
    // DuckDB appends the statement with a caret under the failing call; the first line carries the whole reason.
    const firstLine = message.split('\n', 1)[0]!.trim();
    return new DucklingError('DUCKLING_QUERY_READ_ONLY', { reason: firstLine }, { cause: error });
  }
  if (SERVER_ERROR_TYPES.some((type) => message.startsWith(type))) {
    return new DucklingError('DUCKLING_INTERNAL', { detail: `DuckDB failed: ${message}` }, { cause: error });
  }
  if (!DUCKDB_ERROR_PREFIX.test(message)) {
    return new DucklingError('DUCKLING_INTERNAL', { detail: `query execution failed: ${message}` }, { cause: error });
  }
  return new DucklingError('DUCKLING_QUERY_INVALID', { detail: message }, { cause: error });
}
