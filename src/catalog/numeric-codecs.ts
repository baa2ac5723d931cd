import {
  BIGINT,
  BOOLEAN,
  DECIMAL,
  DOUBLE,
  DuckDBDecimalValue,
  FLOAT,
  INTEGER,
  SMALLINT,
  TINYINT,
  UBIGINT,
  UINTEGER,
  USMALLINT,
  UTINYINT,
  VARCHAR,
  type DuckDBType,
} from '@duckdb/node-api';
import { expectBuffer, expectNumber, expectString, type Codec } from './codec.js';
import { ValueConversionError } from './value-conversion-error.js';

type SmallIntegerWidth = 'tinyint' | 'smallint' | 'int';

interface SmallIntegerSpec {
  ddl: string;
  type: DuckDBType;
  min: number;
  max: number;
}

const SMALL_INTEGERS: Record<`${SmallIntegerWidth}:${'signed' | 'unsigned'}`, SmallIntegerSpec> = {
  'tinyint:signed': { ddl: 'TINYINT', type: TINYINT, min: -128, max: 127 },
  'tinyint:unsigned': { ddl: 'UTINYINT', type: UTINYINT, min: 0, max: 255 },
  'smallint:signed': { ddl: 'SMALLINT', type: SMALLINT, min: -32768, max: 32767 },
  'smallint:unsigned': { ddl: 'USMALLINT', type: USMALLINT, min: 0, max: 65535 },
  'int:signed': { ddl: 'INTEGER', type: INTEGER, min: -2147483648, max: 2147483647 },
  'int:unsigned': { ddl: 'UINTEGER', type: UINTEGER, min: 0, max: 4294967295 },
};

/** TINYINT … INT, signed or unsigned (MEDIUMINT uses the INT width). */
export function smallIntegerCodec(width: SmallIntegerWidth, unsigned: boolean): Codec {
  const spec = SMALL_INTEGERS[`${width}:${unsigned ? 'unsigned' : 'signed'}`];
  const check = (value: unknown, column: string): number => {
    const number = expectNumber(value, column);
    if (!Number.isInteger(number) || number < spec.min || number > spec.max) {
      throw new ValueConversionError(column, value, `not an integer in the ${spec.ddl} range ${spec.min}..${spec.max}`);
    }
    return number;
  };
  return {
    ddl: spec.ddl,
    type: spec.type,
    keyOrder: 'same',
    toParameter: (value, column) => check(value, column),
  };
}

const SIGNED_DIGITS = /^-?[0-9]+$/;
const UNSIGNED_DIGITS = /^[0-9]+$/;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/**
 * BIGINT arrives as a digit string (bigNumberStrings). `toParameter` parses it into a bigint,
 * through a double when it has at most 15 digits.
 */
export function bigIntegerCodec(unsigned: boolean): Codec {
  const pattern = unsigned ? UNSIGNED_DIGITS : SIGNED_DIGITS;
  const [min, max] = unsigned ? [0n, UINT64_MAX] : [INT64_MIN, INT64_MAX];
  const ddl = unsigned ? 'UBIGINT' : 'BIGINT';
  const text = (value: unknown, column: string): string => {
    const digits = typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : expectString(value, column, ddl);
    if (!pattern.test(digits)) throw new ValueConversionError(column, value, `not a ${ddl} integer`);
    return digits;
  };
  return {
    ddl,
    type: unsigned ? UBIGINT : BIGINT,
    keyOrder: 'same',
    toParameter: (value, column) => {
      const small = typeof value === 'string' ? parseSmallInteger(value, unsigned) : null;
      if (small !== null) return BigInt(small);
      const parsed = BigInt(text(value, column));
      if (parsed < min || parsed > max) throw new ValueConversionError(column, value, `outside the ${ddl} range`);
      return parsed;
    },
  };
}

const MINUS = 45;
const DOT = 46;
const ZERO = 48;
/** Digits that always fit a double exactly: 10^15 − 1 < 2^53. */
const SAFE_DIGITS = 15;

/**
 * Parses `-?[0-9]+` of at most 15 digits without building a string or a bigint. Returns null for
 * anything else (a sign on an unsigned column too), so the caller takes the exact path.
 */
function parseSmallInteger(text: string, unsigned: boolean): number | null {
  const negative = text.charCodeAt(0) === MINUS;
  if (negative && unsigned) return null;
  const start = negative ? 1 : 0;
  if (text.length === start || text.length - start > SAFE_DIGITS) return null;
  let result = 0;
  for (let index = start; index < text.length; index += 1) {
    const digit = text.charCodeAt(index) - ZERO;
    if (!(digit >= 0 && digit <= 9)) return null;
    result = result * 10 + digit;
  }
  return negative ? -result : result;
}

