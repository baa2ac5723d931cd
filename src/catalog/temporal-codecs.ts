import {
  DATE,
  DuckDBDateValue,
  DuckDBIntervalValue,
  DuckDBTimestampMillisecondsValue,
  DuckDBTimestampSecondsValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  INTERVAL,
  TIMESTAMP,
  TIMESTAMPTZ,
  TIMESTAMP_MS,
  TIMESTAMP_S,
  type DuckDBValue,
} from '@duckdb/node-api';
import { NULLED, expectString, type Codec } from './codec.js';
import { ValueConversionError } from './value-conversion-error.js';

const TIME = /^(-)?(\d{1,3}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$/;

/** True for `0000-00-00` and dates with a zero month or day, which DuckDB cannot hold. */
export function isZeroOrPartialDate(text: string): boolean {
  return (text.charCodeAt(5) === ZERO && text.charCodeAt(6) === ZERO) || (text.charCodeAt(8) === ZERO && text.charCodeAt(9) === ZERO);
}

/** A `YYYY-MM-DD[ HH:MM:SS[.ffffff]]` value split into whole days, seconds of the day and microseconds. */
interface DateTimeParts {
  /** Days since 1970-01-01 in the proleptic Gregorian calendar. */
  days: number;
  secondsOfDay: number;
  micros: number;
}

/** Parses `YYYY-MM-DD[ HH:MM:SS[.ffffff]]` into microseconds since 1970-01-01 (naive, no zone). */
export function parseDateTimeMicros(text: string, column: string): bigint {
  return epochMicros(parseDateTimeParts(text, column));
}

/**
 * Splits a date or datetime text into its parts, reading digits by character code because a
 * full sync parses millions of these. Accepts `YYYY-MM-DD`, `YYYY-MM-DD HH:MM:SS` and the latter
 * with a fraction of 1 to 6 digits.
 */
function parseDateTimeParts(text: string, column: string): DateTimeParts {
  const length = text.length;
  const shapeOk = (length === 10 || length === 19 || (length >= 21 && length <= 26 && text.charCodeAt(19) === DOT))
    && text.charCodeAt(4) === DASH && text.charCodeAt(7) === DASH
    && (length === 10 || (text.charCodeAt(10) === SPACE && text.charCodeAt(13) === COLON && text.charCodeAt(16) === COLON));
  const year = digitsAt(text, 0, 4);
  const month = digitsAt(text, 5, 2);
  const day = digitsAt(text, 8, 2);
  const hour = length > 10 ? digitsAt(text, 11, 2) : 0;
  const minute = length > 10 ? digitsAt(text, 14, 2) : 0;
  const second = length > 10 ? digitsAt(text, 17, 2) : 0;
  const fraction = length > 20 ? digitsAt(text, 20, length - 20) * FRACTION_SCALE[length - 20]! : 0;
  if (!shapeOk || year < 0 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0 || fraction < 0) {
    throw new ValueConversionError(column, text, 'expected YYYY-MM-DD[ HH:MM:SS[.ffffff]]');
  }

  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) {
    throw new ValueConversionError(column, text, 'not a valid calendar date');
  }
  if (hour > 23 || minute > 59 || second > 59) throw new ValueConversionError(column, text, 'not a valid time of day');
  return { days: daysFromCivil(year, month, day), secondsOfDay: hour * 3600 + minute * 60 + second, micros: fraction };
}

const DASH = 45;
const SPACE = 32;
const COLON = 58;
const DOT = 46;
const ZERO = 48;
/** Multiplier that turns a fraction of n digits (index n) into microseconds. */
const FRACTION_SCALE = [0, 100_000, 10_000, 1000, 100, 10, 1];

/** Reads `count` ASCII digits at `start` as a number, or returns -1 when one of them is not a digit. */
function digitsAt(text: string, start: number, count: number): number {
  let value = 0;
  for (let index = start; index < start + count; index += 1) {
    const digit = text.charCodeAt(index) - ZERO;
    if (!(digit >= 0 && digit <= 9)) return -1;
    value = value * 10 + digit;
  }
  return value;
}

function daysInMonth(year: number, month: number): number {
  if (month !== 2) return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return leap ? 29 : 28;
}

/**
 * Days since 1970-01-01 of a proleptic Gregorian date (year 0 is 1 BC), counted in 400-year eras
 * that start on March 1st so the leap day falls at the end of each year.
 */
