import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { DatabaseKeys, parseDatabaseKey, type DatabaseKeyRecord, type DatabaseKeyRecords } from '../../src/auth/index.js';
import { silentLogger } from '../../src/logging/index.js';

/** Key records of two databases, `shop` and `my_db`, in memory. */
function memoryRecords(): DatabaseKeyRecords & { writes: number } {
  const keys = new Map<string, DatabaseKeyRecord[]>([['shop', []], ['my_db', []]]);
  return {
    writes: 0,
    keysOf: (id) => keys.get(id) ?? null,
    async updateKeys(id, change) {
      this.writes++;
      keys.set(id, change(keys.get(id)!));
    },
  };
}

describe('parseDatabaseKey', () => {
  const secret = 'A'.repeat(43);

  test('splits id and prefix', () => {
    assert.deepEqual(parseDatabaseKey(`dk_shop_${secret}`), { databaseId: 'shop', prefix: 'dk_shop_AAAAAAAA' });
  });

  test('id may contain underscores', () => {
    assert.equal(parseDatabaseKey(`dk_my_db_${secret}`)?.databaseId, 'my_db');
  });

  test('rejects malformed keys', () => {
    for (const text of ['', 'dk_', `dk__${secret}`, `dk_shop_${secret.slice(1)}`, `dk_Shop_${secret}`, `xk_shop_${secret}`, `dk_shop-${secret}`, `dk_shop_${'A'.repeat(42)}!`]) {
      assert.equal(parseDatabaseKey(text), null, text);
    }
  });
});

describe('DatabaseKeys', () => {
  test('created key verifies', async () => {
    const keys = new DatabaseKeys(memoryRecords(), silentLogger());
    const created = await keys.create('shop', { name: 'reporting', expiresAt: null });
    const check = keys.verify(created.key);

    assert.match(created.key, /^dk_shop_[A-Za-z0-9_-]{43}$/);
    assert.ok(check.ok);
    assert.equal(check.principal.databaseId, 'shop');
    assert.equal(check.principal.keyId, created.keyId);
  });

  test('stores digests, never the key', async () => {
    const records = memoryRecords();
    const keys = new DatabaseKeys(records, silentLogger());
    const created = await keys.create('shop', { name: 'reporting', expiresAt: null });
    const stored = records.keysOf('shop')![0]!;
    const sha1 = (data: string | Buffer) => createHash('sha1').update(data).digest();
    const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest();

    assert.ok(!JSON.stringify(stored).includes(created.key.slice(8)));
    assert.equal(stored.sha256, sha256(created.key).toString('hex'));
    assert.equal(stored.nativeVerifier, sha1(sha1(created.key)).toString('hex'));
    assert.equal(stored.sha2Verifier, sha256(sha256(created.key)).toString('hex'));
    assert.equal(stored.prefix, created.key.slice(0, 'dk_shop_'.length + 8));
  });

  test('rejects changed, unknown and deleted keys', async () => {
    const keys = new DatabaseKeys(memoryRecords(), silentLogger());
    const created = await keys.create('shop', { name: 'reporting', expiresAt: null });
    const changed = `${created.key.slice(0, -1)}${created.key.endsWith('A') ? 'B' : 'A'}`;

    assert.equal(keys.verify(changed).ok, false, 'last character changed');
    assert.equal(keys.verify(`dk_nowhere_${created.key.slice(-43)}`).ok, false, 'unknown database');
    await keys.delete('shop', created.keyId);
    assert.equal(keys.verify(created.key).ok, false, 'deleted');
  });

  test('expired key is rejected', async () => {
    let nowMs = Date.parse('2030-01-01T00:00:00Z');
    const keys = new DatabaseKeys(memoryRecords(), silentLogger(), () => nowMs);
    const created = await keys.create('shop', { name: 'short', expiresAt: new Date('2030-01-01T01:00:00Z') });

    assert.ok(keys.verify(created.key).ok);
    nowMs = Date.parse('2030-01-01T01:00:00Z');
    const check = keys.verify(created.key);
    assert.equal(check.ok, false);
    if (!check.ok) assert.equal(check.failure, 'key_expired');
  });

  test('lastUsedAt is written once a minute', async () => {
    let nowMs = Date.parse('2030-01-01T00:00:00Z');
    const records = memoryRecords();
    const keys = new DatabaseKeys(records, silentLogger(), () => nowMs);
    const created = await keys.create('shop', { name: 'reporting', expiresAt: null });
    const writesAfterCreate = records.writes;

    keys.verify(created.key);
    keys.verify(created.key);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(records.writes, writesAfterCreate + 1);
    assert.equal(keys.list('shop')[0]!.lastUsedAt, '2030-01-01T00:00:00.000Z');

    nowMs += 61_000;
    keys.verify(created.key);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(records.writes, writesAfterCreate + 2);
  });

  test('unknown database is 404', async () => {
    const keys = new DatabaseKeys(memoryRecords(), silentLogger());
    await assert.rejects(keys.create('nope', { name: 'x', expiresAt: null }), { code: 'DUCKLING_DATABASE_NOT_FOUND' });
    assert.throws(() => keys.list('nope'), { code: 'DUCKLING_DATABASE_NOT_FOUND' });
    await assert.rejects(keys.delete('shop', 'missing'), { code: 'DUCKLING_KEY_NOT_FOUND' });
  });
});
