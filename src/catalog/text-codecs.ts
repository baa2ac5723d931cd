import { BLOB, DuckDBBlobValue, DuckDBUUIDValue, UUID, VARCHAR, DuckDBVarCharType } from '@duckdb/node-api';
import { expectBuffer, expectString, type Codec, type KeyOrder } from './codec.js';
import { InvalidJsonError, canonicalJson } from './json-canonical.js';
import { ValueConversionError } from './value-conversion-error.js';

const JSON_TYPE = DuckDBVarCharType.create('JSON');
const UUID_TEXT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * CHAR, VARCHAR, *TEXT, ENUM, SET, INET4 and INET6 as VARCHAR. `keyOrder` tells how a key column
 * of this type sorts in DuckDB's byte order compared with the source.
 */
export function varcharCodec(keyOrder: KeyOrder): Codec {
  return {
    ddl: 'VARCHAR',
    type: VARCHAR,
    keyOrder,
    toParameter: (value, column) => expectString(value, column, 'a string'),
  };
}

/** JSON (and MariaDB's LONGTEXT JSON alias) stored as DuckDB JSON in canonical text. */
export function jsonCodec(): Codec {
  const canonical = (value: unknown, column: string): string => {
    const text = expectString(value, column, 'JSON');
    try {
      return canonicalJson(text);
    } catch (error) {
      if (error instanceof InvalidJsonError) throw new ValueConversionError(column, value, error.message, { cause: error });
      throw error;
    }
  };
  return {
    ddl: 'JSON',
    type: JSON_TYPE,
    keyOrder: 'different',
    toParameter: (value, column) => canonical(value, column),
  };
}

/** BINARY, VARBINARY, *BLOB and every GEOMETRY type (MySQL's internal form: SRID + WKB) as BLOB. */
export function blobCodec(keyOrder: KeyOrder): Codec {
  return {
    ddl: 'BLOB',
    type: BLOB,
    keyOrder,
    toParameter: (value, column) => new DuckDBBlobValue(expectBuffer(value, column)),
  };
}

/** MariaDB UUID as DuckDB UUID. */
export function uuidCodec(): Codec {
  const text = (value: unknown, column: string): string => {
    const uuid = expectString(value, column, 'UUID');
    if (!UUID_TEXT.test(uuid)) throw new ValueConversionError(column, value, 'not a UUID');
    return uuid;
  };
  return {
    ddl: 'UUID',
    type: UUID,
    // MariaDB stores version-1 UUIDs with their time fields swapped, so its order can differ from DuckDB's 128-bit order.
    keyOrder: 'different',
    toParameter: (value, column) => DuckDBUUIDValue.fromUint128(BigInt(`0x${text(value, column).replace(/-/g, '')}`)),
  };
}
