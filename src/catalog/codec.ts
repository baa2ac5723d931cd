import type { DuckDBAppender, DuckDBType, DuckDBValue } from '@duckdb/node-api';
import { ValueConversionError } from './value-conversion-error.js';

/** Returned by a codec for a zero or partial date, which is stored as NULL and counted. */
export const NULLED = Symbol('nulled');

/** Sort order of a key column of this type in DuckDB compared with the source. */
export type KeyOrder = 'same' | 'different' | 'same-under-bin-collation';

/**
 * Storage and conversion of one source type. `append` and `toParameter` receive non-null values
 * as the source reader returns them and throw `ValueConversionError` on a value they cannot
 * store exactly.
 */
export interface Codec {
  ddl: string;
  type: DuckDBType;
  keyOrder: KeyOrder;
  append(appender: DuckDBAppender, value: unknown, column: string): typeof NULLED | void;
  toParameter(value: unknown, column: string): DuckDBValue | typeof NULLED;
}

export function expectString(value: unknown, column: string, what: string): string {
  if (typeof value === 'string') return value;
  throw new ValueConversionError(column, value, `expected ${what} as text, got ${describeType(value)}`);
}

export function expectNumber(value: unknown, column: string): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  throw new ValueConversionError(column, value, `expected a number, got ${describeType(value)}`);
}

export function expectBuffer(value: unknown, column: string): Buffer {
  if (Buffer.isBuffer(value)) return value;
  throw new ValueConversionError(column, value, `expected binary data, got ${describeType(value)}`);
}

function describeType(value: unknown): string {
  if (Buffer.isBuffer(value)) return 'binary data';
  if (value instanceof Date) return 'a Date object (the source connection must use dateStrings)';
  return typeof value;
}
