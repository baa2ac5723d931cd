/**
 * JSON form of key tuples and watermark values stored in `_duckling` tables. Source rows carry
 * strings, numbers, bigints and Buffers (binary keys). JSON has no type for the last two, so they
 * are tagged and restored exactly.
 */
type Encoded = string | number | boolean | null | { $bigint: string } | { $base64: string };

function encodeValue(value: unknown): Encoded {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint') return { $bigint: value.toString() };
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) return { $base64: Buffer.from(value).toString('base64') };
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  return String(value);
}

function decodeValue(value: Encoded): unknown {
  if (value === null || typeof value !== 'object') return value;
  if ('$bigint' in value) return BigInt(value.$bigint);
  return Buffer.from(value.$base64, 'base64');
}

/** Encodes a key tuple as JSON text. */
export function encodeTuple(values: readonly unknown[]): string {
  return JSON.stringify(values.map(encodeValue));
}

/** Decodes JSON text written by `encodeTuple`. */
export function decodeTuple(text: string): unknown[] {
  const parsed: unknown = JSON.parse(text);
  if (!Array.isArray(parsed)) throw new Error(`stored key tuple is not a JSON array: ${text.slice(0, 200)}`);
  return (parsed as Encoded[]).map(decodeValue);
}

/** Renders a key tuple for messages, e.g. `(actor_id=5, film_id=12)`. */
export function describeKey(columns: readonly string[], values: readonly unknown[]): string {
  if (columns.length === 0) return '(no key)';
  const parts = columns.map((column, index) => `${column}=${JSON.stringify(encodeValue(values[index]))}`);
  return `(${parts.join(', ')})`;
}
