import type { DuckDBType, DuckDBValue } from '@duckdb/node-api';
import { ValueConversionError } from './value-conversion-error.js';

/** Returned by a codec for a zero or partial date, which is stored as NULL and counted. */
export const NULLED = Symbol('nulled');

/** Sort order of a key column of this type in DuckDB compared with the source. */
export type KeyOrder = 'same' | 'different' | 'same-under-bin-collation';

/**
 * Storage and conversion of one source type. `toParameter` receives a non-null value as the
 * source reader returns it and returns the value a vector or parameter of `type` accepts, or
 * `NULLED`. It throws `ValueConversionError` on a value it cannot store exactly.
 */
export interface Codec {
  ddl: string;
  type: DuckDBType;
  keyOrder: KeyOrder;
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
