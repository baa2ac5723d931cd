import type { Connection } from 'mysql2/promise';
import { testSource, type TestSource } from '../harness/mariadb.js';

/** Tables that exercise each per-table finding of the diagnosis. */
export const FIXTURE_SQL = `
  CREATE TABLE items (id INT PRIMARY KEY, label VARCHAR(20), updated_at DATETIME(3) NOT NULL, KEY by_update (updated_at));
  CREATE TABLE logs (body TEXT);
  CREATE TABLE plain (id INT PRIMARY KEY, label VARCHAR(20));
  CREATE TABLE events (id INT PRIMARY KEY, modified_at TIMESTAMP NULL, KEY by_label (id, modified_at));
  CREATE TABLE zeroes (id INT PRIMARY KEY, born DATE);
  CREATE TABLE appended (id BIGINT PRIMARY KEY, note VARCHAR(10));
  SET SESSION sql_mode = '';
  INSERT INTO zeroes VALUES (1, '0000-00-00'), (2, '2024-02-29');
  INSERT INTO items VALUES (1, 'one', '2024-01-01 00:00:00.000');
`;

export interface DiagnoseFixture {
  source: TestSource;
  schema: string;
  admin: Connection;
  /** User name and password of an account with SELECT on the schema and nothing else. */
  selectOnly: { user: string; password: string };
}

export async function createFixture(prefix: string): Promise<DiagnoseFixture> {
  const source = await testSource();
  const schema = await source.createSchema(prefix);
  const admin = await source.connect(schema);
  await admin.query(FIXTURE_SQL);

  const user = `sel_${schema.slice(-8)}`;
  const password = 'reader-password-1';
  await admin.query(`CREATE USER '${user}'@'%' IDENTIFIED BY '${password}'`);
  await admin.query(`GRANT SELECT ON \`${schema}\`.* TO '${user}'@'%'`);
  return { source, schema, admin, selectOnly: { user, password } };
}

/** Connection string for `user` on the fixture schema. */
export function urlAs(fixture: DiagnoseFixture, user: string, password: string): string {
  return `mysql://${user}:${password}@${fixture.source.host}:${fixture.source.port}/${fixture.schema}`;
}

export async function dropFixture(fixture: DiagnoseFixture | undefined): Promise<void> {
  if (!fixture) return;
  await fixture.admin.query(`DROP USER IF EXISTS '${fixture.selectOnly.user}'@'%'`);
  await fixture.admin.end();
}
