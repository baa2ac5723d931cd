import { Command, InvalidArgumentError, Option } from 'commander';
import type { EncodedValue, QueryFormat, QueryResponseBody } from '../../client/index.js';
import { createContext } from '../context.js';
import { CliError } from '../errors.js';
import { formatCount, type Alignment, type Output } from '../output.js';

type OutputFormat = 'table' | QueryFormat;

interface QueryOptions {
  format?: OutputFormat;
  maxRows?: number;
}

/** Column types whose values are right-aligned in the text table. */
const NUMERIC_TYPE = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|DECIMAL)/i;

/** `duckling query "<sql>"`: runs one read-only statement on the replica through the server. */
export function queryCommand(): Command {
  return new Command('query')
    .description('Run one read-only SQL statement on the replica and print the result')
    .argument('<sql>', 'one SQL statement, quoted for the shell')
    .addOption(
      new Option('--format <format>', 'table prints an aligned table; json, ndjson and csv print the server body as is (default: table, json with --json)')
        .choices(['table', 'json', 'ndjson', 'csv']),
    )
    .option('--max-rows <n>', 'row cap, at most the server\'s QUERY_MAX_ROWS', parseMaxRows)
    .action(async function (this: Command, sql: string) {
      const context = createContext(this);
      const options = this.opts<QueryOptions>();
      const format: OutputFormat = options.format ?? (context.output.json ? 'json' : 'table');
      if (sql.trim() === '') throw new CliError('The SQL statement is empty; pass one statement, e.g. duckling query "SELECT 1"');

      const client = context.client();
      const request = { sql, ...(options.maxRows === undefined ? {} : { maxRows: options.maxRows }) };
      if (format === 'table') {
        printResultTable(context.output, await client.query(request));
        return;
      }
      const response = await client.queryRaw(request, format);
      await copyBody(response, format, context.output);
    });
}

function parseMaxRows(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1) throw new InvalidArgumentError('expected a whole number of rows of at least 1.');
  return Number(text);
}

/** Prints the rows as an aligned table, then the row count and server time. */
export function printResultTable(output: Output, result: QueryResponseBody): void {
  const headers = result.columns.map((column) => column.name);
  const align: Alignment[] = result.columns.map((column) => (NUMERIC_TYPE.test(column.type) ? 'right' : 'left'));
  const rows = result.rows.map((row) =>
    result.columns.map((column, index) => formatCell(Array.isArray(row) ? row[index] : row[column.name])),
  );
  output.table(headers, rows, align);

  const noun = result.rowCount === 1 ? 'row' : 'rows';
  let footer = `${formatCount(result.rowCount)} ${noun} in ${result.durationMs} ms`;
  if (result.truncated) footer += ` (truncated: more rows exist; add LIMIT, or raise --max-rows up to the server's QUERY_MAX_ROWS)`;
  output.line(output.dim(footer));
}

function formatCell(value: EncodedValue | undefined): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'string') return escapeControlCharacters(value);
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/**
 * Copies the response body to standard output unchanged. An NDJSON stream that failed after it
 * started ends with an error line; that becomes exit code 1.
 */
async function copyBody(response: Response, format: OutputFormat, output: Output): Promise<void> {
  if (!response.body) return;
  const decoder = new TextDecoder();
  let tail = '';
  for await (const chunk of response.body) {
    if (!output.stdout.write(chunk)) await new Promise<void>((resolve) => output.stdout.once('drain', resolve));
    tail = (tail + decoder.decode(chunk, { stream: true })).slice(-4096);
  }
  // A JSON body has no final newline; end the line so the shell prompt starts on its own.
  if (tail !== '' && !tail.endsWith('\n')) output.stdout.write('\n');
  if (format !== 'ndjson') return;

  const lastLine = tail.trimEnd().split('\n').pop() ?? '';
  let parsed: unknown;
  try {
    parsed = JSON.parse(lastLine);
  } catch {
    return;
  }
  if (parsed && typeof parsed === 'object' && (parsed as { type?: unknown }).type === 'error') {
    const { code, message } = parsed as { code?: string; message?: string };
    throw new CliError(`Query failed after the stream started: ${message ?? 'unknown error'}${code ? ` (${code})` : ''}`);
  }
}

/**
 * Shows control characters of data as escapes, so a value cannot move the cursor or recolor the
 * terminal. Newline, tab and carriage return are left for the table layout to escape.
 */
function escapeControlCharacters(text: string): string {
  return text.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, (char) => `\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
