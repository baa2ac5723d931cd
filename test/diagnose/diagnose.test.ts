import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { diagnoseSource, type Diagnosis, type DiagnosisCheck } from '../../src/diagnose/index.js';
import { DucklingError } from '../../src/errors/index.js';
import type { SourceDatabase } from '../../src/source/index.js';
import { openSource } from '../source/helpers.js';
import { createFixture, dropFixture, urlAs, type DiagnoseFixture } from './fixtures.js';

const CANDIDATES = ['updated_at', 'modified_at'];

let fixture: DiagnoseFixture;
const sources: SourceDatabase[] = [];

function open(url: string): SourceDatabase {
  const source = openSource(url, { MYSQL_MAX_RETRIES: '0' });
  sources.push(source);
  return source;
}

async function diagnose(url: string, extra: { appendOnlyTables?: string[]; lookbackSeconds?: number } = {}): Promise<{ diagnosis: Diagnosis; ticks: DiagnosisCheck[] }> {
  const ticks: DiagnosisCheck[] = [];
  const diagnosis = await diagnoseSource({
    databaseId: 'test',
    source: open(url),
    excludedTables: [],
    watermarkCandidates: CANDIDATES,
    lookbackSeconds: 0,
    syncOptions: { appendOnlyTables: extra.appendOnlyTables, lookbackSeconds: extra.lookbackSeconds },
    onCheck: (check) => ticks.push(check),
  });
  return { diagnosis, ticks };
}

function check(diagnosis: Diagnosis, id: string): DiagnosisCheck {
  const found = diagnosis.checks.find((entry) => entry.id === id);
  assert.ok(found, `no check ${id} in ${diagnosis.checks.map((entry) => entry.id).join(', ')}`);
  return found;
}

function table(diagnosis: Diagnosis, name: string) {
  const found = diagnosis.tables.find((entry) => entry.table === name);
  assert.ok(found, `no table ${name}`);
  return found;
}

before(async () => {
  fixture = await createFixture('diagnose');
});

after(async () => {
  for (const source of sources) await source.close();
  await dropFixture(fixture);
});

test('diagnose server checks as root', async () => {
  const { diagnosis, ticks } = await diagnose(fixture.source.url(fixture.schema));
  assert.deepEqual(ticks, diagnosis.checks);
  assert.equal(diagnosis.checks[0]!.id, 'connection');
  assert.equal(check(diagnosis, 'connection').status, 'pass');
  assert.equal(diagnosis.source.flavour, 'mariadb');
  for (const id of ['log_bin', 'binlog_format', 'binlog_row_image', 'binlog_status', 'replication', 'privileges', 'lower_case_table_names']) {
    assert.equal(check(diagnosis, id).status, 'pass', `${id}: ${check(diagnosis, id).detail}`);
  }
  assert.equal(check(diagnosis, 'binlog_format').detail, 'binlog_format ROW');
  assert.match(check(diagnosis, 'binlog_retention').detail, /^expire_logs_days /);
  assert.equal(check(diagnosis, 'binlog_row_value_options').status, 'pass');
});

test('diagnose tables', async () => {
  const { diagnosis } = await diagnose(fixture.source.url(fixture.schema), { appendOnlyTables: ['appended'] });

  const items = table(diagnosis, 'items');
  assert.deepEqual(items.key, { kind: 'primary', columns: ['id'] });
  assert.deepEqual(items.watermark, { column: 'updated_at', quality: 'best' });
  assert.equal(items.warnings.some((warning) => warning.includes('no index')), false);
  assert.match(items.collation ?? '', /^utf8mb4/);

  const logs = table(diagnosis, 'logs');
  assert.deepEqual(logs.key, { kind: 'none', columns: [] });
  assert.deepEqual(logs.watermark, { column: null, quality: 'none' });
  assert.match(logs.warnings[0]!, /no primary key/);
  assert.equal(check(diagnosis, 'table:logs').status, 'warn');

  const plain = table(diagnosis, 'plain');
  assert.deepEqual(plain.watermark, { column: null, quality: 'none' });
  assert.deepEqual(plain.warnings.map((warning) => warning.slice(0, 19)), ['no watermark column']);
  assert.deepEqual(plain.zeroDateColumns, []);

  const events = table(diagnosis, 'events');
  assert.deepEqual(events.watermark, { column: 'modified_at', quality: 'best' });
  assert.ok(events.warnings.some((warning) => warning.startsWith('no index starts with watermark column modified_at')), events.warnings.join('\n'));

  assert.deepEqual(table(diagnosis, 'zeroes').zeroDateColumns, ['born']);
  assert.deepEqual(table(diagnosis, 'appended').watermark, { column: 'id', quality: 'append-only' });
});

test('second-precision watermark needs lookback', async () => {
  const { diagnosis } = await diagnose(fixture.source.url(fixture.schema));
  const secondPrecision = (name: string) => table(diagnosis, name).warnings.filter((warning) => warning.includes('whole-second precision'));
  // events.modified_at is TIMESTAMP (whole seconds), items.updated_at is DATETIME(3).
  assert.equal(secondPrecision('events').length, 1);
  assert.match(secondPrecision('events')[0]!, /^watermark modified_at has whole-second precision .* set sync\.lookbackSeconds or INCREMENTAL_LOOKBACK_SECONDS to 1 or more$/);
  assert.deepEqual(secondPrecision('items'), []);

  const withLookback = (await diagnose(fixture.source.url(fixture.schema), { lookbackSeconds: 2 })).diagnosis;
  assert.ok(!table(withLookback, 'events').warnings.some((warning) => warning.includes('whole-second precision')));
});

test('diagnose summary', async () => {
  const { diagnosis } = await diagnose(fixture.source.url(fixture.schema));
  assert.deepEqual(
    { ...diagnosis.summary, checks: undefined },
    { tables: 6, keyedTables: 5, watermarkTables: 2, columns: 12, unsupportedColumns: 0, checks: undefined },
  );
  const { pass, warn, fail } = diagnosis.summary.checks;
  assert.equal(pass + warn + fail, diagnosis.checks.length);
  const expected = fail > 0 ? 'fail' : 'warn';
  assert.equal(diagnosis.status, expected, 'the fixture has warnings, so the status is at least warn');
});

test('diagnose select-only user', async () => {
  const { user, password } = fixture.selectOnly;
  const { diagnosis } = await diagnose(urlAs(fixture, user, password));
  assert.equal(check(diagnosis, 'privileges').status, 'pass');
  assert.equal(diagnosis.tables.length, 6);

  const binlogStatus = check(diagnosis, 'binlog_status');
  assert.equal(binlogStatus.status, 'warn');
  assert.match(binlogStatus.detail, /^insufficient privileges/);
  assert.match(binlogStatus.fix ?? '', /BINLOG MONITOR/);

  const replication = check(diagnosis, 'replication');
  assert.equal(replication.status, 'warn');
  assert.match(replication.detail, /^insufficient privileges/);
});

test('diagnose wrong password', async () => {
  const ticks: DiagnosisCheck[] = [];
  await assert.rejects(
    diagnoseSource({
      databaseId: 'test',
      source: open(urlAs(fixture, fixture.selectOnly.user, 'wrong-password')),
      excludedTables: [],
      watermarkCandidates: CANDIDATES,
      lookbackSeconds: 0,
      onCheck: (entry) => ticks.push(entry),
    }),
    (error: unknown) => error instanceof DucklingError && error.code === 'DUCKLING_SOURCE_UNAVAILABLE',
  );
  assert.deepEqual(ticks.map((entry) => [entry.id, entry.status]), [['connection', 'fail']]);
});
