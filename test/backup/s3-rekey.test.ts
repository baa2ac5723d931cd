import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { runCli } from '../cli/run-cli.js';

const OLD_KEY = randomBytes(32).toString('hex');
const NEW_KEY = randomBytes(32).toString('hex');
const CONNECTION = 'mysql://reader:Rekey-Secret-55@127.0.0.1:3306/shop';

let dataPath: string;
let registryFile: string;

beforeEach(async () => {
  dataPath = await mkdtemp(path.join(os.tmpdir(), 'duckling-rekey-'));
  registryFile = path.join(dataPath, 'databases.json');
  const record = { id: 'shop', name: 'shop', mysqlConnectionString: CONNECTION, duckdbPath: 'shop.db', createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z' };
  await writeFile(registryFile, JSON.stringify([record]));
});

afterEach(async () => {
  await rm(dataPath, { recursive: true, force: true });
});

function rekey(env: Record<string, string>) {
  return runCli(['rekey'], { cwd: dataPath, env: { DATA_PATH: dataPath, ...env } });
}

async function storedConnection(): Promise<string> {
  return JSON.parse(await readFile(registryFile, 'utf8'))[0].mysqlConnectionString;
}

test('rekey seals clear secrets', async () => {
  const run = await rekey({ DUCKLING_SECRETS_KEY: OLD_KEY });
  assert.equal(run.code, 0, run.stderr + run.stdout);
  assert.match(run.stdout, /sealed the secrets of 1 database in .*databases\.json under DUCKLING_SECRETS_KEY/);
  assert.match(await storedConnection(), /^enc:v1:/);
});

test('rekey moves to new key', async () => {
  assert.equal((await rekey({ DUCKLING_SECRETS_KEY: OLD_KEY })).code, 0);
  const sealedOld = await storedConnection();

  const run = await rekey({ DUCKLING_SECRETS_KEY: NEW_KEY, DUCKLING_SECRETS_KEY_PREVIOUS: OLD_KEY });
  assert.equal(run.code, 0, run.stderr + run.stdout);
  assert.notEqual(await storedConnection(), sealedOld);

  const withNewOnly = await rekey({ DUCKLING_SECRETS_KEY: NEW_KEY });
  assert.equal(withNewOnly.code, 0, 'the new key alone opens every value after rekey');
});

test('rekey without key fails', async () => {
  const run = await rekey({});
  assert.equal(run.code, 1, run.stderr + run.stdout);
  assert.match(run.stderr, /DUCKLING_SECRETS_KEY is empty/);
  assert.equal(await storedConnection(), CONNECTION);
});

test('rekey with wrong key fails', async () => {
  assert.equal((await rekey({ DUCKLING_SECRETS_KEY: OLD_KEY })).code, 0);
  const run = await rekey({ DUCKLING_SECRETS_KEY: NEW_KEY });
  assert.equal(run.code, 1, run.stderr + run.stdout);
  assert.match(run.stderr, /secrets_unreadable: sealed value shop\/mysqlConnectionString/);
  assert.doesNotMatch(run.stderr + run.stdout, /Rekey-Secret-55/);
});

test('rekey rejects locked replica', async () => {
  // This process keeps the replica open for writing, as a running server does.
  const instance = await DuckDBInstance.create(path.join(dataPath, 'shop.db'));
  try {
    const run = await rekey({ DUCKLING_SECRETS_KEY: OLD_KEY });
    assert.equal(run.code, 1, run.stderr + run.stdout);
    assert.match(run.stderr, /shop\.db is locked by another process, probably a running "duckling serve"/);
    assert.match(run.stderr, /stop the server and run rekey again/);
    assert.equal(await storedConnection(), CONNECTION);
  } finally {
    instance.closeSync();
  }

  const afterStop = await rekey({ DUCKLING_SECRETS_KEY: OLD_KEY });
  assert.equal(afterStop.code, 0, afterStop.stderr + afterStop.stdout);
});
