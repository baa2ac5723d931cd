// The seven analytical queries of the benchmark. Each statement is valid on MariaDB, MySQL and
// DuckDB alike, and every ORDER BY is total, so results can be compared row by row.

export interface BenchQuery {
  name: string;
  sql: string;
}

export const BENCH_QUERIES: readonly BenchQuery[] = [
  { name: 'total count', sql: 'SELECT COUNT(*) AS orders FROM orders' },
  { name: 'filtered count (unindexed amount)', sql: 'SELECT COUNT(*) AS orders FROM orders WHERE amount > 90000' },
  { name: 'group by status', sql: 'SELECT status, COUNT(*) AS orders FROM orders GROUP BY status ORDER BY status' },
  {
    name: 'region × status, count and sum',
    sql: 'SELECT region, status, COUNT(*) AS orders, SUM(amount) AS revenue FROM orders GROUP BY region, status ORDER BY region, status',
  },
  {
    name: 'monthly revenue, 2023',
    sql:
      "SELECT MONTH(created_at) AS month, SUM(amount) AS revenue FROM orders " +
      "WHERE created_at >= '2023-01-01' AND created_at < '2024-01-01' GROUP BY MONTH(created_at) ORDER BY month",
  },
  {
    name: 'top 10 customers by spend',
    sql: 'SELECT customer_id, SUM(amount) AS spend FROM orders GROUP BY customer_id ORDER BY spend DESC, customer_id LIMIT 10',
  },
  {
    name: 'distinct customers per region',
    sql: 'SELECT region, COUNT(DISTINCT customer_id) AS customers FROM orders GROUP BY region ORDER BY region',
  },
];

/** A result as rows of value strings, so that one engine's numbers and another's strings compare equal. */
export type NormalisedRows = string[][];

/**
 * Converts one value to its text: numbers and bigints in plain digits, decimal objects through
 * their `toString()` (exact), null as `NULL`.
 */
export function normaliseValue(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (typeof value === 'object' && 'toString' in value) return String(value);
  return JSON.stringify(value);
}

export function normaliseRows(rows: readonly unknown[][]): NormalisedRows {
  return rows.map((row) => row.map(normaliseValue));
}

/** Describes the first difference between two results, or returns null when they are equal. */
export function firstDifference(expected: NormalisedRows, actual: NormalisedRows): string | null {
  if (expected.length !== actual.length) return `row count ${actual.length}, expected ${expected.length}`;
  for (let row = 0; row < expected.length; row++) {
    const expectedRow = JSON.stringify(expected[row]);
    const actualRow = JSON.stringify(actual[row]);
    if (expectedRow !== actualRow) return `row ${row + 1} is ${actualRow}, expected ${expectedRow}`;
  }
  return null;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** Runs `execute` once to warm caches, then `runs` timed times; returns the median ms and the last result. */
export async function timeQuery(runs: number, execute: () => Promise<NormalisedRows>): Promise<{ medianMs: number; timesMs: number[]; rows: NormalisedRows }> {
  let rows = await execute();
  const timesMs: number[] = [];
  for (let run = 0; run < runs; run++) {
    const started = performance.now();
    rows = await execute();
    timesMs.push(performance.now() - started);
  }
  return { medianMs: median(timesMs), timesMs, rows };
}
