import type { SourceColumn } from '../catalog/index.js';
import type { SourceTable } from './discovery.js';

/** Quotes a MySQL identifier with backticks. */
export function quoteMysqlIdentifier(name: string): string {
  return `\`${name.replace(/`/g, '``')}\``;
}

/**
 * Builds the select list of a table in column order. FLOAT columns are widened to DOUBLE
 * because MariaDB prints FLOAT in the text protocol with only 6 significant digits (16777216
 * reads as 16777200). The widening is exact, and the plan narrows the value back.
 */
export function selectList(columns: readonly SourceColumn[]): string {
  return columns
    .map((column) => {
      const name = quoteMysqlIdentifier(column.name);
      return column.dataType === 'float' ? `CAST(${name} AS DOUBLE) AS ${name}` : name;
    })
    .join(', ');
}

/** A key column as it appears in ORDER BY and in the paging predicate, with its bound placeholder. */
interface KeyTerm {
  expression: string;
  placeholder: string;
}

/**
 * ENUM and SET sort by member number in ORDER BY but compare as text against a string, so both
 * use the text form. BIGINT and DECIMAL bounds are cast so the server does not compare them as
 * doubles, which would lose digits beyond 2^53.
 */
function keyTerm(column: SourceColumn): KeyTerm {
  const name = quoteMysqlIdentifier(column.name);
  const unsigned = /\bunsigned\b/i.test(column.columnType);
  switch (column.dataType) {
    case 'enum':
    case 'set':
      // NOTE: ordering by the text form cannot use the key's index, so each page sorts the rest of the table.
      return { expression: `CAST(${name} AS CHAR)`, placeholder: '?' };
    case 'bigint':
      return { expression: name, placeholder: unsigned ? 'CAST(? AS UNSIGNED)' : 'CAST(? AS SIGNED)' };
    case 'decimal':
      return { expression: name, placeholder: `CAST(? AS DECIMAL(${column.numericPrecision ?? 65},${column.numericScale ?? 0}))` };
    default:
      return { expression: name, placeholder: '?' };
  }
}

export interface PageQuery {
  sql: string;
  values: unknown[];
  /** True when a column may arrive as BIT or GEOMETRY, which the reader must take as raw bytes. */
  rawByteColumns: boolean;
}

/**
 * Data types whose text-protocol values mysql2 parses correctly without a `typeCast` function.
 * BIT and GEOMETRY are missing on purpose: they need the raw bytes. A type missing by accident
 * only costs speed.
 */
const PLAIN_TEXT_TYPES = new Set([
  'tinyint', 'smallint', 'mediumint', 'int', 'integer', 'bigint', 'decimal', 'numeric', 'float', 'double', 'real',
  'date', 'datetime', 'timestamp', 'time', 'year', 'char', 'varchar', 'tinytext', 'text', 'mediumtext', 'longtext',
  'enum', 'set', 'json', 'uuid', 'inet4', 'inet6', 'binary', 'varbinary', 'tinyblob', 'blob', 'mediumblob', 'longblob',
]);

export function hasRawByteColumns(table: SourceTable): boolean {
  return table.columns.some((column) => !PLAIN_TEXT_TYPES.has(column.dataType.toLowerCase()));
}

/**
 * Builds the query of one keyset page: rows ordered by the key after `after` (null: from the
 * start), at most `limit` of them. The predicate
 * is the expanded form with a leading bound, never a row constructor, so the server can use the
 * key's index: `k1 >= ? AND (k1 > ? OR (k1 = ? AND k2 > ?))`.
 */
export function pageQuery(table: SourceTable, after: readonly unknown[] | null, limit: number): PageQuery {
  const terms = table.key.columns.map((name) => {
    const column = table.columns.find((candidate) => candidate.name === name);
    if (!column) throw new Error(`key column ${name} is not a column of table ${table.name}`);
    return keyTerm(column);
  });
  if (terms.length === 0) throw new Error(`table ${table.name} has no key; read it with readAll`);
  if (!Number.isInteger(limit) || limit < 1) throw new Error(`page size must be a positive integer, got ${limit}`);

  const from = `SELECT ${selectList(table.columns)} FROM ${quoteMysqlIdentifier(table.name)}`;
  const orderBy = ` ORDER BY ${terms.map((term) => term.expression).join(', ')} LIMIT ?`;
  const rawByteColumns = hasRawByteColumns(table);
  if (after === null) return { sql: from + orderBy, values: [limit], rawByteColumns };
  if (after.length !== terms.length) {
    throw new Error(`key cursor of table ${table.name} has ${after.length} values for ${terms.length} key columns`);
  }

  const values: unknown[] = [];
  const predicate = expandedPredicate(terms, after, 0, values);
  const first = terms[0]!;
  const leading = terms.length > 1 ? `${first.expression} >= ${first.placeholder} AND ` : '';
  const leadingValues = terms.length > 1 ? [after[0]] : [];
  return { sql: `${from} WHERE ${leading}${predicate}${orderBy}`, values: [...leadingValues, ...values, limit], rawByteColumns };
}

