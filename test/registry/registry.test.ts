import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { loadConfig } from '../../src/config/index.js';
import { silentLogger } from '../../src/logging/index.js';
import { DatabaseRegistry, RegistryError, writeFileAtomic } from '../../src/registry/index.js';

let dataPath: string;

beforeEach(async () => {
  dataPath = await mkdtemp(path.join(os.tmpdir(), 'duckling-registry-'));
});

afterEach(async () => {
  await rm(dataPath, { recursive: true, force: true });
});

function configWith(env: Record<string, string>) {
  return loadConfig({ DATA_PATH: dataPath, ...env }, { cwd: dataPath });
}

function validRecord(overrides: Record<string, unknown> = {}) {
  return {
    id: 'shop',
    name: 'Shop',
    mysqlConnectionString: 'mysql://reader:secret@127.0.0.1:3306/shop',
    duckdbPath: 'shop.db',
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    ...overrides,
  };
}

describe('DatabaseRegistry.load', () => {
  test('seeds default from connection string', async () => {
    const config = configWith({ MYSQL_CONNECTION_STRING: 'mysql://root@127.0.0.1:3306/sakila', DUCKDB_PATH: 'replica.db' });
    const registry = await DatabaseRegistry.load({ config, logger: silentLogger() });

    const [record] = registry.list();
    assert.equal(registry.list().length, 1);
    assert.equal(record?.id, 'default');
    assert.equal(record?.duckdbPath, 'replica.db');
    assert.equal(record?.mysqlConnectionString, 'mysql://root@127.0.0.1:3306/sakila');
    assert.equal(registry.replicaPath(record!), path.join(dataPath, 'replica.db'));

    const file = path.join(dataPath, 'databases.json');
    const written = JSON.parse(await readFile(file, 'utf8'));
    assert.deepEqual(written, [record]);
    assert.equal((await stat(file)).mode & 0o777, 0o600);
  });

  test('writes nothing without connection string', async () => {
    const registry = await DatabaseRegistry.load({ config: configWith({}), logger: silentLogger() });

    assert.equal(registry.list().length, 0);
    assert.deepEqual(await readdir(dataPath), []);
  });

  test('existing file wins over connection string', async () => {
    await writeFile(path.join(dataPath, 'databases.json'), JSON.stringify([validRecord()]));
    const config = configWith({ MYSQL_CONNECTION_STRING: 'mysql://root@127.0.0.1:3306/other' });
    const registry = await DatabaseRegistry.load({ config, logger: silentLogger() });

    assert.deepEqual(registry.list().map((record) => record.id), ['shop']);
    assert.equal(registry.get('default'), undefined);
  });

  test('keeps fields it does not use', async () => {
    const record = validRecord({ apiKeys: [{ keyId: 'k1', name: 'reporting' }], sync: { excludedTables: ['audit'], lookbackSeconds: 5 } });
    await writeFile(path.join(dataPath, 'databases.json'), JSON.stringify([record]));
    const registry = await DatabaseRegistry.load({ config: configWith({}), logger: silentLogger() });

    assert.deepEqual(registry.get('shop'), record);
  });

  test('corrupted file is moved aside', async () => {
    const file = path.join(dataPath, 'databases.json');
    await writeFile(file, '[{"id": "shop",');

    await assert.rejects(DatabaseRegistry.load({ config: configWith({}), logger: silentLogger() }), (error: unknown) => {
      assert.ok(error instanceof RegistryError);
      assert.match(error.message, /not valid JSON/);
      assert.match(error.message, /databases\.json\.corrupted\./);
      return true;
    });

    const names = await readdir(dataPath);
    assert.equal(names.includes('databases.json'), false);
    const moved = names.filter((name) => /^databases\.json\.corrupted\.\d{4}-\d{2}-\d{2}T[\d-]+Z$/.test(name));
    assert.equal(moved.length, 1);
    assert.equal(await readFile(path.join(dataPath, moved[0]!), 'utf8'), '[{"id": "shop",');
  });

  test('invalid records name field and value', async () => {
    const records = [
      validRecord({ id: 'Bad-Id' }),
      validRecord({ id: 'two', duckdbPath: '../escape.db' }),
      validRecord({ id: 'three', duckdbPath: 'three.db', createdAt: 'yesterday' }),
      validRecord({ id: 'four', duckdbPath: 'four.db', sync: { excludedTables: 'audit' } }),
      validRecord({ id: 'four', duckdbPath: 'five.db' }),
    ];
    await writeFile(path.join(dataPath, 'databases.json'), JSON.stringify(records));

    await assert.rejects(DatabaseRegistry.load({ config: configWith({}), logger: silentLogger() }), (error: unknown) => {
      assert.ok(error instanceof RegistryError);
      const text = error.problems.join('\n');
      assert.match(text, /record 0 \(id "Bad-Id"\): id "Bad-Id" is invalid/);
      assert.match(text, /duckdbPath "\.\.\/escape\.db" is invalid/);
      assert.match(text, /createdAt "yesterday" is invalid/);
      assert.match(text, /sync\.excludedTables must be an array/);
      assert.match(text, /id "four" is already used by record 3/);
      return true;
    });
    // An invalid file is left in place for the operator to fix.
    assert.ok((await readdir(dataPath)).includes('databases.json'));
  });

  test('non-array file is rejected', async () => {
    await writeFile(path.join(dataPath, 'databases.json'), '{"id": "shop"}');

    await assert.rejects(DatabaseRegistry.load({ config: configWith({}), logger: silentLogger() }), /must contain a JSON array/);
  });
});

