import { Type } from '@sinclair/typebox';

/** `?db=<id>` of database-scoped routes. */
export const DatabaseQuery = {
  db: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'Database id; default "default"' })),
};

/** Table names: 1-128 characters; NUL and `;` are rejected by the table service with a clear message. */
export const TableName = Type.String({ minLength: 1, maxLength: 128 });
