/**
 * The one value encoder behind JSON, NDJSON, WebSocket and CSV results, so a value reads the same
 * in every format and nothing is rounded. It works from DuckDB's raw values (integers, scaled
 * decimals, microseconds) and never from @duckdb/node-api's display or JSON helpers, because
 * @duckdb/node-api 1.5 renders TIMESTAMPTZ through them in the host's time zone.
 */
import {
  DuckDBTypeId,
  type DuckDBArrayType,
  type DuckDBDecimalType,
  type DuckDBListType,
  type DuckDBMapType,
  type DuckDBStructType,
  type DuckDBType,
  type DuckDBUnionType,
  type DuckDBValue,
} from '@duckdb/node-api';
import {
  formatDate,
  formatMicrosInterval,
  formatTime,
  formatTimeTz,
  formatTimestamp,
  formatTimestampTz,
} from './encode-temporal.js';

/** JSON value after encoding: 64-bit integers beyond 2^53 − 1 become digit strings, and so on. */
export type EncodedValue = null | boolean | number | string | EncodedValue[] | { [key: string]: EncodedValue };

/** Converts one non-NULL raw value of a fixed column type. */
export type ValueEncoder = (value: DuckDBValue) => EncodedValue;

const MAX_SAFE_BIGINT = BigInt(Number.MAX_SAFE_INTEGER);

/** Raw value shapes of @duckdb/node-api 1.5, read through narrow views instead of `any`. */
interface Micros { micros: bigint }
interface Nanos { nanos: bigint }
interface Bytes { bytes: Uint8Array }
interface Items { items: readonly DuckDBValue[] }

/** Encodes one value of `type`; NULL stays `null`. */
export function encodeValue(value: DuckDBValue, type: DuckDBType): EncodedValue {
  return createEncoder(type)(value);
}

/**
 * Builds the encoder of one column type once, so a result encodes each row without dispatching
 * on the type again. The returned function maps NULL to `null`.
 */
export function createEncoder(type: DuckDBType): ValueEncoder {
  const encodeNonNull = encoderForType(type);
  return (value) => (value === null || value === undefined ? null : encodeNonNull(value));
}

function encoderForType(type: DuckDBType): ValueEncoder {
  switch (type.typeId) {
    case DuckDBTypeId.BOOLEAN:
      return (value) => Boolean(value);
    case DuckDBTypeId.TINYINT:
    case DuckDBTypeId.SMALLINT:
    case DuckDBTypeId.INTEGER:
    case DuckDBTypeId.UTINYINT:
    case DuckDBTypeId.USMALLINT:
    case DuckDBTypeId.UINTEGER:
      return (value) => value as number;
    case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.UBIGINT:
    case DuckDBTypeId.HUGEINT:
    case DuckDBTypeId.UHUGEINT:
    case DuckDBTypeId.BIGNUM:
      return (value) => encodeBigInteger(value as bigint);
    case DuckDBTypeId.FLOAT:
      return (value) => encodeFloat(value as number);
    case DuckDBTypeId.DOUBLE:
      return (value) => encodeDouble(value as number);
    case DuckDBTypeId.DECIMAL:
      return decimalEncoder(type as DuckDBDecimalType);
    case DuckDBTypeId.BLOB:
    case DuckDBTypeId.GEOMETRY:
      return (value) => Buffer.from((value as unknown as Bytes).bytes).toString('base64');
    default:
      return temporalEncoder(type) ?? nestedEncoder(type) ?? ((value) => String(value));
  }
}

function temporalEncoder(type: DuckDBType): ValueEncoder | null {
  switch (type.typeId) {
    case DuckDBTypeId.DATE:
      return (value) => formatDate((value as unknown as { days: number }).days);
    case DuckDBTypeId.TIMESTAMP_S:
      return (value) => formatTimestamp((value as unknown as { seconds: bigint }).seconds, 'seconds');
    case DuckDBTypeId.TIMESTAMP_MS:
      return (value) => formatTimestamp((value as unknown as { millis: bigint }).millis, 'millis');
    case DuckDBTypeId.TIMESTAMP:
      return (value) => formatTimestamp((value as unknown as Micros).micros, 'micros');
    case DuckDBTypeId.TIMESTAMP_NS:
      return (value) => formatTimestamp((value as unknown as Nanos).nanos, 'nanos');
    case DuckDBTypeId.TIMESTAMP_TZ:
      return (value) => formatTimestampTz((value as unknown as Micros).micros);
    case DuckDBTypeId.TIME:
      return (value) => formatTime((value as unknown as Micros).micros, 'micros');
    case DuckDBTypeId.TIME_NS:
      return (value) => formatTime((value as unknown as Nanos).nanos, 'nanos');
    case DuckDBTypeId.TIME_TZ:
      return (value) => {
        const time = value as unknown as { micros: bigint; offset: number };
        return formatTimeTz(time.micros, time.offset);
      };
    case DuckDBTypeId.INTERVAL:
      return (value) => encodeInterval(value as unknown as { months: number; days: number; micros: bigint });
    default:
      return null;
  }
}

