// SQL literals for the generated INSERT statements. Dates are built from UTC seconds so that the
// output never depends on the host's time zone or clock.
import mysql from 'mysql2';

/** Quoted string or X'..' blob literal (backslash escapes, so NO_BACKSLASH_ESCAPES must be off). */
export function literal(value) {
  if (value === null || value === undefined) return 'NULL';
  return mysql.escape(value);
}

function pad(number, width) {
  return String(number).padStart(width, '0');
}

/** 'YYYY-MM-DD' of the UTC day containing `epochSeconds`. */
export function dateText(epochSeconds) {
  const date = new Date(epochSeconds * 1000);
  return `${pad(date.getUTCFullYear(), 4)}-${pad(date.getUTCMonth() + 1, 2)}-${pad(date.getUTCDate(), 2)}`;
}

/** 'YYYY-MM-DD HH:MM:SS[.f…]' with `fractionDigits` digits taken from `microseconds`. */
export function dateTimeText(epochSeconds, fractionDigits = 0, microseconds = 0) {
  const date = new Date(epochSeconds * 1000);
  const time = `${pad(date.getUTCHours(), 2)}:${pad(date.getUTCMinutes(), 2)}:${pad(date.getUTCSeconds(), 2)}`;
  const fraction = fractionDigits > 0 ? '.' + pad(microseconds, 6).slice(0, fractionDigits) : '';
  return `${dateText(epochSeconds)} ${time}${fraction}`;
}

/** Decimal text with two places from an integer number of cents, e.g. 12345 → '123.45'. */
export function centsText(cents) {
  const sign = cents < 0 ? '-' : '';
  const absolute = Math.abs(cents);
  return `${sign}${Math.floor(absolute / 100)}.${pad(absolute % 100, 2)}`;
}

/** 'HHH:MM:SS' for a signed number of seconds; MySQL TIME allows up to ±838:59:59. */
export function timeText(totalSeconds) {
  const sign = totalSeconds < 0 ? '-' : '';
  const absolute = Math.abs(totalSeconds);
  const hours = Math.floor(absolute / 3600);
  const minutes = Math.floor((absolute % 3600) / 60);
  return `${sign}${pad(hours, 2)}:${pad(minutes, 2)}:${pad(absolute % 60, 2)}`;
}

/** b'…' literal for a BIT column. */
export function bitLiteral(value) {
  return `b'${value.toString(2)}'`;
}

export const SECONDS_PER_DAY = 86400;

/** UTC seconds at midnight of the given calendar day. */
export function utcSeconds(year, month = 1, day = 1) {
  return Date.UTC(year, month - 1, day) / 1000;
}
