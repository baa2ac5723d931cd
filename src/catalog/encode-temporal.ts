/**
 * Text forms of DuckDB's date and time values, computed from their raw integers (days, seconds,
 * milliseconds, microseconds or nanoseconds since 1970-01-01 UTC) with integer arithmetic only,
 * so the host's time zone never leaks in.
 */

/** DuckDB stores +infinity and -infinity dates as ±(2^31 − 1) days. */
const DATE_INFINITY_DAYS = 2_147_483_647;
/** DuckDB stores +infinity and -infinity timestamps of every unit as ±(2^63 − 1). */
const TIMESTAMP_INFINITY = 9_223_372_036_854_775_807n;

const MICROS_PER_SECOND = 1_000_000n;
const SECONDS_PER_DAY = 86_400n;

export type TimestampUnit = 'seconds' | 'millis' | 'micros' | 'nanos';

/** Units per second and fraction digits printed, per timestamp unit. */
const UNIT_SCALE: Record<TimestampUnit, { perSecond: bigint; digits: number }> = {
  seconds: { perSecond: 1n, digits: 0 },
  millis: { perSecond: 1_000n, digits: 3 },
  micros: { perSecond: 1_000_000n, digits: 6 },
  nanos: { perSecond: 1_000_000_000n, digits: 9 },
};

interface CivilDate {
  /** Astronomical year: 0 is 1 BC, -1 is 2 BC. */
  year: number;
  month: number;
  day: number;
}

/**
 * Converts days since 1970-01-01 to a proleptic Gregorian date. The arithmetic works in 400-year
 * eras of 146,097 days starting on March 1st, which keeps leap days at the end of each year.
 */
function civilFromDays(daysSinceEpoch: number): CivilDate {
  const shifted = daysSinceEpoch + 719_468;
  const era = Math.floor(shifted / 146_097);
  const dayOfEra = shifted - era * 146_097;
  const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365);
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const monthFromMarch = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * monthFromMarch + 2) / 5) + 1;
  const month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  return { year, month, day };
}

function pad(value: number | bigint, width: number): string {
  return String(value).padStart(width, '0');
}

/** DuckDB's text form: four or more digits, and years before 1 AD as `YYYY-MM-DD (BC)`. */
function formatDuckDbDate(date: CivilDate): { text: string; bcSuffix: string } {
  const monthDay = `-${pad(date.month, 2)}-${pad(date.day, 2)}`;
  if (date.year > 0) return { text: `${pad(date.year, 4)}${monthDay}`, bcSuffix: '' };
  return { text: `${pad(1 - date.year, 4)}${monthDay}`, bcSuffix: ' (BC)' };
}

/** ISO 8601 year: four digits within 0000–9999, else the expanded form with a sign and six digits. */
function formatIsoYear(year: number): string {
  if (year >= 0 && year <= 9999) return pad(year, 4);
  return `${year < 0 ? '-' : '+'}${pad(Math.abs(year), 6)}`;
}

function floorDivide(value: bigint, divisor: bigint): { quotient: bigint; remainder: bigint } {
  let quotient = value / divisor;
  let remainder = value % divisor;
  if (remainder < 0n) {
    quotient -= 1n;
    remainder += divisor;
  }
  return { quotient, remainder };
}

function formatClock(secondsOfDay: bigint): string {
  const hours = secondsOfDay / 3600n;
  const minutes = (secondsOfDay % 3600n) / 60n;
  const seconds = secondsOfDay % 60n;
  return `${pad(hours, 2)}:${pad(minutes, 2)}:${pad(seconds, 2)}`;
}

/** `YYYY-MM-DD`, `infinity` or `-infinity`. */
export function formatDate(daysSinceEpoch: number): string {
  if (daysSinceEpoch === DATE_INFINITY_DAYS) return 'infinity';
  if (daysSinceEpoch === -DATE_INFINITY_DAYS) return '-infinity';
  const { text, bcSuffix } = formatDuckDbDate(civilFromDays(daysSinceEpoch));
  return text + bcSuffix;
}

/** `YYYY-MM-DD HH:MM:SS` with 0, 3, 6 or 9 fraction digits for seconds, ms, µs or ns. */
export function formatTimestamp(value: bigint, unit: TimestampUnit): string {
  if (value === TIMESTAMP_INFINITY) return 'infinity';
  if (value === -TIMESTAMP_INFINITY) return '-infinity';
  const { perSecond, digits } = UNIT_SCALE[unit];
  const perDay = perSecond * SECONDS_PER_DAY;
  const { quotient: days, remainder: unitsOfDay } = floorDivide(value, perDay);
  const { text, bcSuffix } = formatDuckDbDate(civilFromDays(Number(days)));
  const clock = formatClock(unitsOfDay / perSecond);
  const fraction = digits === 0 ? '' : `.${pad(unitsOfDay % perSecond, digits)}`;
  return `${text} ${clock}${fraction}${bcSuffix}`;
}

/** `YYYY-MM-DDTHH:MM:SS.mmmZ` in UTC, with six fraction digits when the value is sub-millisecond. */
export function formatTimestampTz(micros: bigint): string {
  if (micros === TIMESTAMP_INFINITY) return 'infinity';
  if (micros === -TIMESTAMP_INFINITY) return '-infinity';
  const perDay = MICROS_PER_SECOND * SECONDS_PER_DAY;
  const { quotient: days, remainder: microsOfDay } = floorDivide(micros, perDay);
  const date = civilFromDays(Number(days));
  const clock = formatClock(microsOfDay / MICROS_PER_SECOND);
  const fractionMicros = microsOfDay % MICROS_PER_SECOND;
  const fraction = fractionMicros % 1000n === 0n ? pad(fractionMicros / 1000n, 3) : pad(fractionMicros, 6);
  return `${formatIsoYear(date.year)}-${pad(date.month, 2)}-${pad(date.day, 2)}T${clock}.${fraction}Z`;
}

/** `HH:MM:SS.ffffff` (or nine digits for TIME_NS); 24:00:00 stays as DuckDB stores it. */
export function formatTime(value: bigint, unit: 'micros' | 'nanos'): string {
  const { perSecond, digits } = UNIT_SCALE[unit];
  return `${formatClock(value / perSecond)}.${pad(value % perSecond, digits)}`;
}

/** TIME WITH TIME ZONE: the local time, then the offset as `+HH:MM`. */
export function formatTimeTz(micros: bigint, offsetSeconds: number): string {
  const sign = offsetSeconds < 0 ? '-' : '+';
  const absolute = Math.abs(offsetSeconds);
  const offset = `${pad(Math.floor(absolute / 3600), 2)}:${pad(Math.floor((absolute % 3600) / 60), 2)}`;
  return `${formatTime(micros, 'micros')}${sign}${offset}`;
}

/** `[-]HH:MM:SS.ffffff` for an interval of microseconds only; hours may exceed 24. */
export function formatMicrosInterval(micros: bigint): string {
  const sign = micros < 0n ? '-' : '';
  const absolute = micros < 0n ? -micros : micros;
  const seconds = absolute / MICROS_PER_SECOND;
  const hours = seconds / 3600n;
  const minutes = (seconds % 3600n) / 60n;
  const clock = `${pad(hours, 2)}:${pad(minutes, 2)}:${pad(seconds % 60n, 2)}`;
  return `${sign}${clock}.${pad(absolute % MICROS_PER_SECOND, 6)}`;
}
