// The benchmark's reference table: `orders` with a BIGINT key, generated deterministically inside
// the server from each row's id, so every run of a given size holds the same values.
import mysql from 'mysql2';
import type { Connection as PromiseConnection } from 'mysql2/promise';

const CHUNK_ROWS = 100_000;

export const ORDERS_DDL = `CREATE TABLE orders (
  id BIGINT NOT NULL,
  customer_id INT NOT NULL,
  status VARCHAR(16) NOT NULL,
  region VARCHAR(16) NOT NULL,
  amount DECIMAL(12,2) NOT NULL,
  created_at DATETIME NOT NULL,
  updated_at DATETIME NOT NULL,
  PRIMARY KEY (id),
  KEY idx_orders_updated_at (updated_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`;

/**
 * Column values as functions of the id `n`: 100,000 customers, 5 statuses, 8 regions, amounts from
 * 0.00 to 99,999.99, created_at spread over 2021–2024 and updated_at up to 30 days later. The
 * multipliers are primes, so neighbouring ids get unrelated values.
 */
const ROW_EXPRESSIONS = `n,
  1 + (n * 7919) % 100000,
  ELT(1 + (n * 31) % 5, 'pending', 'paid', 'shipped', 'delivered', 'cancelled'),
  ELT(1 + (n * 17 + n DIV 7) % 8, 'north', 'south', 'east', 'west', 'central', 'coastal', 'mountain', 'islands'),
  CAST(((n * 2654435761) % 10000000) / 100 AS DECIMAL(12,2)),
  TIMESTAMP('2021-01-01 00:00:00') + INTERVAL ((n * 104729) % 126144000) SECOND,
  TIMESTAMP('2021-01-01 00:00:00') + INTERVAL ((n * 104729) % 126144000 + (n * 13) % 2592000) SECOND`;

/**
 * Creates `orders` with `rows` rows in the connection's current schema. Rows are produced by
 * INSERT … SELECT over a cross join of a ten-row digits table, 100,000 ids per statement, which
 * works unchanged on MariaDB and MySQL.
 */
export async function createOrders(connection: PromiseConnection, rows: number): Promise<void> {
  await connection.query('DROP TABLE IF EXISTS orders, bench_digits');
  await connection.query(ORDERS_DDL);
  await connection.query('CREATE TABLE bench_digits (d INT NOT NULL PRIMARY KEY)');
  await connection.query('INSERT INTO bench_digits VALUES (0),(1),(2),(3),(4),(5),(6),(7),(8),(9)');

  for (let base = 0; base < rows; base += CHUNK_ROWS) {
    const ids = `SELECT ${base} + 1 + a.d + 10 * b.d + 100 * c.d + 1000 * e.d + 10000 * f.d AS n
      FROM bench_digits a, bench_digits b, bench_digits c, bench_digits e, bench_digits f`;
    await connection.query(
      `INSERT INTO orders (id, customer_id, status, region, amount, created_at, updated_at)
       SELECT ${ROW_EXPRESSIONS} FROM (${ids}) AS ids WHERE n <= ${rows}`,
    );
  }
  await connection.query('DROP TABLE bench_digits');
  await connection.query('ANALYZE TABLE orders');
}

/**
 * Reads every row of `orders` through a plain mysql2 stream with the lossless options Duckling
 * uses on its source connections (big numbers, decimals and dates as strings). Returns rows and ms.
 */
export async function streamAllOrders(options: { host: string; port: number; user: string; database: string }): Promise<{ rows: number; ms: number }> {
  const connection = mysql.createConnection({
    ...options,
    charset: 'utf8mb4',
    supportBigNumbers: true,
    bigNumberStrings: true,
    decimalNumbers: false,
    dateStrings: true,
    timezone: 'Z',
  });
  try {
    const started = performance.now();
    let rows = 0;
    await new Promise<void>((resolve, reject) => {
      connection
        .query({ sql: 'SELECT id, customer_id, status, region, amount, created_at, updated_at FROM orders', rowsAsArray: true })
        .stream({ highWaterMark: 1000 })
        .on('data', () => {
          rows += 1;
        })
        .on('error', reject)
        .on('end', () => resolve());
    });
    return { rows, ms: performance.now() - started };
  } finally {
    connection.destroy();
  }
}
