// The encoder must not depend on the host's time zone, so the zone is set before any module loads.
process.env.TZ = 'America/New_York';

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

const { csvField } = await import('../../src/catalog/encode.js');
const { openReplicaFixture } = await import('../query/replica-fixture.js');
type Fixture = Awaited<ReturnType<typeof openReplicaFixture>>;

let fixture: Fixture;

/** Encodes the value of one SQL expression through the query service. */
async function encoded(expression: string): Promise<unknown> {
  const result = await fixture.service.execute(fixture.request(`SELECT ${expression} AS v`));
  return result.rows[0]![0];
}

before(async () => {
  fixture = await openReplicaFixture(async () => {});
});
after(async () => {
  await fixture.close();
});

describe('encodeValue integers', () => {
  const cases: Array<[string, unknown]> = [
    ['9007199254740991::BIGINT', 9007199254740991],
    ['9007199254740992::BIGINT', '9007199254740992'],
    ['-9007199254740991::BIGINT', -9007199254740991],
    ['-9007199254740992::BIGINT', '-9007199254740992'],
    ["'-9223372036854775808'::BIGINT", '-9223372036854775808'],
    ['18446744073709551615::UBIGINT', '18446744073709551615'],
    ['18000000000000000000::UBIGINT', '18000000000000000000'],
    ['7::UBIGINT', 7],
    ['170141183460469231731687303715884105727::HUGEINT', '170141183460469231731687303715884105727'],
    ['-42::HUGEINT', -42],
    ['340282366920938463463374607431768211455::UHUGEINT', '340282366920938463463374607431768211455'],
    ["'-128'::TINYINT", -128],
    ['255::UTINYINT', 255],
    ['4294967295::UINTEGER', 4294967295],
    ['true', true],
  ];
  for (const [expression, expected] of cases) {
    test(expression, async () => assert.deepEqual(await encoded(expression), expected));
  }
});

describe('encodeValue decimals', () => {
  const cases: Array<[string, string]> = [
    ["'-1234567890123456789012345678.0123456789'::DECIMAL(38,10)", '-1234567890123456789012345678.0123456789'],
    ["'0.0000000001'::DECIMAL(38,10)", '0.0000000001'],
    ["'-0.5'::DECIMAL(38,10)", '-0.5000000000'],
    ["'12'::DECIMAL(4,0)", '12'],
    ["'1.5'::DECIMAL(18,3)", '1.500'],
    ["'-0.07'::DECIMAL(5,2)", '-0.07'],
    ["'0'::DECIMAL(12,2)", '0.00'],
  ];
  for (const [expression, expected] of cases) {
    test(expression, async () => assert.equal(await encoded(expression), expected));
  }
});

describe('encodeValue floating point', () => {
  const cases: Array<[string, string]> = [
    ['3.4028235e38::FLOAT', '3.4028235e+38'],
    ['-3.4028235e38::FLOAT', '-3.4028235e+38'],
    ['0.1::FLOAT', '0.1'],
    ['1.17549435e-38::FLOAT', '1.1754944e-38'],
    ['1.4e-45::FLOAT', '1e-45'],
    ['16777217::FLOAT', '16777216'],
    ['1.7976931348623157e308::DOUBLE', '1.7976931348623157e+308'],
    ['5e-324::DOUBLE', '5e-324'],
    ['0.1::DOUBLE + 0.2::DOUBLE', '0.30000000000000004'],
    ["'NaN'::DOUBLE", '"NaN"'],
    ["'Infinity'::DOUBLE", '"Infinity"'],
    ["'-Infinity'::DOUBLE", '"-Infinity"'],
    ["'NaN'::FLOAT", '"NaN"'],
    ["'-Infinity'::FLOAT", '"-Infinity"'],
  ];
  for (const [expression, json] of cases) {
    test(expression, async () => assert.equal(JSON.stringify(await encoded(expression)), json));
  }

  test('negative zero kept', async () => {
    assert.ok(Object.is(await encoded('-0.0::DOUBLE'), -0));
    assert.ok(Object.is(await encoded('-0.0::FLOAT'), -0));
  });
});