function daysFromCivil(year: number, month: number, day: number): number {
  const marchYear = month <= 2 ? year - 1 : year;
  const era = Math.floor(marchYear / 400);
  const yearOfEra = marchYear - era * 400;
  const monthFromMarch = month > 2 ? month - 3 : month + 9;
  const dayOfYear = Math.floor((153 * monthFromMarch + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

type DateTimeKind = 'date' | 'datetime-s' | 'datetime-ms' | 'datetime-us' | 'timestamp';

/** Seconds since 1970-01-01 of a parsed value, without its fraction. */
function epochSeconds(parts: DateTimeParts): number {
  return parts.days * 86_400 + parts.secondsOfDay;
}

const DATE_TIME_KINDS: Record<DateTimeKind, { ddl: string; type: Codec['type']; toValue(parts: DateTimeParts): DuckDBValue }> = {
  date: { ddl: 'DATE', type: DATE, toValue: (parts) => new DuckDBDateValue(parts.days) },
  'datetime-s': { ddl: 'TIMESTAMP_S', type: TIMESTAMP_S, toValue: (parts) => new DuckDBTimestampSecondsValue(BigInt(epochSeconds(parts))) },
  'datetime-ms': {
    ddl: 'TIMESTAMP_MS',
    type: TIMESTAMP_MS,
    // Below 2^53 for every year up to 9999, so the arithmetic stays exact in a double.
    toValue: (parts) => new DuckDBTimestampMillisecondsValue(BigInt(epochSeconds(parts) * 1000 + Math.floor(parts.micros / 1000))),
  },
  'datetime-us': { ddl: 'TIMESTAMP', type: TIMESTAMP, toValue: (parts) => new DuckDBTimestampValue(epochMicros(parts)) },
  timestamp: { ddl: 'TIMESTAMP WITH TIME ZONE', type: TIMESTAMPTZ, toValue: (parts) => new DuckDBTimestampTZValue(epochMicros(parts)) },
};

function epochMicros(parts: DateTimeParts): bigint {
  return BigInt(epochSeconds(parts)) * 1_000_000n + BigInt(parts.micros);
}

/**
 * DATE, DATETIME(n) and TIMESTAMP(n), read as text (dateStrings). `toParameter` computes the stored
 * value itself: days, or seconds, milliseconds or microseconds since 1970-01-01. TIMESTAMP text is
 * UTC, because the source session runs with time_zone '+00:00'. Zero and partial dates become NULL.
 */
export function dateTimeCodec(dataType: 'date' | 'datetime' | 'timestamp', fractionDigits: number): Codec {
  const kind: DateTimeKind =
    dataType === 'date' ? 'date'
    : dataType === 'timestamp' ? 'timestamp'
    : fractionDigits === 0 ? 'datetime-s'
    : fractionDigits <= 3 ? 'datetime-ms'
    : 'datetime-us';
  const spec = DATE_TIME_KINDS[kind];

  return {
    ddl: spec.ddl,
    type: spec.type,
    keyOrder: 'same',
    toParameter(value, column) {
      const text = expectString(value, column, dataType.toUpperCase());
      if (isZeroOrPartialDate(text)) return NULLED;
      return spec.toValue(parseDateTimeParts(text, column));
    },
  };
}

/** Parses MySQL TIME text (`[-]HHH:MM:SS[.ffffff]`, up to ±838:59:59.999999) into microseconds. */
export function parseTimeMicros(text: string, column: string): bigint {
  const match = TIME.exec(text);
  if (!match) throw new ValueConversionError(column, text, 'expected [-]HH:MM:SS[.ffffff]');
  const [, sign, hours, minutes, seconds, fraction = ''] = match;
  if (Number(minutes) > 59 || Number(seconds) > 59) throw new ValueConversionError(column, text, 'not a valid TIME');
  const micros = (Number(hours) * 3600 + Number(minutes) * 60 + Number(seconds)) * 1_000_000 + Number(fraction.padEnd(6, '0'));
  return BigInt(sign ? -micros : micros);
}

/** TIME is an INTERVAL of microseconds only (no month or day part), so hours beyond 24 stay. */
export function timeCodec(): Codec {
  const interval = (value: unknown, column: string) =>
    new DuckDBIntervalValue(0, 0, parseTimeMicros(expectString(value, column, 'TIME'), column));
  return {
    ddl: 'INTERVAL',
    type: INTERVAL,
    keyOrder: 'same',
    toParameter: (value, column) => interval(value, column),
  };
}