/**
 * Parses `-?[0-9]+\.[0-9]{scale}` (`-?[0-9]+` when the scale is 0) of at most 15 digits into the
 * scaled integer. Returns null for anything else, so the caller takes the exact path.
 */
function parseSmallDecimal(text: string, scale: number): number | null {
  const negative = text.charCodeAt(0) === MINUS;
  const start = negative ? 1 : 0;
  const dot = scale === 0 ? text.length : text.length - scale - 1;
  if (dot <= start || text.length - start - (scale === 0 ? 0 : 1) > SAFE_DIGITS) return null;
  if (scale > 0 && text.charCodeAt(dot) !== DOT) return null;
  let result = 0;
  for (let index = start; index < text.length; index += 1) {
    if (index === dot) continue;
    const digit = text.charCodeAt(index) - ZERO;
    if (!(digit >= 0 && digit <= 9)) return null;
    result = result * 10 + digit;
  }
  return negative ? -result : result;
}

/**
 * DECIMAL(p,s). Up to 38 digits it is a DuckDB DECIMAL, and `toParameter` builds the scaled
 * integer itself. Wider values are kept as VARCHAR holding the source text with exactly s decimals.
 */
export function decimalCodec(precision: number, scale: number): Codec {
  const pattern = scale === 0 ? /^-?[0-9]+$/ : new RegExp(`^-?[0-9]+\\.[0-9]{${scale}}$`);
  const text = (value: unknown, column: string): string => {
    const decimal = expectString(value, column, `DECIMAL(${precision},${scale})`);
    if (!pattern.test(decimal)) {
      throw new ValueConversionError(column, value, `expected a decimal with exactly ${scale} fraction digits`);
    }
    return decimal;
  };

  if (precision > 38) {
    return {
      ddl: 'VARCHAR',
      type: VARCHAR,
      keyOrder: 'different',
      toParameter: (value, column) => text(value, column),
    };
  }
  return {
    ddl: `DECIMAL(${precision},${scale})`,
    type: DECIMAL(precision, scale),
    keyOrder: 'same',
    toParameter: (value, column) => {
      const small = typeof value === 'string' ? parseSmallDecimal(value, scale) : null;
      if (small !== null) return new DuckDBDecimalValue(BigInt(small), precision, scale);
      return new DuckDBDecimalValue(BigInt(text(value, column).replace('.', '')), precision, scale);
    },
  };
}

/**
 * FLOAT. The reader selects FLOAT columns widened to DOUBLE because MariaDB prints FLOAT with
 * only 6 significant digits. The widened double converts back to the stored float exactly.
 */
export function floatCodec(): Codec {
  const check = (value: unknown, column: string): number => {
    const number = expectNumber(value, column);
    if (Math.fround(number) !== number) {
      throw new ValueConversionError(column, value, 'not exactly representable as a 32-bit FLOAT');
    }
    return number;
  };
  return {
    ddl: 'FLOAT',
    type: FLOAT,
    keyOrder: 'same',
    toParameter: (value, column) => check(value, column),
  };
}

export function doubleCodec(): Codec {
  return {
    ddl: 'DOUBLE',
    type: DOUBLE,
    keyOrder: 'same',
    toParameter: (value, column) => expectNumber(value, column),
  };
}

/** BIT(1) is BOOLEAN; BIT(2..64) is UBIGINT holding the big-endian bits. */
export function bitCodec(bits: number): Codec {
  if (bits === 1) {
    const bool = (value: unknown, column: string): boolean => expectBuffer(value, column).some((byte) => byte !== 0);
    return {
      ddl: 'BOOLEAN',
      type: BOOLEAN,
      keyOrder: 'same',
      toParameter: (value, column) => bool(value, column),
    };
  }
  const unsigned = (value: unknown, column: string): bigint => {
    const bytes = expectBuffer(value, column);
    if (bytes.length > 8) throw new ValueConversionError(column, value, 'BIT value longer than 64 bits');
    let result = 0n;
    for (const byte of bytes) result = (result << 8n) | BigInt(byte);
    return result;
  };
  return {
    ddl: 'UBIGINT',
    type: UBIGINT,
    keyOrder: 'same',
    toParameter: (value, column) => unsigned(value, column),
  };
}

/** YEAR arrives as a number, 0 for the zero year. */
export function yearCodec(): Codec {
  const check = (value: unknown, column: string): number => {
    const year = expectNumber(value, column);
    if (!Number.isInteger(year) || year < 0 || year > 2155) throw new ValueConversionError(column, value, 'not a YEAR');
    return year;
  };
  return {
    ddl: 'SMALLINT',
    type: SMALLINT,
    keyOrder: 'same',
    toParameter: (value, column) => check(value, column),
  };
}
