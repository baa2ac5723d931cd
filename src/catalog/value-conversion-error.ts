const MAX_PRINTED_LENGTH = 120;

/**
 * A source value that cannot be stored losslessly in its planned DuckDB type. The table fails
 * with this error; it is never retried and never silently replaced.
 */
export class ValueConversionError extends Error {
  /** The value in printable form, truncated to 120 characters; binary values as hex. */
  readonly value: string;

  constructor(
    readonly column: string,
    value: unknown,
    readonly reason: string,
    options: { cause?: unknown } = {},
  ) {
    const printable = printValue(value);
    super(`cannot store value ${printable} of column ${column}: ${reason}`, { cause: options.cause });
    this.name = 'ValueConversionError';
    this.value = printable;
  }
}

function printValue(value: unknown): string {
  let text: string;
  if (Buffer.isBuffer(value)) text = `0x${value.toString('hex')}`;
  else if (typeof value === 'string') text = JSON.stringify(value);
  else text = String(value);
  return text.length > MAX_PRINTED_LENGTH ? `${text.slice(0, MAX_PRINTED_LENGTH)}…` : text;
}