/** `k_i > ? OR (k_i = ? AND <rest>)`, parenthesised from the second level on. */
function expandedPredicate(terms: KeyTerm[], after: readonly unknown[], index: number, values: unknown[]): string {
  const term = terms[index]!;
  const greater = `${term.expression} > ${term.placeholder}`;
  values.push(after[index]);
  if (index === terms.length - 1) return greater;
  values.push(after[index]);
  const rest = expandedPredicate(terms, after, index + 1, values);
  return `(${greater} OR (${term.expression} = ${term.placeholder} AND ${rest}))`;
}

/** Builds the query that reads every row of a keyless table in one statement. */
export function fullScanQuery(table: SourceTable): PageQuery {
  return { sql: `SELECT ${selectList(table.columns)} FROM ${quoteMysqlIdentifier(table.name)}`, values: [], rawByteColumns: hasRawByteColumns(table) };
}

/**
 * Lower bound of an incremental page on `(watermark, key…)`: `after` reads rows past the pair
 * (`wm >= W AND (wm > W OR key > K)`), `lookback` reads every row with `wm >= W - L seconds`.
 * `value` is the watermark as the source's own text, so the server does the arithmetic.
 */
export type WatermarkBound =
  | { kind: 'after'; value: string; key: readonly unknown[] }
  | { kind: 'lookback'; value: string; lookbackSeconds: number };

/**
 * Builds the query of one incremental page: rows ordered by `(watermark, key…)` from `bound`, at
 * most `limit` of them. The pair comparison is expanded with a leading bound on the watermark,
 * never a row constructor, so the server can use an index on the watermark column. Rows whose
 * watermark is NULL never match.
 */
export function watermarkPageQuery(table: SourceTable, watermarkColumn: string, bound: WatermarkBound, limit: number): PageQuery {
  const column = table.columns.find((candidate) => candidate.name === watermarkColumn);
  if (!column) throw new Error(`watermark column ${watermarkColumn} is not a column of table ${table.name}`);
  if (table.key.columns.length === 0) throw new Error(`table ${table.name} has no key; an incremental read needs one`);
  if (!Number.isInteger(limit) || limit < 1) throw new Error(`page size must be a positive integer, got ${limit}`);
  const keyTerms = table.key.columns.map((name) => {
    const keyColumn = table.columns.find((candidate) => candidate.name === name);
    if (!keyColumn) throw new Error(`key column ${name} is not a column of table ${table.name}`);
    return keyTerm(keyColumn);
  });
  const watermark: KeyTerm = { expression: quoteMysqlIdentifier(column.name), placeholder: '?' };
  const terms = [watermark, ...keyTerms];

  const from = `SELECT ${selectList(table.columns)} FROM ${quoteMysqlIdentifier(table.name)}`;
  const orderBy = ` ORDER BY ${terms.map((term) => term.expression).join(', ')} LIMIT ?`;
  const rawByteColumns = hasRawByteColumns(table);
  if (bound.kind === 'lookback') {
    const where = ` WHERE ${watermark.expression} >= ${watermark.placeholder} - INTERVAL ? SECOND`;
    return { sql: from + where + orderBy, values: [bound.value, bound.lookbackSeconds, limit], rawByteColumns };
  }
  if (bound.key.length !== keyTerms.length) {
    throw new Error(`key cursor of table ${table.name} has ${bound.key.length} values for ${keyTerms.length} key columns`);
  }
  const values: unknown[] = [];
  const predicate = expandedPredicate(terms, [bound.value, ...bound.key], 0, values);
  const leading = `${watermark.expression} >= ${watermark.placeholder} AND `;
  return { sql: `${from} WHERE ${leading}${predicate}${orderBy}`, values: [bound.value, ...values, limit], rawByteColumns };
}