describe('encodeValue temporal', () => {
  const cases: Array<[string, string]> = [
    ["'2024-03-10 07:30:00.123+00'::TIMESTAMPTZ", '2024-03-10T07:30:00.123Z'],
    ["'2024-03-10 07:30:00.123456+00'::TIMESTAMPTZ", '2024-03-10T07:30:00.123456Z'],
    ["'2024-11-03 05:59:59+00'::TIMESTAMPTZ", '2024-11-03T05:59:59.000Z'],
    ["'1969-12-31 23:59:59.999999+00'::TIMESTAMPTZ", '1969-12-31T23:59:59.999999Z'],
    ["'10000-01-01 00:00:00+00'::TIMESTAMPTZ", '+010000-01-01T00:00:00.000Z'],
    ["'infinity'::TIMESTAMPTZ", 'infinity'],
    ["'2024-01-02 03:04:05.123456'::TIMESTAMP", '2024-01-02 03:04:05.123456'],
    ["'2024-01-02 03:04:05'::TIMESTAMP", '2024-01-02 03:04:05.000000'],
    ["'2024-01-02 03:04:05'::TIMESTAMP_S", '2024-01-02 03:04:05'],
    ["'2024-01-02 03:04:05.120'::TIMESTAMP_MS", '2024-01-02 03:04:05.120'],
    ["'2024-01-02 03:04:05.123456789'::TIMESTAMP_NS", '2024-01-02 03:04:05.123456789'],
    ["'1677-09-22 00:00:00.000000001'::TIMESTAMP_NS", '1677-09-22 00:00:00.000000001'],
    ["'-infinity'::TIMESTAMP", '-infinity'],
    ["'12:34:56.5'::TIME", '12:34:56.500000'],
    ["'00:00:00'::TIME", '00:00:00.000000'],
    ['to_microseconds(-5400250000)', '-01:30:00.250000'],
    ['to_microseconds(108000000000)', '30:00:00.000000'],
    ['to_microseconds(0)', '00:00:00.000000'],
    ["INTERVAL '1 month'", '1 month'],
    ["INTERVAL '1 day 2 hours'", '1 day 02:00:00'],
    ["'2024-02-29'::DATE", '2024-02-29'],
    ["'infinity'::DATE", 'infinity'],
    ["'-infinity'::DATE", '-infinity'],
  ];
  for (const [expression, expected] of cases) {
    test(expression, async () => assert.equal(await encoded(expression), expected));
  }

  test('dates match DuckDB text', async () => {
    const dates = ['1970-01-01', '1900-02-28', '2000-02-29', '0001-01-01', '0001-01-01 (BC)', '0045-03-15 (BC)', '9999-12-31', '12345-03-04', '1582-10-04'];
    for (const date of dates) {
      const result = await fixture.service.execute(fixture.request(`SELECT d, d::VARCHAR FROM (SELECT '${date}'::DATE AS d)`));
      assert.equal(result.rows[0]![0], result.rows[0]![1], date);
    }
  });

  test('timestamps outside 0000-9999', async () => {
    assert.equal(await encoded("'0001-01-01 (BC) 10:00:00'::TIMESTAMP_S"), '0001-01-01 10:00:00 (BC)');
    assert.equal(await encoded("'20000-06-01 00:00:01'::TIMESTAMP_S"), '20000-06-01 00:00:01');
  });
});

describe('encodeValue text and binary', () => {
  test('blob with every byte', async () => {
    const bytes = Buffer.from(Array.from({ length: 256 }, (_, index) => index));
    assert.equal(await encoded(`from_hex('${bytes.toString('hex')}')`), bytes.toString('base64'));
  });

  test('strings and their kin', async () => {
    assert.equal(await encoded("'emoji 😀 ok'"), 'emoji 😀 ok');
    assert.equal(await encoded("'{\"a\": [1, 2]}'::JSON"), '{"a": [1, 2]}');
    assert.equal(await encoded("'6f1c4c7e-3c5e-4b8a-9f1d-0a2b3c4d5e6f'::UUID"), '6f1c4c7e-3c5e-4b8a-9f1d-0a2b3c4d5e6f');
    assert.equal(await encoded("'b'::ENUM('a', 'b')"), 'b');
    assert.equal(await encoded("'10110'::BIT"), '10110');
    assert.equal(await encoded('NULL::VARCHAR'), null);
  });
});

describe('encodeValue nested', () => {
  test('list with nulls and big integers', async () => {
    assert.deepEqual(await encoded('[1, NULL, 9007199254740993]::BIGINT[]'), [1, null, '9007199254740993']);
  });

  test('array of decimals', async () => {
    assert.deepEqual(await encoded("['1.5', '2']::DECIMAL(5,2)[2]"), ['1.50', '2.00']);
  });

  test('struct', async () => {
    assert.deepEqual(await encoded("{'a': 1, 'b': 'x', 'c': '2024-01-01'::DATE, 'd': NULL::INTEGER}"), { a: 1, b: 'x', c: '2024-01-01', d: null });
  });

  test('map', async () => {
    assert.deepEqual(await encoded("MAP {'k': 1.5::DOUBLE, 'z': NULL}"), { k: 1.5, z: null });
    assert.deepEqual(await encoded("MAP {1: 'one', 2: 'two'}"), { 1: 'one', 2: 'two' });
  });

  test('list of structs with timestamps', async () => {
    const value = await encoded("[{'at': '2024-01-01 00:00:00.5+00'::TIMESTAMPTZ, 'tags': ['x']}]");
    assert.deepEqual(value, [{ at: '2024-01-01T00:00:00.500Z', tags: ['x'] }]);
  });
});

describe('csvField', () => {
  const cases: Array<[unknown, string]> = [
    [null, ''],
    ['', '""'],
    ['plain', 'plain'],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['two\nlines', '"two\nlines"'],
    ['cr\r', '"cr\r"'],
    [12.5, '12.5'],
    [false, 'false'],
    ['18446744073709551615', '18446744073709551615'],
    [[1, 'a'], '"[1,""a""]"'],
    [{ a: null }, '"{""a"":null}"'],
  ];
  for (const [value, expected] of cases) {
    test(JSON.stringify(value), () => assert.equal(csvField(value as never), expected));
  }
});
