// Sample shop database for the demo when the Sakila dataset is absent. Deterministic: the same
// scale and seed give the same statements byte for byte (see shopStatements).
//
// Usage:
//   node scripts/shop/generate.mjs --url mysql://root@127.0.0.1:3306/ [--schema shop] [--scale 1] [--seed N]
//   node scripts/shop/generate.mjs --sql shop.sql [--schema shop] [--scale 1]
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import mysql from 'mysql2/promise';
import { tableSeed, SeededRandom } from './random.mjs';
import { SHOP_ROW_SOURCES, shopSizes } from './rows.mjs';
import { SHOP_DDL, SHOP_TABLES } from './schema.mjs';

export const DEFAULT_SEED = 20240601;
export const DEFAULT_SCHEMA = 'shop';
const DEFAULT_BATCH_BYTES = 1024 * 1024;

/**
 * Session settings every load runs first: UTC for TIMESTAMP literals, utf8mb4 for 4-byte
 * characters, and a sql_mode without strict mode or NO_ZERO_DATE so that zero and partial dates
 * and the ENUM empty value can be stored.
 */
export const SESSION_STATEMENTS = [
  'SET NAMES utf8mb4',
  "SET time_zone = '+00:00'",
  "SET sql_mode = 'NO_ENGINE_SUBSTITUTION'",
];

function quoteName(name) {
  return '`' + name.replaceAll('`', '``') + '`';
}

/** DROP, CREATE and multi-row INSERT statements of one table, each INSERT up to `batchBytes`. */
export function* tableStatements(sourceIndex, { scale = 1, seed = DEFAULT_SEED, batchBytes = DEFAULT_BATCH_BYTES } = {}) {
  const source = SHOP_ROW_SOURCES[sourceIndex];
  yield `DROP TABLE IF EXISTS ${quoteName(source.table)}`;
  yield SHOP_DDL[source.table];

  const prefix = `INSERT INTO ${quoteName(source.table)} (${source.columns.map(quoteName).join(', ')}) VALUES `;
  const random = new SeededRandom(tableSeed(seed, sourceIndex));
  let tuples = [];
  let bytes = prefix.length;
  for (const row of source.rows(random, shopSizes(scale))) {
    const tuple = `(${row.join(',')})`;
    tuples.push(tuple);
    bytes += tuple.length + 1;
    if (bytes >= batchBytes) {
      yield prefix + tuples.join(',');
      tuples = [];
      bytes = prefix.length;
    }
  }
  if (tuples.length > 0) yield prefix + tuples.join(',');
}

/** Yields every statement of the shop in load order, session settings first. */
export function* shopStatements(options = {}) {
  yield* SESSION_STATEMENTS;
  for (let index = 0; index < SHOP_ROW_SOURCES.length; index++) yield* tableStatements(index, options);
}

/** SHA-256 (hex) of all statements, each followed by ";\n": equal for equal scale and seed. */
export function shopStatementsChecksum(options = {}) {
  const hash = createHash('sha256');
  for (const statement of shopStatements(options)) hash.update(statement + ';\n');
  return hash.digest('hex');
}

async function openSession(connection, schema) {
  const session = await mysql.createConnection({ ...connection, database: schema, charset: 'utf8mb4', multipleStatements: false });
  for (const statement of SESSION_STATEMENTS) await session.query(statement);
  return session;
}

/**
 * Creates schema `schema` (default `shop`) if missing and (re)creates and fills the shop tables.
 * Tables load on `parallel` connections at once. Returns the row count inserted per table.
 *
 * @param {{host: string, port: number, user?: string, password?: string}} connection
 * @param {{schema?: string, scale?: number, seed?: number, parallel?: number}} options
 */
export async function loadShop(connection, { schema = DEFAULT_SCHEMA, scale = 1, seed = DEFAULT_SEED, parallel = 2 } = {}) {
  const target = { user: 'root', password: '', ...connection };
  const admin = await mysql.createConnection(target);
  try {
    await admin.query(`CREATE DATABASE IF NOT EXISTS ${quoteName(schema)} CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci`);
  } finally {
    await admin.end();
  }

  // Largest tables first, so the parallel connections finish at about the same time.
  const pending = [3, 2, 0, 4, 1, 5];
  const counts = {};
  const worker = async () => {
    const session = await openSession(target, schema);
    try {
      for (let index = pending.shift(); index !== undefined; index = pending.shift()) {
        counts[SHOP_ROW_SOURCES[index].table] = await runTable(session, index, { scale, seed });
      }
    } finally {
      await session.end();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, parallel) }, worker));
  return Object.fromEntries(SHOP_TABLES.map((table) => [table, counts[table]]));
}

async function runTable(session, index, options) {
  let rows = 0;
  for (const statement of tableStatements(index, options)) {
    const [result] = await session.query(statement);
    if (statement.startsWith('INSERT')) rows += result.affectedRows;
  }
  return rows;
}

/** Writes a self-contained SQL script (CREATE DATABASE, USE, then every statement) to `file`. */
export async function writeShopSql(file, { schema = DEFAULT_SCHEMA, ...options } = {}) {
  const output = createWriteStream(file);
  const write = async (text) => {
    if (!output.write(text)) await once(output, 'drain');
  };
  await write(`CREATE DATABASE IF NOT EXISTS ${quoteName(schema)} CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci;\nUSE ${quoteName(schema)};\n`);
  for (const statement of shopStatements(options)) await write(statement + ';\n');
  output.end();
  await once(output, 'finish');
}

function connectionFromUrl(text) {
  const url = new URL(text);
  if (url.protocol !== 'mysql:') throw new Error(`invalid --url ${JSON.stringify(text)}: expected mysql://user:password@host:port/`);
  return {
    host: url.hostname,
    port: Number(url.port || 3306),
    user: decodeURIComponent(url.username || 'root'),
    password: decodeURIComponent(url.password),
  };
}

function parseScale(text) {
  const scale = Number(text);
  if (!Number.isFinite(scale) || scale <= 0 || scale > 100) {
    throw new Error(`invalid --scale ${JSON.stringify(text)}: expected a number above 0 and at most 100 (1 gives 50,000 customers)`);
  }
  return scale;
}

async function main() {
  const { values } = parseArgs({
    options: {
      url: { type: 'string' },
      sql: { type: 'string' },
      schema: { type: 'string', default: DEFAULT_SCHEMA },
      scale: { type: 'string', default: '1' },
      seed: { type: 'string', default: String(DEFAULT_SEED) },
    },
  });
  const options = { schema: values.schema, scale: parseScale(values.scale), seed: Number.parseInt(values.seed, 10) };
  if (!Number.isInteger(options.seed)) throw new Error(`invalid --seed ${JSON.stringify(values.seed)}: expected an integer`);

  if (values.sql) {
    await writeShopSql(values.sql, options);
    console.log(`wrote ${values.sql}`);
    return;
  }
  if (!values.url) throw new Error('missing --url mysql://user:password@host:port/ or --sql <file>');
  const started = Date.now();
  const counts = await loadShop(connectionFromUrl(values.url), options);
  console.log(`loaded schema ${options.schema} in ${((Date.now() - started) / 1000).toFixed(1)} s: ${JSON.stringify(counts)}`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
