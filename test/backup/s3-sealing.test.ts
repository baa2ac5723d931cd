import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { loadConfig } from '../../src/config/index.js';
import { silentLogger } from '../../src/logging/index.js';
import { DatabaseRegistry, RegistryError, SecretSealer, type DatabaseRecord } from '../../src/registry/index.js';

const KEY_A = randomBytes(32).toString('hex');
const KEY_B = randomBytes(32).toString('hex');
const CONNECTION = 'mysql://reader:Conn-Secret-91@127.0.0.1:3306/shop';
const SECRET_ACCESS_KEY = 'Secret-Access-Key-7f3a';
const ENCRYPTION_KEY = 'ab'.repeat(32);
const RETIRED_KEY = 'cd'.repeat(32);

let dataPath: string;
let registryFile: string;

beforeEach(async () => {
  dataPath = await mkdtemp(path.join(os.tmpdir(), 'duckling-sealing-'));
  registryFile = path.join(dataPath, 'databases.json');
});

afterEach(async () => {
  await rm(dataPath, { recursive: true, force: true });
});

function load(env: Record<string, string>) {
  const config = loadConfig({ DATA_PATH: dataPath, ...env }, { cwd: dataPath });
  return DatabaseRegistry.load({ config, logger: silentLogger() });
}

function record(id = 'shop'): DatabaseRecord {
  return {
    id,
    name: id,
    mysqlConnectionString: CONNECTION,
    duckdbPath: `${id}.db`,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    s3: {
      enabled: true,
      bucket: 'backups',
      region: 'us-east-1',
      accessKeyId: 'AKIATEST',
      secretAccessKey: SECRET_ACCESS_KEY,
      pathPrefix: `${id}/`,
      encryption: 'client-aes256',
      encryptionKey: ENCRYPTION_KEY,
      keyring: [{ fingerprint: '0123456789abcdef', key: RETIRED_KEY, addedAt: '2026-01-01T00:00:00.000Z', retiredAt: '2026-02-01T00:00:00.000Z' }],
    },
  };
}

function assertNoClearSecret(text: string): void {
  for (const secret of [CONNECTION, SECRET_ACCESS_KEY, ENCRYPTION_KEY, RETIRED_KEY]) assert.equal(text.includes(secret), false, `file contains ${secret.slice(0, 6)}… in clear`);
}

describe('secret sealing', () => {
  test('secrets sealed on write', async () => {
    await writeFile(registryFile, JSON.stringify([record()]));
    const registry = await load({ DUCKLING_SECRETS_KEY: KEY_A });
    await registry.reseal();

    const text = await readFile(registryFile, 'utf8');
    assertNoClearSecret(text);
    const [stored] = JSON.parse(text);
    assert.match(stored.mysqlConnectionString, /^enc:v1:/);
    assert.match(stored.s3.secretAccessKey, /^enc:v1:/);
    assert.match(stored.s3.encryptionKey, /^enc:v1:/);
    assert.match(stored.s3.keyring[0].key, /^enc:v1:/);
    assert.equal(stored.s3.accessKeyId, 'AKIATEST', 'non-secret fields stay readable');

    const reloaded = await load({ DUCKLING_SECRETS_KEY: KEY_A });
    assert.deepEqual(reloaded.get('shop'), record());
  });

  test('clear values sealed on next write', async () => {
    await writeFile(registryFile, JSON.stringify([record()]));
    const registry = await load({ DUCKLING_SECRETS_KEY: KEY_A });
    assert.equal(registry.get('shop')?.mysqlConnectionString, CONNECTION);
    assert.ok((await readFile(registryFile, 'utf8')).includes(SECRET_ACCESS_KEY), 'loading alone does not rewrite');

    await registry.update('shop', (current) => ({ ...current, name: 'Shop' }));
    assertNoClearSecret(await readFile(registryFile, 'utf8'));
  });

  test('previous key opens and reseals', async () => {
    await writeFile(registryFile, JSON.stringify([record()]));
    await (await load({ DUCKLING_SECRETS_KEY: KEY_A })).reseal();

    const rotated = await load({ DUCKLING_SECRETS_KEY: KEY_B, DUCKLING_SECRETS_KEY_PREVIOUS: KEY_A });
    assert.deepEqual(rotated.get('shop'), record());
    await rotated.reseal();

    const withNewKeyOnly = await load({ DUCKLING_SECRETS_KEY: KEY_B });
    assert.deepEqual(withNewKeyOnly.get('shop'), record());
  });

  test('unreadable secret stops loading', async () => {
    await writeFile(registryFile, JSON.stringify([record()]));
    await (await load({ DUCKLING_SECRETS_KEY: KEY_A })).reseal();

    await assert.rejects(load({ DUCKLING_SECRETS_KEY: KEY_B }), (error: unknown) => {
      assert.ok(error instanceof RegistryError);
      assert.match(error.message, /secrets_unreadable/);
      assert.match(error.message, /shop\/mysqlConnectionString/);
      assert.match(error.message, /DUCKLING_SECRETS_KEY_PREVIOUS/);
      assertNoClearSecret(error.message);
      return true;
    });
  });

  test('sealed value without key', async () => {
    await writeFile(registryFile, JSON.stringify([record()]));
    await (await load({ DUCKLING_SECRETS_KEY: KEY_A })).reseal();
    await assert.rejects(load({}), /secrets_unreadable: sealed value shop\/mysqlConnectionString in databases\.json cannot be opened because DUCKLING_SECRETS_KEY is not set/);
  });

  test('sealed value bound to record', async () => {
    const sealer = SecretSealer.withKeys(Buffer.from(KEY_A, 'hex'));
    const other = record('other');
    other.mysqlConnectionString = sealer.seal(CONNECTION, 'shop/mysqlConnectionString');
    await writeFile(registryFile, JSON.stringify([other]));
    await assert.rejects(load({ DUCKLING_SECRETS_KEY: KEY_A }), /secrets_unreadable: sealed value other\/mysqlConnectionString/);
  });

  test('sealed value bound to field', async () => {
    const sealer = SecretSealer.withKeys(Buffer.from(KEY_A, 'hex'));
    const moved = record();
    moved.s3!.secretAccessKey = sealer.seal(SECRET_ACCESS_KEY, 'shop/mysqlConnectionString');
    await writeFile(registryFile, JSON.stringify([moved]));
    await assert.rejects(load({ DUCKLING_SECRETS_KEY: KEY_A }), /shop\/s3\.secretAccessKey/);
  });

  test('malformed sealing key rejected', async () => {
    await writeFile(registryFile, JSON.stringify([record()]));
    await assert.rejects(load({ DUCKLING_SECRETS_KEY: 'not-hex' }), (error: unknown) => {
      assert.ok(error instanceof RegistryError);
      assert.match(error.message, /DUCKLING_SECRETS_KEY is invalid: give 64 hexadecimal characters/);
      assert.doesNotMatch(error.message, /not-hex/);
      return true;
    });
  });

  test('no key writes clear', async () => {
    await writeFile(registryFile, JSON.stringify([record()]));
    const registry = await load({});
    await registry.reseal();
    assert.deepEqual(JSON.parse(await readFile(registryFile, 'utf8')), [record()]);
  });

  test('fresh nonce per write', async () => {
    await writeFile(registryFile, JSON.stringify([record()]));
    const registry = await load({ DUCKLING_SECRETS_KEY: KEY_A });
    await registry.reseal();
    const first = JSON.parse(await readFile(registryFile, 'utf8'))[0].s3.secretAccessKey;
    await registry.reseal();
    const second = JSON.parse(await readFile(registryFile, 'utf8'))[0].s3.secretAccessKey;
    assert.notEqual(first, second);
  });
});