describe('writeFileAtomic', () => {
  test('replaces file with mode 0600', async () => {
    const file = path.join(dataPath, 'databases.json');
    await writeFile(file, 'old', { mode: 0o644 });

    await writeFileAtomic(file, 'new content');

    assert.equal(await readFile(file, 'utf8'), 'new content');
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.deepEqual(await readdir(dataPath), ['databases.json']);
  });

  test('failed write keeps old file', async () => {
    const file = path.join(dataPath, 'missing-dir', 'databases.json');

    await assert.rejects(writeFileAtomic(file, 'content'), /ENOENT/);
    assert.deepEqual(await readdir(dataPath), []);
  });
});

describe('registry seed changes', () => {
  let directory: string;
  beforeEach(async () => {
    directory = await mkdtemp(path.join(os.tmpdir(), 'duckling-registry-seed-'));
  });
  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  test('changed seed is warned about', async () => {
    const { Writable } = await import('node:stream');
    const { createLogger } = await import('../../src/logging/index.js');
    const lines: string[] = [];
    const destination = new Writable({ write: (chunk, _encoding, done) => { lines.push(String(chunk)); done(); } });
    const logger = createLogger({ level: 'info', version: 'test', destination });

    const first = loadConfig({ DATA_PATH: directory, MYSQL_CONNECTION_STRING: 'mysql://app:old-pw@127.0.0.1:3306/shop' }, { cwd: directory });
    await DatabaseRegistry.load({ config: first, logger });
    const second = loadConfig({ DATA_PATH: directory, MYSQL_CONNECTION_STRING: 'mysql://app:new-pw@127.0.0.1:3306/shop' }, { cwd: directory });
    const registry = await DatabaseRegistry.load({ config: second, logger });
    await new Promise((resolve) => setImmediate(resolve));

    assert.equal(registry.get('default')?.mysqlConnectionString, 'mysql://app:old-pw@127.0.0.1:3306/shop');
    const output = lines.join('');
    assert.match(output, /MYSQL_CONNECTION_STRING differs from the registry and is ignored/);
    assert.ok(!output.includes('old-pw'));
    assert.ok(!output.includes('new-pw'));
  });
});

test('sync settings are validated', async () => {
  const { validateRecords } = await import('../../src/registry/index.js');
  const record = {
    id: 'shop', name: 'shop', mysqlConnectionString: 'mysql://u@h/s', duckdbPath: 'shop.db',
    createdAt: '2026-01-01T00:00:00Z', updatedAt: '2026-01-01T00:00:00Z',
    sync: { appendOnlyTables: 'events', watermarkColumns: { orders: 7 }, lookbackSeconds: 1.5 },
  };
  const problems = validateRecords([record]);
  assert.equal(problems.length, 3, problems.join('\n'));
  assert.match(problems[0]!, /sync.appendOnlyTables must be an array of table names, found "events"/);
  assert.match(problems[1]!, /sync.watermarkColumns must map table names to column names/);
  assert.match(problems[2]!, /sync.lookbackSeconds must be a whole number of seconds, 0 or more, found 1.5/);
});
