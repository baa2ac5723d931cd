/**
 * Second read-only check for statements that prepare as SELECT: DuckDB 1.5 has table functions
 * with side effects that a SELECT can call (`SELECT * FROM force_checkpoint()` aborts running
 * transactions, `enable_peg_parser()` changes the pooled connection's parser), and `query()`
 * runs SQL held in a string where no check sees it. The statement is serialized with DuckDB's
 * own parser (`json_serialize_sql`) and its syntax tree searched for such calls.
 */
import type { DuckDBConnection } from '@duckdb/node-api';

/** Table functions a read-only query must not call, lowercase. */
const FORBIDDEN_TABLE_FUNCTIONS = new Set([
  'checkpoint',
  'force_checkpoint',
  'enable_peg_parser',
  'disable_peg_parser',
  'enable_logging',
  'disable_logging',
  'enable_profiling',
  'disable_profiling',
  'truncate_duckdb_logs',
  // These run SQL or scan memory given as an argument, out of reach of every check here.
  'query',
  'json_execute_serialized_sql',
  'arrow_scan',
  'arrow_scan_dumb',
]);

interface SerializedStatements {
  error: boolean;
  error_message?: string;
  statements?: unknown[];
}

/**
 * Returns why a SELECT-typed statement is not read-only, or null when it is. Statements that
 * DuckDB cannot serialize (PRAGMA forms that it rewrites into queries) are rejected, because their
 * syntax tree cannot be inspected.
 */
export async function findSyntaxTreeViolation(
  connection: DuckDBConnection,
  sql: string,
  verdicts?: VerdictCache,
): Promise<string | null> {
  const cached = verdicts?.get(sql);
  if (cached !== undefined) return cached;
  const verdict = await serializeAndInspect(connection, sql);
  verdicts?.set(sql, verdict);
  return verdict;
}

/**
 * Verdicts of `findSyntaxTreeViolation` by SQL text, most recently used last. The verdict depends
 * only on the text, and dashboards repeat the same statements, so a hit saves one parser round
 * trip (about 0.4 ms of a 1.3 ms `SELECT 1` on DuckDB 1.5).
 */
export class VerdictCache {
  private readonly entries = new Map<string, string | null>();

  constructor(private readonly maxEntries = 1000) {}

  get(sql: string): string | null | undefined {
    const verdict = this.entries.get(sql);
    if (verdict === undefined) return undefined;
    this.entries.delete(sql);
    this.entries.set(sql, verdict);
    return verdict;
  }

  set(sql: string, verdict: string | null): void {
    this.entries.delete(sql);
    this.entries.set(sql, verdict);
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
  }

  get size(): number {
    return this.entries.size;
  }
}

async function serializeAndInspect(connection: DuckDBConnection, sql: string): Promise<string | null> {
  const reader = await connection.runAndReadAll('SELECT json_serialize_sql($sql::VARCHAR) AS tree', { sql });
  const serialized = JSON.parse(String(reader.getRows()[0]?.[0])) as SerializedStatements;
  if (serialized.error) {
    return 'statements other than plain queries (such as PRAGMA) are not allowed';
  }

  const called = new Set<string>();
  collectTableFunctions(serialized.statements, called);
  const forbidden = [...called].filter((name) => FORBIDDEN_TABLE_FUNCTIONS.has(name));
  if (forbidden.length === 0) return null;
  return `the table function ${forbidden.join(', ')} is not allowed`;
}

/** Adds the lowercase name of every TABLE_FUNCTION node under `node` to `names`. */
function collectTableFunctions(node: unknown, names: Set<string>): void {
  if (Array.isArray(node)) {
    for (const child of node) collectTableFunctions(child, names);
    return;
  }
  if (node === null || typeof node !== 'object') return;

  const record = node as Record<string, unknown>;
  if (record.type === 'TABLE_FUNCTION') {
    const call = record.function as Record<string, unknown> | undefined;
    if (typeof call?.function_name === 'string') names.add(call.function_name.toLowerCase());
  }
  for (const value of Object.values(record)) collectTableFunctions(value, names);
}