describe('s3 block validation', () => {
  async function rejectsWith(s3: Record<string, unknown>, pattern: RegExp): Promise<void> {
    await writeFile(registryFile, JSON.stringify([{ ...record(), s3: { ...record().s3, ...s3 } }]));
    await assert.rejects(load({}), (error: unknown) => {
      assert.ok(error instanceof RegistryError);
      assert.match(error.message, pattern);
      return true;
    });
  }

  test('short encryption key', () => rejectsWith({ encryptionKey: 'abc' }, /s3\.encryptionKey is invalid; give 64 hexadecimal characters/));
  test('client-aes256 without key', () => rejectsWith({ encryptionKey: undefined }, /s3\.encryptionKey is missing; encryption client-aes256 needs/));
  test('sse-kms without key id', () => rejectsWith({ encryption: 'sse-kms' }, /s3\.kmsKeyId is missing/));
  test('unknown encryption mode', () => rejectsWith({ encryption: 'aes' }, /s3\.encryption "aes" is invalid; use one of none, sse-s3, sse-kms, client-aes256/));
  test('path prefix without slash', () => rejectsWith({ pathPrefix: 'shop' }, /s3\.pathPrefix "shop" is invalid/));
  test('path prefix with dot segment', () => rejectsWith({ pathPrefix: 'a/../b/' }, /s3\.pathPrefix "a\/\.\.\/b\/" is invalid/));
  test('endpoint with credentials', () => rejectsWith({ endpoint: 'http://user:Pw9Secret@127.0.0.1:9000' }, /s3\.endpoint must not contain a user name or password; put the credentials in accessKeyId and secretAccessKey$/m));
  test('bad retention', () => rejectsWith({ s3BackupRetentionDays: 0 }, /s3\.s3BackupRetentionDays must be a whole number of days/));

  test('nested prefixes in one bucket', async () => {
    const shop = record();
    const nested = record('shop_eu');
    nested.s3!.pathPrefix = 'shop/eu/';
    await writeFile(registryFile, JSON.stringify([shop, nested]));
    await assert.rejects(load({}), /s3\.pathPrefix "shop\/" of database "shop" and "shop\/eu\/" of database "shop_eu" overlap in bucket backups/);
  });

  test('same prefix in other bucket', async () => {
    const shop = record();
    const other = record('shop_eu');
    other.s3!.pathPrefix = 'shop/';
    other.s3!.bucket = 'other-backups';
    await writeFile(registryFile, JSON.stringify([shop, other]));
    const registry = await load({});
    assert.equal(registry.list().length, 2);
  });
});
