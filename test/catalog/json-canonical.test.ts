// canonicalJson must produce exactly DuckDB's json() text, so it is compared with DuckDB itself
// on hand-picked edge cases and on generated documents.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DuckDBInstance, LIST, VARCHAR, listValue, type DuckDBConnection } from '@duckdb/node-api';
import { canonicalJson, InvalidJsonError } from '../../src/catalog/index.js';

let instance: DuckDBInstance;
let connection: DuckDBConnection;

before(async () => {
  instance = await DuckDBInstance.create(':memory:');
  connection = await instance.connect();
});

after(() => {
  connection.closeSync();
  instance.closeSync();
});

async function duckdbJson(texts: string[]): Promise<string[]> {
  const reader = await connection.runAndReadAll('SELECT json(unnest($1))::VARCHAR', [listValue(texts)], [LIST(VARCHAR)]);
  return reader.getRows().map((row) => String(row[0]));
}

const EDGE_CASES = [
  '{"a": "q\\"x", "n": 12345678901234567890}',
  '{"big": 99999999999999999999, "neg": -9223372036854775809, "min": -9223372036854775808, "max": 18446744073709551615}',
  '[1.50, 1e2, 1E+2, 1e-7, 1e21, 1e20, 0.000001, 1e-6, 5e-324, 1.7976931348623157e308, 1e400, -1e400, 1e-400, -1e-400]',
  '[0, -0, 0.0, -0.0, 100, -100, 1.0e0, 9007199254740993.0, 123.456, 0.1, 2.5e-300]',
  '"\\u001f\\u007f\\b\\f\\n\\r\\t\\\\\\/ \\u00e9 \\ud83d\\ude00 é 😀"',
  ' { "dup" : 1 , "dup" : 2 , "nested" : [ [ ] , { } , null , true , false ] } ',
  '"\\u2028\\u2029\\u0000"',
  '12345678901234567890123',
  'null',
];

test('canonical json edge cases', async () => {
  const expected = await duckdbJson(EDGE_CASES);
  EDGE_CASES.forEach((text, index) => assert.equal(canonicalJson(text), expected[index], `input ${text}`));
});

/** A deterministic pseudo-random generator, so a failure reproduces. */
function generator(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
}

function randomNumberText(random: () => number): string {
  const choice = Math.floor(random() * 6);
  if (choice === 0) return String(Math.floor((random() - 0.5) * 1e6));
  if (choice === 1) return (random() * 10 ** Math.floor(random() * 40 - 20)).toString();
  if (choice === 2) return `${Math.floor(random() * 1000)}e${Math.floor(random() * 60 - 30)}`;
  if (choice === 3) return (random() * 1000).toFixed(Math.floor(random() * 8));
  if (choice === 4) return `-${(random() * 1e-5).toPrecision(1 + Math.floor(random() * 17))}`;
  return new Float64Array(new BigUint64Array([BigInt(Math.floor(random() * 2 ** 52)) * 2048n + BigInt(Math.floor(random() * 2048))]).buffer)[0]!.toString();
}

test('canonical json random numbers', async () => {
  const random = generator(42);
  const texts: string[] = [];
  while (texts.length < 2000) {
    const text = randomNumberText(random);
    if (/^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$/.test(text)) texts.push(`[${text}]`);
  }
  const expected = await duckdbJson(texts);
  texts.forEach((text, index) => assert.equal(canonicalJson(text), expected[index], `input ${text}`));
});

test('canonical json invalid input', () => {
  for (const text of ['{"a":1', '[1,]', '"\\ud800"', '"\\x"', '01', '{"a" 1}', '[1] x', '"tab\there"']) {
    assert.throws(() => canonicalJson(text), InvalidJsonError, `input ${text}`);
  }
});
