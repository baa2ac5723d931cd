/**
 * Response formats of `POST /api/query`: the JSON body, NDJSON lines and CSV (RFC 4180) text.
 * Values are already encoded, so every format carries the same value text.
 */
import { csvField } from '../catalog/encode.js';
import { DucklingError, errorMessage } from '../errors/index.js';
import type { QueryStream } from './query-service.js';
import type { EncodedValue, QueryResult, ResultColumn } from './types.js';

export type RowFormat = 'object' | 'array';

export interface JsonQueryBody {
  columns: ResultColumn[];
  rows: Array<Record<string, EncodedValue>> | EncodedValue[][];
  rowCount: number;
  truncated: boolean;
  durationMs: number;
  db: string;
  database: 'duckdb';
}

/** Builds the JSON body; rows are objects by (deduplicated) column name unless `rowFormat` is `array`. */
export function buildJsonBody(result: QueryResult, options: { db: string; rowFormat?: RowFormat }): JsonQueryBody {
  const rows = options.rowFormat === 'array' ? result.rows : rowsAsObjects(result.columns, result.rows);
  // TODO(query): add `freshness` ({mode, asOf, lagSeconds}) once CDC records when a replica was last applied.
  return {
    columns: result.columns,
    rows,
    rowCount: result.rowCount,
    truncated: result.truncated,
    durationMs: result.durationMs,
    db: options.db,
    database: 'duckdb',
  };
}

/** Turns row arrays into objects keyed by column name. */
export function rowsAsObjects(columns: readonly ResultColumn[], rows: readonly EncodedValue[][]): Array<Record<string, EncodedValue>> {
  return rows.map((row) => {
    const object: Record<string, EncodedValue> = {};
    columns.forEach((column, index) => {
      object[column.name] = row[index] ?? null;
    });
    return object;
  });
}

/**
 * NDJSON lines, each ending in `\n`: `{"type":"meta","columns":[…]}`, one JSON array per row,
 * then `{"type":"end","rowCount","truncated","durationMs"}`. A failure after the meta line ends
 * the output with `{"type":"error","code","message"}` instead of throwing.
 */
export async function* ndjsonLines(stream: QueryStream): AsyncGenerator<string> {
  yield `${JSON.stringify({ type: 'meta', columns: stream.columns })}\n`;
  try {
    for await (const row of stream.rows) yield `${JSON.stringify(row)}\n`;
  } catch (error) {
    yield `${JSON.stringify({ type: 'error', ...errorFields(error) })}\n`;
    return;
  } finally {
    stream.close();
  }
  const summary = stream.summary();
  yield `${JSON.stringify({ type: 'end', rowCount: summary.rowCount, truncated: summary.truncated, durationMs: summary.durationMs })}\n`;
}

/**
 * CSV text: a header row of column names, then one record per row, CRLF line breaks. A failure
 * mid-stream throws, because CSV has no error record; the HTTP layer then aborts the response.
 */
export async function* csvLines(stream: QueryStream): AsyncGenerator<string> {
  try {
    yield csvRecord(stream.columns.map((column) => column.name));
    for await (const row of stream.rows) yield csvRecord(row);
  } finally {
    stream.close();
  }
}

function csvRecord(values: readonly EncodedValue[]): string {
  return `${values.map(csvField).join(',')}\r\n`;
}

function errorFields(error: unknown): { code: string; message: string } {
  if (error instanceof DucklingError) return { code: error.code, message: error.message };
  return { code: 'DUCKLING_INTERNAL', message: `Internal error: ${errorMessage(error)}` };
}
