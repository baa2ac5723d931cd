import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Connection } from 'mysql2/promise';
import { silentLogger } from '../../src/logging/index.js';
import { SyncService } from '../../src/sync/index.js';
import { validateDatabase, type TableValidation } from '../../src/sync/validation/index.js';
import { testSource } from '../harness/mariadb.js';
import { openTarget, syncConfig, tempDirectory } from './helpers.js';

const directory = tempDirectory();
let target: Awaited<ReturnType<typeof openTarget>>;
let service: SyncService;
let admin: Connection;

before(async () => {
  const source = await testSource();
  const schema = await source.createSchema('validate_types');
  admin = await source.connect(schema);
  await admin.query(`
    SET SESSION sql_mode = '';
    CREATE TABLE awkward (
      id BIGINT UNSIGNED PRIMARY KEY,
      big DECIMAL(65,30), mid DECIMAL(38,10), f FLOAT, d DOUBLE, b1 BIT(1), b64 BIT(64),
      dt6 DATETIME(6), ts3 TIMESTAMP(3) NULL, t TIME(6), y YEAR, zero_date DATE,
      e ENUM('', 'x', 'y'), s SET('a', 'b', 'c'), j JSON, bin VARBINARY(16), blobby BLOB,
      g GEOMETRY, emoji VARCHAR(20) CHARACTER SET utf8mb4
    );
    INSERT INTO awkward VALUES
      (18446744073709551615, '12345678901234567890123456789012345.123456789012345678901234567890', '-1234567890123456789012345678.0123456789',
       3.4028234e38, -1.7976931348623157e308, b'1', b'1111111111111111111111111111111111111111111111111111111111111111',
       '9999-12-31 23:59:59.999999', '2038-01-19 03:14:07.999', '-838:59:59.000000', 2155, '0000-00-00',
       '', 'a,c', '{"k": "quote \\\\" here", "n": 12345678901234567890}', X'00FF10', X'DEADBEEF',
       ST_GeomFromText('POINT(1 2)', 4326), 'duck 🦆 ü'),
      (0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
      (5, '0.000000000000000000000000000001', '0.0000000001', -0.5, 5e-324, b'0', b'0',
       '1000-01-01 00:00:00.000001', '1970-01-01 00:00:01.000', '25:00:00.5', 1901, '2024-02-29',
       'y', '', '[]', X'', X'', ST_GeomFromText('LINESTRING(0 0, 1 1)'), '');
    CREATE TABLE words (
      word VARCHAR(40) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci NOT NULL,
      lang ENUM('zz', 'aa') NOT NULL,
      n INT,
      PRIMARY KEY (word, lang)
    );
    INSERT INTO words
      SELECT CONCAT(CASE seq % 4 WHEN 0 THEN 'a' WHEN 1 THEN 'B' WHEN 2 THEN 'é' ELSE '_' END, LPAD(seq, 6, '0')),
             IF(seq % 3 = 0, 'zz', 'aa'), seq
        FROM seq_1_to_25000;
    CREATE TABLE moments (at DATETIME(6) NOT NULL PRIMARY KEY, note VARCHAR(10));
    INSERT INTO moments VALUES ('2024-01-01 00:00:00', 'a'), ('2024-01-01 00:00:00.000001', 'b'), ('1999-12-31 23:59:59.5', 'c');
    CREATE TABLE loose (a INT, b VARCHAR(5));
    INSERT INTO loose VALUES (1, 'x'), (1, 'x'), (NULL, NULL);
  `);
  target = await openTarget(directory, source.url(schema));
  service = new SyncService({ config: syncConfig(directory), logger: silentLogger() });
  const stats = await service.startFullRun(target, { trigger: 'manual' }).completion;
  assert.deepEqual(stats.errors, []);
});

after(async () => {
  await service.shutdown();
  await target.close();
  await admin.end();
});

function byTable(results: TableValidation[]): Map<string, TableValidation> {
  return new Map(results.map((result) => [result.table, result]));
}

test('awkward types checksum equal', async () => {
  const report = await validateDatabase(target, { mode: 'checksum' }, silentLogger());
  const results = byTable(report.validationResults);
  for (const table of ['awkward', 'words', 'moments']) {
    const result = results.get(table)!;
    assert.equal(result.error, undefined, `${table}: ${result.error}`);
    assert.deepEqual(result.mismatchedRanges, [], table);
    assert.equal(result.checksumMatch, true, table);
    assert.equal(result.match, true, table);
  }
});

test('keyless table counts only', async () => {
  const report = await validateDatabase(target, { mode: 'checksum', table: 'loose' }, silentLogger());
  const loose = report.validationResults[0]!;
  assert.equal(loose.match, true);
  assert.equal(loose.mysqlCount, 3);
  assert.equal(loose.checksumMatch, null);
  assert.match(loose.checksumSkipped ?? '', /not applicable/);
});

test('string key mismatch range', async () => {
  // Binary order puts 'B…' keys first and 'é…' keys last; case-insensitive order would mix 'a…' and 'B…'.
  await target.replica.withWriter(async (writer) => {
    await writer.run(`UPDATE main.words SET n = -1 WHERE word = 'B012345'`);
    await writer.run(`DELETE FROM main.words WHERE word = 'é024998'`);
  });
  const report = await validateDatabase(target, { mode: 'checksum', table: 'words' }, silentLogger());
  const words = report.validationResults[0]!;
  assert.equal(words.difference, 1);
  assert.equal(words.mismatchedRanges?.length, 2, JSON.stringify(words.mismatchedRanges));
  const contains = (key: string) =>
    words.mismatchedRanges!.some((range) => Buffer.compare(Buffer.from(String(range.fromKey[0])), Buffer.from(key)) <= 0
      && Buffer.compare(Buffer.from(key), Buffer.from(String(range.toKey[0]))) <= 0);
  assert.ok(contains('B012345'), JSON.stringify(words.mismatchedRanges));
  assert.ok(contains('é024998'), JSON.stringify(words.mismatchedRanges));
});

test('extra replica row found', async () => {
  await target.replica.withWriter(async (writer) => {
    await writer.run(`INSERT INTO main.moments VALUES ('1900-01-01 00:00:00', 'old')`);
  });
  const report = await validateDatabase(target, { mode: 'checksum', table: 'moments' }, silentLogger());
  const moments = report.validationResults[0]!;
  assert.equal(moments.difference, -1);
  assert.equal(moments.checksumMatch, false);
  assert.deepEqual(moments.mismatchedRanges?.[0]?.fromKey, ['1900-01-01 00:00:00.000000']);
});
