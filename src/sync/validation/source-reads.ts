import type { SourceSnapshot } from '../../source/index.js';
import { quoteMysqlIdentifier } from '../../source/index.js';

/** Runs a statement in the snapshot and returns its rows as arrays. */
export async function sourceRows(snapshot: SourceSnapshot, sql: string, values: unknown[] = []): Promise<unknown[][]> {
  const rows: unknown[][] = [];
  for await (const batch of snapshot.readQueryBatches({ sql, values, rawByteColumns: false })) rows.push(...batch);
  return rows;
}

/** Exact `COUNT(*)` of a source table inside the snapshot. */
export async function countSourceRows(snapshot: SourceSnapshot, table: string): Promise<number> {
  const rows = await sourceRows(snapshot, `SELECT COUNT(*) FROM ${quoteMysqlIdentifier(table)}`);
  return Number(rows[0]?.[0] ?? 0);
}