function nestedEncoder(type: DuckDBType): ValueEncoder | null {
  switch (type.typeId) {
    case DuckDBTypeId.LIST:
    case DuckDBTypeId.ARRAY: {
      const encodeItem = createEncoder((type as DuckDBListType | DuckDBArrayType).valueType);
      return (value) => (value as unknown as Items).items.map(encodeItem);
    }
    case DuckDBTypeId.STRUCT:
      return structEncoder(type as DuckDBStructType);
    case DuckDBTypeId.MAP:
      return mapEncoder(type as DuckDBMapType);
    case DuckDBTypeId.UNION:
      return unionEncoder(type as DuckDBUnionType);
    default:
      return null;
  }
}

/** BIGINT, UBIGINT, HUGEINT and UHUGEINT: a number within ±(2^53 − 1), else a digit string. */
function encodeBigInteger(value: bigint): number | string {
  if (value <= MAX_SAFE_BIGINT && value >= -MAX_SAFE_BIGINT) return Number(value);
  return value.toString();
}

function encodeDouble(value: number): number | string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return 'Infinity';
  if (value === -Infinity) return '-Infinity';
  return value;
}

/**
 * FLOAT arrives widened to a double, whose shortest form has up to 17 digits (3.4028234663852886e38).
 * The float's own shortest form has at most 9 significant digits: the first precision whose
 * decimal rounds back to the same float32 is it.
 */
function encodeFloat(value: number): number | string {
  if (!Number.isFinite(value) || value === 0) return encodeDouble(value);
  for (let precision = 1; precision <= 9; precision += 1) {
    const candidate = Number(value.toPrecision(precision));
    if (Math.fround(candidate) === value) return candidate;
  }
  return value;
}

function decimalEncoder(type: DuckDBDecimalType): ValueEncoder {
  const scale = type.scale;
  return (value) => formatScaledDecimal((value as unknown as { value: bigint }).value, scale);
}

/** Writes `scaled / 10^scale` with exactly `scale` decimals. */
export function formatScaledDecimal(scaled: bigint, scale: number): string {
  const sign = scaled < 0n ? '-' : '';
  const digits = (scaled < 0n ? -scaled : scaled).toString();
  if (scale === 0) return sign + digits;
  const padded = digits.padStart(scale + 1, '0');
  return `${sign}${padded.slice(0, -scale)}.${padded.slice(-scale)}`;
}

/**
 * INTERVAL without month and day parts reads like a MySQL TIME (`-838:59:59.000000`); any other
 * interval uses DuckDB's text (`1 day 02:00:00`).
 */
function encodeInterval(value: { months: number; days: number; micros: bigint; toString?: () => string }): string {
  if (value.months === 0 && value.days === 0) return formatMicrosInterval(value.micros);
  // NOTE: @duckdb/node-api's interval text matches DuckDB's and involves no time zone.
  return String(value);
}

function structEncoder(type: DuckDBStructType): ValueEncoder {
  const entries = type.entryNames.map((name, index) => ({ name, encode: createEncoder(type.entryTypes[index]!) }));
  return (value) => {
    const source = (value as unknown as { entries: Readonly<Record<string, DuckDBValue>> }).entries;
    const encoded: Record<string, EncodedValue> = {};
    for (const entry of entries) encoded[entry.name] = entry.encode(source[entry.name] ?? null);
    return encoded;
  };
}

/** MAP becomes a JSON object whose keys are the keys' text forms, as in DuckDB's `to_json`. */
function mapEncoder(type: DuckDBMapType): ValueEncoder {
  const encodeKey = createEncoder(type.keyType);
  const encodeEntryValue = createEncoder(type.valueType);
  return (value) => {
    const encoded: Record<string, EncodedValue> = {};
    for (const entry of (value as unknown as { entries: { key: DuckDBValue; value: DuckDBValue }[] }).entries) {
      encoded[textForm(encodeKey(entry.key))] = encodeEntryValue(entry.value);
    }
    return encoded;
  };
}

/** UNION encodes the value of its active member, as DuckDB's `to_json` does. */
function unionEncoder(type: DuckDBUnionType): ValueEncoder {
  const members = new Map(type.memberTags.map((tag, index) => [tag, createEncoder(type.memberTypes[index]!)]));
  return (value) => {
    const union = value as unknown as { tag: string; value: DuckDBValue };
    const encode = members.get(union.tag);
    return encode ? encode(union.value) : String(union.value);
  };
}

/** JSON text form of an encoded value, without quotes around strings; NULL is empty. */
export function textForm(encoded: EncodedValue): string {
  if (encoded === null) return '';
  if (typeof encoded === 'string') return encoded;
  if (typeof encoded === 'number' || typeof encoded === 'boolean') return String(encoded);
  return JSON.stringify(encoded);
}

/**
 * One CSV field (RFC 4180): the value's JSON text form without JSON quoting, NULL as an empty
 * unquoted field and the empty string as `""`. Fields holding a comma, quote, CR or LF are quoted
 * with inner quotes doubled.
 */
export function csvField(encoded: EncodedValue): string {
  if (encoded === null) return '';
  if (encoded === '') return '""';
  const text = textForm(encoded);
  if (!/[",\r\n]/.test(text)) return text;
  return `"${text.replace(/"/g, '""')}"`;
}
