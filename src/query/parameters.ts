/**
 * Binding of JSON query parameters: an array binds to `?` or `$1…$n`, an object to `$name`.
 * JSON integers bind as BIGINT, other numbers as DOUBLE, strings as VARCHAR, booleans as BOOLEAN
 * and null as NULL; arrays and objects are rejected.
 */
import type { DuckDBPreparedStatement } from '@duckdb/node-api';
import { DucklingError, errorMessage } from '../errors/index.js';
import type { QueryParams } from './types.js';

type ScalarParameter = null | boolean | number | bigint | string;

/** Throws 400 `DUCKLING_QUERY_INVALID` naming the first parameter that is not a scalar. */
export function validateParameters(params: QueryParams): void {
  if (params === undefined || params === null) return;
  if (typeof params !== 'object') {
    throw invalid(`params must be an array or an object, not ${typeof params}`);
  }
  for (const [label, value] of parameterEntries(params)) {
    if (!isScalar(value)) {
      throw invalid(`parameter ${label} is ${describeValue(value)}; send a string, number, boolean or null`);
    }
  }
}

/** Binds validated parameters; a parameter without a placeholder gives 400. */
export function bindParameters(prepared: DuckDBPreparedStatement, params: QueryParams): void {
  if (params === undefined || params === null) return;

  if (Array.isArray(params)) {
    if (params.length > prepared.parameterCount) {
      throw invalid(`${params.length} parameters were sent but the statement has ${prepared.parameterCount} placeholders`);
    }
    params.forEach((value, index) => bindScalar(prepared, index + 1, value as ScalarParameter, String(index + 1)));
    return;
  }

  for (const [name, value] of Object.entries(params)) {
    const placeholder = name.startsWith('$') ? name.slice(1) : name;
    let index: number;
    try {
      index = prepared.parameterIndex(placeholder);
    } catch (error) {
      throw invalid(`parameter "${name}" has no placeholder $${placeholder} in the statement (${errorMessage(error)})`);
    }
    bindScalar(prepared, index, value as ScalarParameter, `"${name}"`);
  }
}

function bindScalar(prepared: DuckDBPreparedStatement, index: number, value: ScalarParameter, label: string): void {
  try {
    if (value === null) prepared.bindNull(index);
    else if (typeof value === 'boolean') prepared.bindBoolean(index, value);
    else if (typeof value === 'string') prepared.bindVarchar(index, value);
    else if (typeof value === 'bigint') prepared.bindBigInt(index, value);
    // JSON cannot tell 2 from 2.0; an integral number within ±(2^53 − 1) counts as an integer.
    else if (Number.isSafeInteger(value)) prepared.bindBigInt(index, BigInt(value));
    else prepared.bindDouble(index, value);
  } catch (error) {
    throw invalid(`parameter ${label} could not be bound: ${errorMessage(error)}`);
  }
}

function parameterEntries(params: unknown[] | Record<string, unknown>): Array<[string, unknown]> {
  if (Array.isArray(params)) return params.map((value, index) => [String(index + 1), value]);
  return Object.entries(params).map(([name, value]) => [`"${name}"`, value]);
}

function describeValue(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number') return `the non-finite number ${value}`;
  if (typeof value === 'object') return 'an object';
  return `of type ${typeof value}`;
}

function isScalar(value: unknown): value is ScalarParameter {
  if (value === null) return true;
  const kind = typeof value;
  if (kind === 'number') return Number.isFinite(value);
  return kind === 'string' || kind === 'boolean' || kind === 'bigint';
}

function invalid(detail: string): DucklingError {
  return new DucklingError('DUCKLING_QUERY_INVALID', { detail });
}
