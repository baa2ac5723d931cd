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

const MICROS_PER_DAY = 86_400_000_000n;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})(?: (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?)?$/;
const TIME = /^(-)?(\d{1,3}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$/;

/** True for `0000-00-00` and dates with a zero month or day, which DuckDB cannot hold. */
export function isZeroOrPartialDate(text: string): boolean {
  return text.startsWith('00', 5) || text.startsWith('00', 8);
}

/** Parses `YYYY-MM-DD[ HH:MM:SS[.ffffff]]` into microseconds since 1970-01-01 (naive, no zone). */
export function parseDateTimeMicros(text: string, column: string): bigint {
  const match = DATE_TIME.exec(text);
  if (!match) throw new ValueConversionError(column, text, 'expected YYYY-MM-DD[ HH:MM:SS[.ffffff]]');
  const [year, month, day, hour = 0, minute = 0, second = 0] = match.slice(1, 7).map((part) => Number(part ?? 0));
  const fraction = (match[7] ?? '').padEnd(6, '0');

  // setUTCFullYear keeps years 0-99 literal, unlike Date.UTC.
  const date = new Date(0);
  date.setUTCFullYear(year!, month! - 1, day!);
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month! - 1 || date.getUTCDate() !== day) {
    throw new ValueConversionError(column, text, 'not a valid calendar date');
  }
  if (hour > 23 || minute > 59 || second > 59) throw new ValueConversionError(column, text, 'not a valid time of day');

  const days = BigInt(Math.round(date.getTime() / 86_400_000));
  const secondsOfDay = BigInt(hour * 3600 + minute * 60 + second);
  return days * MICROS_PER_DAY + secondsOfDay * 1_000_000n + BigInt(fraction);
}

type DateTimeKind = 'date' | 'datetime-s' | 'datetime-ms' | 'datetime-us' | 'timestamp';

const DATE_TIME_KINDS: Record<DateTimeKind, { ddl: string; type: Codec['type']; toValue(micros: bigint): DuckDBValue }> = {
  date: { ddl: 'DATE', type: DATE, toValue: (micros) => new DuckDBDateValue(Number(micros / MICROS_PER_DAY)) },
  'datetime-s': { ddl: 'TIMESTAMP_S', type: TIMESTAMP_S, toValue: (micros) => new DuckDBTimestampSecondsValue(micros / 1_000_000n) },
  'datetime-ms': { ddl: 'TIMESTAMP_MS', type: TIMESTAMP_MS, toValue: (micros) => new DuckDBTimestampMillisecondsValue(micros / 1000n) },
  'datetime-us': { ddl: 'TIMESTAMP', type: TIMESTAMP, toValue: (micros) => new DuckDBTimestampValue(micros) },
  timestamp: { ddl: 'TIMESTAMP WITH TIME ZONE', type: TIMESTAMPTZ, toValue: (micros) => new DuckDBTimestampTZValue(micros) },
};

/**
 * DATE, DATETIME(n) and TIMESTAMP(n), read as text (dateStrings). The text is appended as is
 * because DuckDB's cast from it is exact; TIMESTAMP text is UTC (the source session runs with
 * time_zone '+00:00') and gets an explicit `+00` offset. Zero and partial dates become NULL.
 */
export function dateTimeCodec(dataType: 'date' | 'datetime' | 'timestamp', fractionDigits: number): Codec {
  const kind: DateTimeKind =
    dataType === 'date' ? 'date'
    : dataType === 'timestamp' ? 'timestamp'
    : fractionDigits === 0 ? 'datetime-s'
    : fractionDigits <= 3 ? 'datetime-ms'
    : 'datetime-us';
  const spec = DATE_TIME_KINDS[kind];
  const suffix = kind === 'timestamp' ? '+00' : '';

  return {
    ddl: spec.ddl,
    type: spec.type,
    keyOrder: 'same',
    append(appender, value, column) {
      const text = expectString(value, column, dataType.toUpperCase());
      if (isZeroOrPartialDate(text)) return NULLED;
      if (!DATE_TIME.test(text)) throw new ValueConversionError(column, value, `not a ${dataType.toUpperCase()} value`);
      appender.appendVarchar(text + suffix);
    },
    toParameter(value, column) {
      const text = expectString(value, column, dataType.toUpperCase());
      if (isZeroOrPartialDate(text)) return NULLED;
      return spec.toValue(parseDateTimeMicros(text, column));
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
    append: (appender, value, column) => appender.appendInterval(interval(value, column)),
    toParameter: (value, column) => interval(value, column),
  };
}
