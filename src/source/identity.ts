import { createHash } from 'node:crypto';
import type { Pool, RowDataPacket } from 'mysql2/promise';
import type { Flavour } from './discovery.js';

/**
 * Identity of the source a replica's data came from: the schema, the server flavour, and a SHA-256 of the server's
 * own identifiers (`server_uuid` on MySQL; `@@server_id`, `@@gtid_domain_id` and `@@hostname` on
 * MariaDB, which has no server UUID). Two connection strings reach the same source exactly when
 * all three fields are equal.
 */
export interface SourceIdentity {
  schema: string;
  flavour: Flavour;
  /** Lower-case hex SHA-256. */
  identity: string;
}

/** Reads the identity of the server behind `pool`. */
export async function readSourceIdentity(pool: Pool, schema: string, flavour: Flavour): Promise<SourceIdentity> {
  const sql =
    flavour === 'mariadb'
      ? 'SELECT @@server_id AS server_id, @@gtid_domain_id AS domain_id, @@hostname AS hostname'
      : 'SELECT @@server_uuid AS server_uuid';
  const [rows] = await pool.query<RowDataPacket[]>(sql);
  const row: Record<string, unknown> = rows[0] ?? {};
  const parts = flavour === 'mariadb' ? [row.server_id, row.domain_id, row.hostname] : [row.server_uuid];
  const identity = createHash('sha256').update(parts.map((part) => String(part ?? '')).join('\n')).digest('hex');
  return { schema, flavour, identity };
}
