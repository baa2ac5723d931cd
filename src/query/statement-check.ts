/**
 * Read-only statement check with DuckDB's own parser: the SQL must contain exactly one statement, its
 * prepared type must be SELECT (which also covers DESCRIBE, SHOW and SUMMARIZE) or EXPLAIN of such
 * a statement, and its syntax tree must call no table function with side effects.
 */
import { StatementType, type DuckDBConnection, type DuckDBPreparedStatement } from '@duckdb/node-api';
import { DucklingError, errorMessage } from '../errors/index.js';
import { toQueryError } from './duckdb-errors.js';
import { explainTarget } from './explain-target.js';
import { findSyntaxTreeViolation, type VerdictCache } from './syntax-tree.js';

/** EXPLAIN EXPLAIN … is accepted up to this depth. */
const MAX_EXPLAIN_DEPTH = 3;

/**
 * Parses and prepares `sql` on `connection` and returns the prepared statement when it is
 * read-only; the caller binds, runs and destroys it.
 *
 * Throws 400 `DUCKLING_QUERY_INVALID` for no statement, several statements and parse or bind
 * errors, and 403 `DUCKLING_QUERY_READ_ONLY` for every other statement type and for DuckDB
 * permission errors (file access, extension install) raised while binding.
 */
export async function prepareReadOnlyStatement(
  connection: DuckDBConnection,
  sql: string,
  verdicts?: VerdictCache,
): Promise<DuckDBPreparedStatement> {
  const prepared = await prepareSingleStatement(connection, sql);
  let violation: string | null;
  try {
    violation = await findReadOnlyViolation(connection, sql, prepared.statementType, 0, verdicts);
  } catch (error) {
    prepared.destroySync();
    throw error;
  }
  if (violation !== null) {
    prepared.destroySync();
    throw readOnlyError(violation);
  }
  return prepared;
}

async function prepareSingleStatement(connection: DuckDBConnection, sql: string): Promise<DuckDBPreparedStatement> {
  if (sql.trim() === '') throw noStatementError();

  let count: number;
  let extracted: Awaited<ReturnType<DuckDBConnection['extractStatements']>>;
  try {
    extracted = await connection.extractStatements(sql);
    count = extracted.count;
  } catch (error) {
    // @duckdb/node-api 1.5 raises a bare "Error in native callback" when the SQL contains only comments.
    const message = errorMessage(error);
    if (message.includes('Failed to extract statements')) throw toQueryError(new Error(stripExtractPrefix(message)));
    throw noStatementError();
  }
  if (count === 0) throw noStatementError();
  if (count > 1) {
    throw new DucklingError('DUCKLING_QUERY_INVALID', {
      detail: `the SQL contains ${count} statements; send one statement per request`,
    });
  }

  try {
    return await extracted.prepare(0);
  } catch (error) {
    throw toQueryError(error);
  }
}

/** Returns why the statement is not read-only, or null when it is. */
async function findReadOnlyViolation(
  connection: DuckDBConnection,
  sql: string,
  type: StatementType,
  depth: number,
  verdicts?: VerdictCache,
): Promise<string | null> {
  if (type === StatementType.SELECT) return findSyntaxTreeViolation(connection, sql, verdicts);
  if (type !== StatementType.EXPLAIN) return `${statementTypeName(type)} statements are not allowed`;
  if (depth >= MAX_EXPLAIN_DEPTH) return 'EXPLAIN nested this deep is not allowed';

  const target = explainTarget(sql);
  if (target === null) {
    return 'the statement after EXPLAIN could not be isolated; remove comments and options between EXPLAIN and it';
  }
  let inner: DuckDBPreparedStatement;
  try {
    inner = await prepareSingleStatement(connection, target);
  } catch (error) {
    return `EXPLAIN of a statement that does not prepare (${errorMessage(error)})`;
  }
  try {
    const innerViolation = await findReadOnlyViolation(connection, target, inner.statementType, depth + 1, verdicts);
    return innerViolation === null ? null : `EXPLAIN of ${innerViolation}`;
  } finally {
    inner.destroySync();
  }
}

/** Returns DuckDB's name of a statement type with spaces (`VARIABLE_SET` → `VARIABLE SET`). */
export function statementTypeName(type: StatementType): string {
  // DuckDB parses INSTALL and LOAD into one statement type named LOAD.
  if (type === StatementType.LOAD) return 'INSTALL and LOAD';
  const name = (StatementType as unknown as Record<number, string | undefined>)[type];
  return name ? name.replace(/_/g, ' ') : `statement type ${type}`;
}

function readOnlyError(reason: string): DucklingError {
  return new DucklingError('DUCKLING_QUERY_READ_ONLY', { reason });
}

function noStatementError(): DucklingError {
  return new DucklingError('DUCKLING_QUERY_INVALID', { detail: 'the SQL contains no statement; send one SELECT statement' });
}

function stripExtractPrefix(message: string): string {
  const prefix = 'Failed to extract statements: ';
  return message.startsWith(prefix) ? message.slice(prefix.length) : message;
}
