import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
// @ts-expect-error plain JavaScript module shared with the demo and benchmark scripts
import { startPrivateMariaDb, loadSakila, sakilaDirectory } from '../../scripts/lib/private-mariadb.mjs';

export interface TestSource {
  host: string;
  port: number;
  /** Connection string for a schema as root with an empty password. */
  url(schema?: string): string;
  /** A root connection (multiple statements allowed) for fixtures; close it when done. */
  connect(schema?: string): Promise<mysql.Connection>;
  /** Creates a fresh, uniquely named schema and returns its name. */
  createSchema(prefix: string): Promise<string>;
  stop(): Promise<void>;
}

let shared: Promise<TestSource> | null = null;

/**
 * Returns the private MariaDB of this test run: the one `npm test` started (with Sakila loaded in
 * schema `sakila`), or, when a test file runs on its own, one started for this process.
 */
export function testSource(): Promise<TestSource> {
  shared ??= openTestSource();
  return shared;
}

async function openTestSource(): Promise<TestSource> {
  const host = process.env.DUCKLING_TEST_MYSQL_HOST;
  const port = Number(process.env.DUCKLING_TEST_MYSQL_PORT);
  if (host && port) return wrap(host, port, async () => {});

  const server = await startPrivateMariaDb();
  const directory = sakilaDirectory(process.env.DUCKLING_TEST_SAKILA_DIR);
  if (directory) loadSakila(server, directory);
  return wrap(server.host, server.port, () => server.stop());
}

function wrap(host: string, port: number, stop: () => Promise<void>): TestSource {
  const url = (schema = '') => `mysql://root@${host}:${port}/${schema}`;
  const connect = (schema?: string) =>
    mysql.createConnection({ host, port, user: 'root', database: schema, multipleStatements: true, dateStrings: true, supportBigNumbers: true, bigNumberStrings: true });
  return {
    host,
    port,
    url,
    connect,
    async createSchema(prefix: string) {
      const name = `${prefix}_${randomBytes(4).toString('hex')}`;
      const connection = await connect();
      try {
        await connection.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4`);
      } finally {
        await connection.end();
      }
      return name;
    },
    stop,
  };
}
