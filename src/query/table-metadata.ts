/**
 * Readers of the JSON columns of `_duckling.tables` that the table routes need. The sync writes
 * `source_columns` as a list of `{name, columnType, nullable, columnKey, default, extra}` (default as
 * `{kind: 'none' | 'null' | 'literal' | 'expression', value?}`) and
 * `key_columns` as a list of names; replicas written before that shape, or by hand, may lack
 * fields, so every reader tolerates missing or malformed values.
 */
import type { EncodedValue } from './types.js';

export interface SourceColumn {
  name: string;
  columnType: string | null;
  columnKey: string | null;
  /** Nullability at the source; null when not recorded. */
  nullable: boolean | null;
  /** The default as MySQL shows it (`SHOW COLUMNS`): the literal or expression text, else null. */
  default: string | null;
  extra: string | null;
}

/** Source columns by name; empty when the JSON is absent or not a list. */
export function parseSourceColumns(json: EncodedValue): Map<string, SourceColumn> {
  const columns = new Map<string, SourceColumn>();
  const parsed = parseJsonText(json);
  if (!Array.isArray(parsed)) return columns;

  for (const entry of parsed) {
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) continue;
    const record = entry as Record<string, unknown>;
    if (typeof record.name !== 'string') continue;
    columns.set(record.name, {
      name: record.name,
      columnType: textOrNull(record.columnType),
      columnKey: textOrNull(record.columnKey),
      nullable: typeof record.nullable === 'boolean' ? record.nullable : null,
      default: defaultText(record.default),
      extra: textOrNull(record.extra),
    });
  }
  return columns;
}

/** Key column names in key order; empty when absent or malformed. */
export function parseKeyColumns(json: EncodedValue): string[] {
  const parsed = parseJsonText(json);
  if (!Array.isArray(parsed) || !parsed.every((name) => typeof name === 'string')) return [];
  return parsed as string[];
}

/** JSON columns arrive as their text; anything that does not parse counts as absent. */
function parseJsonText(json: EncodedValue): unknown {
  if (typeof json !== 'string') return json;
  try {
    return JSON.parse(json) as unknown;
  } catch {
    return null;
  }
}

/** The normalised default's text: a literal's value or an expression's text; none and NULL give null. */
function defaultText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'object') return String(value);
  const recorded = value as { kind?: unknown; value?: unknown };
  if (recorded.kind === 'literal' || recorded.kind === 'expression') return textOrNull(recorded.value);
  return null;
}

function textOrNull(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  return typeof value === 'string' ? value : String(value);
}
