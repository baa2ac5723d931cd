import { Type } from '@sinclair/typebox';

/** `?db=<id>` of database-scoped routes. */
export const DatabaseQuery = {
  db: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'Database id; default "default"' })),
};

/** Table names: 1-128 characters; NUL and `;` are rejected by the table service with a clear message. */
export const TableName = Type.String({ minLength: 1, maxLength: 128 });

/**
 * A table name in a URL path. It has no maximum length, so the route's `assertTableName` rejects a
 * long name with 400 `DUCKLING_INVALID_IDENTIFIER` like the other bad names.
 */
export const TableNameParam = Type.String({ minLength: 1 });

/**
 * A string limited to `values`. A union of literals would report one "must be equal to constant"
 * per member; an `enum` gives one error that lists the allowed values.
 */
export function StringEnum<const T extends readonly string[]>(values: T, options: { default?: T[number]; description?: string } = {}) {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });
}
