import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { loadConfig } from '../../src/config/index.js';
import { silentLogger } from '../../src/logging/index.js';
import { DatabaseRegistry, RegistryError, type DatabaseRecord } from '../../src/registry/index.js';

let dataPath: string;

beforeEach(async () => {
  dataPath = await mkdtemp(path.join(os.tmpdir(), 'duckling-registry-changes-'));
});

afterEach(async () => {
  await rm(dataPath, { recursive: true, force: true });
});

async function loadRegistry(): Promise<DatabaseRegistry> {
  const config = loadConfig({ DATA_PATH: dataPath, MYSQL_CONNECTION_STRING: 'mysql://root@127.0.0.1:3306/sakila' }, { cwd: dataPath });
  return DatabaseRegistry.load({ config, logger: silentLogger() });
}

function record(id: string, overrides: Partial<DatabaseRecord> = {}): DatabaseRecord {
  return {
    id,
    name: id,
    mysqlConnectionString: `mysql://reader:secret@127.0.0.1:3306/${id}`,
    duckdbPath: `${id}.db`,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    ...overrides,
  };
}

async function fileIds(): Promise<string[]> {
  const written = JSON.parse(await readFile(path.join(dataPath, 'databases.json'), 'utf8')) as DatabaseRecord[];
  return written.map((entry) => entry.id);
}

describe('DatabaseRegistry changes', () => {
  test('add, replace and remove rewrite the file', async () => {
    const registry = await loadRegistry();

    await registry.add(record('shop'));
    assert.deepEqual(await fileIds(), ['default', 'shop']);
    assert.equal((await stat(path.join(dataPath, 'databases.json'))).mode & 0o777, 0o600);

    await registry.replace(record('shop', { name: 'Shop EU' }));
    assert.equal(registry.get('shop')?.name, 'Shop EU');

    await registry.remove('default');
    assert.deepEqual(await fileIds(), ['shop']);
    assert.deepEqual(registry.list().map((entry) => entry.id), ['shop']);
  });

  test('invalid change leaves file unchanged', async () => {
    const registry = await loadRegistry();
    const before = await readFile(path.join(dataPath, 'databases.json'), 'utf8');

    await assert.rejects(registry.add(record('default', { duckdbPath: 'other.db' })), RegistryError);
    await assert.rejects(registry.add(record('other', { duckdbPath: 'duckling.db' })), /already used/);

    assert.equal(await readFile(path.join(dataPath, 'databases.json'), 'utf8'), before);
    assert.deepEqual(registry.list().map((entry) => entry.id), ['default']);
  });

  test('allocate skips taken ids and files', async () => {
    const registry = await loadRegistry();
    await registry.add(record('shop'));
    await writeFile(path.join(dataPath, 'shop_1.db'), '');

    assert.deepEqual(registry.allocate('Shop'), { id: 'shop_2', duckdbPath: 'shop_2.db' });
    assert.deepEqual(registry.allocate('Default'), { id: 'default_1', duckdbPath: 'default_1.db' });
    assert.deepEqual(registry.allocate('duckling'), { id: 'duckling_1', duckdbPath: 'duckling_1.db' });
    assert.deepEqual(registry.allocate('!!!'), { id: '___', duckdbPath: '___.db' });
  });

  test('concurrent adds keep both', async () => {
    const registry = await loadRegistry();
    await Promise.all([registry.add(record('a')), registry.add(record('b'))]);
    assert.deepEqual((await fileIds()).sort(), ['a', 'b', 'default']);
  });
});
