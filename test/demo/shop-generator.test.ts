import { createHash } from 'node:crypto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Connection, RowDataPacket } from 'mysql2/promise';
import { testSource } from '../harness/mariadb.js';
// @ts-expect-error plain JavaScript module, run without a build by the demo script
import { loadShop, shopStatementsChecksum } from '../../scripts/shop/generate.mjs';
// @ts-expect-error plain JavaScript module, run without a build by the demo script
import { shopSizes } from '../../scripts/shop/rows.mjs';

const SCALE = 0.01;
const TABLES = ['customers', 'products', 'orders', 'order_items', 'page_views', 'stores'];

/**
 * SHA-256 of a table's rows in the order of all its columns. CHECKSUM TABLE is not used because on
 * MariaDB 10.11 it returned different values for equal copies of a table with a STORED generated
 * column (order_items).
 */
async function tableDigest(connection: Connection, table: string): Promise<string> {
  const [, fields] = await connection.query(`SELECT * FROM \`${table}\` LIMIT 0`);
  const positions = fields.map((_, index) => index + 1).join(', ');
  const [rows] = await connection.query<RowDataPacket[]>({ sql: `SELECT * FROM \`${table}\` ORDER BY ${positions}`, rowsAsArray: true });
  const hash = createHash('sha256');
  for (const row of rows) {
    // Buffers serialise as their byte arrays through Buffer.toJSON.
    hash.update(JSON.stringify(row) + '\n');
  }
  return hash.digest('hex');
}

test('shop statements are deterministic', () => {
  const first = shopStatementsChecksum({ scale: SCALE });
  const second = shopStatementsChecksum({ scale: SCALE });
  assert.equal(first, second);
  assert.notEqual(shopStatementsChecksum({ scale: SCALE, seed: 7 }), first);
});

test('shop loads twice with equal digests', async () => {
  const source = await testSource();
  const schemas = [await source.createSchema('shop_a'), await source.createSchema('shop_b')];
  const checksums: Array<Record<string, string>> = [];
  for (const schema of schemas) {
    const counts = await loadShop({ host: source.host, port: source.port }, { schema, scale: SCALE });
    const sizes = shopSizes(SCALE);
    assert.equal(counts.customers, sizes.customers);
    assert.equal(counts.orders, sizes.orders);
    assert.equal(counts.stores, sizes.stores);

    const connection = await source.connect(schema);
    try {
      const digests: Record<string, string> = {};
      for (const table of TABLES) digests[table] = await tableDigest(connection, table);
      checksums.push(digests);
    } finally {
      await connection.end();
    }
  }
  assert.deepEqual(checksums[0], checksums[1]);
  assert.equal(Object.keys(checksums[0] ?? {}).length, TABLES.length);
});

test('shop holds the awkward values', async () => {
  const source = await testSource();
  const schema = await source.createSchema('shop_edge');
  await loadShop({ host: source.host, port: source.port }, { schema, scale: SCALE });
  const connection = await source.connect(schema);
  const scalar = async (sql: string): Promise<string> => {
    const [rows] = await connection.query<RowDataPacket[]>({ sql, rowsAsArray: true });
    return String(rows[0]?.[0]);
  };
  try {
    assert.equal(await scalar('SELECT MAX(id) FROM customers'), '18446744073709551615');
    assert.ok(Number(await scalar("SELECT COUNT(*) FROM customers WHERE id > 9223372036854775807")) >= 3);
    assert.ok(Number(await scalar("SELECT COUNT(*) FROM customers WHERE birth_date = '0000-00-00'")) > 0);
    assert.ok(Number(await scalar('SELECT COUNT(*) FROM customers WHERE member_since = 0')) > 0);
    assert.ok(Number(await scalar("SELECT COUNT(*) FROM customers WHERE interests = ''")) > 0);
    assert.ok(Number(await scalar("SELECT COUNT(*) FROM customers WHERE full_name REGEXP '[\\\\x{10000}-\\\\x{10FFFF}]'")) > 0);
    assert.ok(Number(await scalar('SELECT COUNT(*) FROM orders WHERE status = 0')) > 0);
    assert.ok(Number(await scalar("SELECT COUNT(*) FROM orders WHERE processing_time > '24:00:00'")) > 0);
    assert.ok(Number(await scalar("SELECT COUNT(*) FROM orders WHERE processing_time < '00:00:00'")) > 0);
    assert.equal(await scalar('SELECT precise_cost FROM products WHERE id = 1'), '99999999999999999999999999999999999.999999999999999999999999999999');
    assert.match(await scalar('SELECT CAST(attributes AS CHAR) FROM products WHERE attributes IS NOT NULL LIMIT 1'), /"serial":\d{20},/);
    assert.equal(await scalar('SELECT HEX(flags) FROM products WHERE id = 1'), 'FFF');
    assert.equal(await scalar('SELECT COUNT(*) FROM order_items WHERE line_total <> quantity * unit_price'), '0');
    assert.equal(await scalar('SELECT COUNT(DISTINCT ST_SRID(location)) FROM stores'), '2');
    const duplicates = await scalar(
      'SELECT COUNT(*) - (SELECT COUNT(*) FROM (SELECT DISTINCT customer_id, product_id, viewed_at, referrer, duration_ms FROM page_views) AS d) FROM page_views',
    );
    assert.ok(Number(duplicates) > 0);
  } finally {
    await connection.end();
  }
});
