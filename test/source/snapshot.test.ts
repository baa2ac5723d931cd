import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Connection } from 'mysql2/promise';
import type { SourceDatabase, SourceSnapshot, SourceTable } from '../../src/source/index.js';
import { testSource } from '../harness/mariadb.js';
import { collect, openSource } from './helpers.js';

let source: SourceDatabase;
let fixture: Connection;

before(async () => {
  const server = await testSource();
  const schema = await server.createSchema('paging');
  fixture = await server.connect(schema);
  await fixture.query(`
    CREATE TABLE composite (a INT NOT NULL, b VARCHAR(10) NOT NULL, payload INT, PRIMARY KEY (a, b));
    CREATE TABLE big_keys (k BIGINT UNSIGNED NOT NULL, d DECIMAL(30,2) NOT NULL, PRIMARY KEY (k, d));
    CREATE TABLE enum_key (e ENUM('zulu', 'alpha', 'mike') NOT NULL PRIMARY KEY);
    CREATE TABLE keyless (v INT);
    INSERT INTO enum_key VALUES ('zulu'), ('alpha'), ('mike');
    INSERT INTO keyless VALUES (3), (1), (2), (NULL);
  `);
  const composite: string[] = [];
  for (let a = 1; a <= 5; a += 1) {
    for (const b of ['', 'a', 'B', 'c', 'z']) composite.push(`(${a}, '${b}', ${a * 100})`);
  }
  await fixture.query(`INSERT INTO composite VALUES ${composite.join(', ')}`);
  // Values around 2^53 and 2^64 that a comparison as DOUBLE would merge or misorder.
  await fixture.query(`INSERT INTO big_keys VALUES
    (18446744073709551615, 1.00), (18446744073709551615, 2.00), (18446744073709551614, 1.00),
    (9007199254740993, 0.01), (9007199254740992, 0.01), (9007199254740993, 0.02), (0, 0.00)`);
  source = openSource(server.url(schema));
});

after(async () => {
  await source?.close();
  await fixture?.end();
});

async function table(name: string): Promise<SourceTable> {
  const found = await source.describeTable(name);
  assert.ok(found, `table ${name}`);
  return found;
}

/** Reads a table page by page, continuing after the last key of each page. */
async function readInPages(snapshot: SourceSnapshot, sourceTable: SourceTable, pageSize: number): Promise<unknown[][]> {
  const keyIndexes = sourceTable.key.columns.map((name) => sourceTable.columns.findIndex((column) => column.name === name));
  const rows: unknown[][] = [];
  let cursor: unknown[] | null = null;
  for (let pages = 0; pages < 100; pages += 1) {
    const page: unknown[][] = await collect(snapshot.readPage(sourceTable, cursor, pageSize));
    rows.push(...page);
    if (page.length < pageSize) return rows;
    cursor = keyIndexes.map((index) => page[page.length - 1]![index]);
  }
  throw new Error('paging did not finish within 100 pages');
}

test('paging composite key', async () => {
  const snapshot = await source.openSnapshot();
  try {
    const composite = await table('composite');
    const paged = await readInPages(snapshot, composite, 4);
    const whole = await collect(snapshot.readPage(composite, null, 1000));
    assert.equal(whole.length, 25);
    assert.deepEqual(paged, whole);
    assert.deepEqual(whole.slice(0, 5).map((row) => row[1]), ['', 'a', 'B', 'c', 'z']);
  } finally {
    await snapshot.release();
  }
});

test('paging big integer and decimal keys', async () => {
  const snapshot = await source.openSnapshot();
  try {
    const bigKeys = await table('big_keys');
    const paged = await readInPages(snapshot, bigKeys, 2);
    assert.deepEqual(paged, [
      ['0', '0.00'],
      ['9007199254740992', '0.01'],
      ['9007199254740993', '0.01'],
      ['9007199254740993', '0.02'],
      ['18446744073709551614', '1.00'],
      ['18446744073709551615', '1.00'],
      ['18446744073709551615', '2.00'],
    ]);
  } finally {
    await snapshot.release();
  }
});

test('paging enum key', async () => {
  const snapshot = await source.openSnapshot();
  try {
    const paged = await readInPages(snapshot, await table('enum_key'), 1);
    assert.deepEqual(paged.map((row) => row[0]).sort(), ['alpha', 'mike', 'zulu']);
    assert.equal(paged.length, 3);
  } finally {
    await snapshot.release();
  }
});

test('snapshot reads keyless table', async () => {
  const snapshot = await source.openSnapshot();
  try {
    const rows = await collect(snapshot.readAll(await table('keyless')));
    assert.deepEqual(rows.map((row) => row[0]).sort(), [1, 2, 3, null].sort());
  } finally {
    await snapshot.release();
  }
});

test('snapshot isolation and position', async () => {
  const snapshot = await source.openSnapshot();
  try {
    assert.ok(snapshot.position, 'binlog position recorded');
    assert.match(snapshot.position.file, /binlog\.\d+/);
    assert.ok(snapshot.position.offset > 0);
    assert.equal(typeof snapshot.position.gtid, 'string');

    await fixture.query('INSERT INTO keyless VALUES (99)');
    const rows = await collect(snapshot.readAll(await table('keyless')));
    assert.equal(rows.some((row) => row[0] === 99), false, 'row committed after the snapshot is invisible');
  } finally {
    await snapshot.release();
    await fixture.query('DELETE FROM keyless WHERE v = 99');
  }
});

test('snapshot early stop then continue', async () => {
  const snapshot = await source.openSnapshot();
  try {
    const composite = await table('composite');
    for await (const row of snapshot.readPage(composite, null, 25)) {
      assert.equal(row[0], 1);
      break;
    }
    const rows = await collect(snapshot.readPage(composite, [5, 'c'], 10));
    assert.deepEqual(rows.map((row) => row[1]), ['z']);
  } finally {
    await snapshot.release();
  }
});

test('snapshot release twice', async () => {
  const snapshot = await source.openSnapshot();
  await snapshot.release();
  await snapshot.release();
  await assert.rejects(collect(snapshot.readAll(await table('keyless'))), /released/);
});

test('snapshot resumes after lost connection', async () => {
  await fixture.query('CREATE TABLE big (id INT PRIMARY KEY, pad VARCHAR(200))');
  await fixture.query(
    "INSERT INTO big SELECT seq, REPEAT('x', 200) FROM seq_1_to_50000",
  );
  const snapshot = await source.openSnapshot();
  try {
    const big = await table('big');
    const ids: number[] = [];
    let killed = false;
    for await (const row of snapshot.readPage(big, null, 50000)) {
      ids.push(row[0] as number);
      if (killed) continue;
      killed = true;
      // The reader is paused by back-pressure in the middle of the result; cut its connection.
      const [running] = await fixture.query<import('mysql2/promise').RowDataPacket[]>(
        "SELECT ID AS id FROM information_schema.PROCESSLIST WHERE INFO LIKE 'SELECT `id`, `pad` FROM `big`%'",
      );
      assert.equal(running.length, 1, 'one reader connection found');
      await fixture.query(`KILL CONNECTION ${Number(running[0]!.id)}`);
    }
    assert.equal(ids.length, 50000);
    assert.ok(ids.every((id, index) => id === index + 1), 'every id once, in order');
  } finally {
    await snapshot.release();
  }
});
