/**
 * Serializes a JSON value in the JSON Canonicalization Scheme of RFC 8785: no whitespace, object
 * members sorted by the UTF-16 code units of their names, numbers and strings as ECMAScript's
 * JSON.stringify writes them. The manifest MAC is computed over this form, so any writer that
 * follows RFC 8785 reproduces it.
 *
 * NOTE: written by hand because no RFC 8785 package is installed. `src/catalog/json-canonical.ts`
 * is a different normal form (DuckDB's `json()` output, keys in source order).
 */
export function canonicalizeJson(value: unknown): string {
  if (value === null) return 'null';

  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`RFC 8785 JSON has no representation for the number ${value}`);
      return JSON.stringify(value);
    case 'string':
      return JSON.stringify(value);
    case 'object':
      return Array.isArray(value) ? canonicalArray(value) : canonicalObject(value as Record<string, unknown>);
    default:
      throw new TypeError(`RFC 8785 JSON has no representation for a value of type ${typeof value}`);
  }
}

function canonicalArray(items: unknown[]): string {
  // As in JSON.stringify, an undefined array element is written as null.
  return `[${items.map((item) => (item === undefined ? 'null' : canonicalizeJson(item))).join(',')}]`;
}

function canonicalObject(object: Record<string, unknown>): string {
  // Array.prototype.sort without a comparator orders strings by UTF-16 code units, as RFC 8785 requires.
  const names = Object.keys(object)
    .filter((name) => object[name] !== undefined)
    .sort();
  return `{${names.map((name) => `${JSON.stringify(name)}:${canonicalizeJson(object[name])}`).join(',')}}`;
}
