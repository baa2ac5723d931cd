import { createHash } from 'node:crypto';
import { DucklingError } from '../errors/index.js';
import { NULLED, type Codec } from './codec.js';
import { bigIntegerCodec, bitCodec, decimalCodec, doubleCodec, floatCodec, smallIntegerCodec, yearCodec } from './numeric-codecs.js';
import { dateTimeCodec, timeCodec } from './temporal-codecs.js';
import { blobCodec, jsonCodec, uuidCodec, varcharCodec } from './text-codecs.js';
import type { ColumnPlan, SourceColumn, TableDefinition, TablePlan } from './types.js';

const GEOMETRY_TYPES = new Set([
  'geometry', 'point', 'linestring', 'polygon', 'multipoint', 'multilinestring', 'multipolygon', 'geometrycollection', 'geomcollection',
]);
const TEXT_TYPES = new Set(['char', 'varchar', 'tinytext', 'text', 'mediumtext', 'longtext']);
const BINARY_TYPES = new Set(['binary', 'varbinary', 'tinyblob', 'blob', 'mediumblob', 'longblob']);

/**
 * Builds the type plan of a table: DuckDB type and converter per column, the key, the schema
 * hash and whether the key sorts the same on both sides. Throws `DucklingError` naming the
 * first column whose type Duckling cannot store.
 */
export function planTable(table: TableDefinition): TablePlan {
  const codecs = table.columns.map((column) => {
    const codec = codecFor(column);
    if (!codec) {
      throw new DucklingError('DUCKLING_SYNC_UNSAFE', {
        detail: `unsupported type ${column.columnType} in column ${column.name} of table ${table.name}; exclude the table with EXCLUDED_TABLES or change the column type`,
      });
    }
    return { column, codec };
  });

  const keyOrdersSame = table.key.kind !== 'none' && table.key.columns.every((name) => {
    const entry = codecs.find(({ column }) => column.name === name);
    if (!entry) return false;
    if (entry.codec.keyOrder === 'same') return true;
    // NOTE: PAD SPACE `_bin` collations (utf8mb4_bin) sort 'a\t' before 'a', DuckDB after it; only
    // strings ending in characters below the space differ, and such keys could resume out of order.
    return entry.codec.keyOrder === 'same-under-bin-collation' && (entry.column.collation ?? '').endsWith('_bin');
  });

  return {
    table: table.name,
    columns: codecs.map(({ column, codec }) => columnPlan(column, codec)),
    keyColumns: [...table.key.columns],
    keyKind: table.key.kind,
    schemaHash: schemaHash(table),
    keyOrdersSame,
  };
}

/** Returns the codec of a column's type, or null when the type is unsupported (VECTOR and unknown types). */
function codecFor(column: SourceColumn): Codec | null {
  const type = column.dataType.toLowerCase();
  const unsigned = /\bunsigned\b/i.test(column.columnType);

  switch (type) {
    case 'tinyint':
      return smallIntegerCodec('tinyint', unsigned);
    case 'smallint':
      return smallIntegerCodec('smallint', unsigned);
    case 'mediumint':
    case 'int':
    case 'integer':
      return smallIntegerCodec('int', unsigned);
    case 'bigint':
      return bigIntegerCodec(unsigned);
    case 'decimal':
    case 'numeric':
      return decimalCodec(column.numericPrecision ?? 10, column.numericScale ?? 0);
    case 'float':
      return floatCodec();
    case 'double':
    case 'real':
      return doubleCodec();
    case 'bit':
      return bitCodec(column.numericPrecision ?? 1);
    case 'date':
    case 'datetime':
    case 'timestamp':
      return dateTimeCodec(type, column.datetimePrecision ?? 0);
    case 'time':
      return timeCodec();
    case 'year':
      return yearCodec();
    case 'json':
      return jsonCodec();
    case 'uuid':
      return uuidCodec();
    case 'enum':
      // ENUM sorts by member index in the source, by label in DuckDB.
      return varcharCodec('different');
    case 'set':
    case 'inet4':
    case 'inet6':
      return varcharCodec('different');
  }
  if (TEXT_TYPES.has(type)) return column.isJsonAlias ? jsonCodec() : varcharCodec('same-under-bin-collation');
  if (BINARY_TYPES.has(type)) return blobCodec('same');
  if (GEOMETRY_TYPES.has(type)) return blobCodec('different');
  return null;
}

function columnPlan(column: SourceColumn, codec: Codec): ColumnPlan {
  const name = column.name;
  return {
    name,
    sourceType: column.columnType,
    duckdbType: codec.ddl,
    type: codec.type,
    toParameter(value) {
      if (value === null || value === undefined) return { value: null, nulled: false };
      const converted = codec.toParameter(value, name);
      return converted === NULLED ? { value: null, nulled: true } : { value: converted, nulled: false };
    },
    toItem(value) {
      if (value === null || value === undefined) return null;
      return codec.toParameter(value, name);
    },
  };
}

/** SHA-256 over the normalised column definitions and the key, as hex. */
export function schemaHash(table: TableDefinition): string {
  const definition = {
    columns: table.columns.map((column) => [
      column.name,
      column.ordinal,
      column.columnType,
      column.nullable,
      column.default,
      column.extra,
      column.charset,
      column.collation,
      column.generationExpression,
      column.isJsonAlias,
    ]),
    key: { columns: table.key.columns, kind: table.key.kind },
  };
  return createHash('sha256').update(JSON.stringify(definition)).digest('hex');
}
