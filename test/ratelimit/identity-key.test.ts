import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ANONYMOUS, type Principal } from '../../src/auth/index.js';
import { buildRateLimitKey, rateLimitAddress, RateLimitCosts, serializeBucketKey, serializeInFlightKey } from '../../src/ratelimit/index.js';
import { settingsFrom } from './helpers.js';

const apiKey: Principal = { kind: 'apiKey', tier: 'apiKey', keyFingerprint: 'abcdef012345', key: 'current' };
const admin: Principal = { kind: 'admin', tier: 'jwt', username: 'admin', authMethod: 'jwt', jti: 'token-1', expiresAt: new Date(0) };
const databaseKey: Principal = { kind: 'databaseKey', tier: 'apiKey', databaseId: 'shop', keyId: 'k1', keyFingerprint: 'ffff', expiresAt: null };

describe('client address', () => {
  const cases: Array<[string, string]> = [
    ['203.0.113.9', '203.0.113.9'],
    ['::ffff:203.0.113.9', '203.0.113.9'],
    ['::FFFF:cb00:7109', '203.0.113.9'],
    ['2001:db8::1', '2001:0db8:0000:0000::/64'],
    ['2001:DB8:0:0:ffff:1:2:3', '2001:0db8:0000:0000::/64'],
    ['2001:db8:1:2:3:4:5:6', '2001:0db8:0001:0002::/64'],
    ['fe80::1%eth0', 'fe80:0000:0000:0000::/64'],
    ['::1', '0000:0000:0000:0000::/64'],
    ['64:ff9b::192.0.2.33', '0064:ff9b:0000:0000::/64'],
    ['not-an-address', 'not-an-address'],
  ];
  for (const [input, expected] of cases) {
    test(`normalises ${input}`, () => {
      assert.equal(rateLimitAddress(input), expected);
    });
  }
});

describe('identity key', () => {
  const subject = (principal: Principal, databaseId: string | null = 'shop') => ({ principal, clientIp: '198.51.100.4', databaseId });

  test('address scope by default', () => {
    const key = buildRateLimitKey(settingsFrom(), subject(apiKey), 'read');
    assert.deepEqual(key, { tier: 'apiKey', scope: { kind: 'ip', address: '198.51.100.4' }, databaseId: 'shop', category: 'read' });
    assert.equal(serializeBucketKey(key), 'read:apiKey:ip:198.51.100.4:db:shop');
    assert.equal(serializeInFlightKey(key), 'inflight:apiKey:ip:198.51.100.4:db:shop');
  });

  test('db scope off drops database', () => {
    const key = buildRateLimitKey(settingsFrom({ RATE_LIMIT_INCLUDE_DB_SCOPE: 'false' }), subject(apiKey), 'query');
    assert.equal(key.databaseId, null);
    assert.equal(serializeBucketKey(key), 'query:apiKey:ip:198.51.100.4');
  });

  test('session scope per principal', () => {
    const settings = settingsFrom({ RATE_LIMIT_USE_SESSION_SCOPE: 'true' });
    assert.deepEqual(buildRateLimitKey(settings, subject(admin), 'read').scope, { kind: 'session', jti: 'token-1' });
    assert.deepEqual(buildRateLimitKey(settings, subject(apiKey), 'read').scope, { kind: 'key', id: 'abcdef012345' });
    assert.deepEqual(buildRateLimitKey(settings, subject(databaseKey), 'read').scope, { kind: 'key', id: 'k1' });
    assert.deepEqual(buildRateLimitKey(settings, subject(ANONYMOUS), 'read').scope, { kind: 'ip', address: '198.51.100.4' });
  });

  test('auth is anonymous per address', () => {
    const settings = settingsFrom({ RATE_LIMIT_USE_SESSION_SCOPE: 'true' });
    const key = buildRateLimitKey(settings, subject(admin), 'auth');
    assert.deepEqual(key, { tier: 'anonymous', scope: { kind: 'ip', address: '198.51.100.4' }, databaseId: null, category: 'auth' });
  });

  test('IPv6 callers share their /64', () => {
    const settings = settingsFrom();
    const first = buildRateLimitKey(settings, { principal: ANONYMOUS, clientIp: '2001:db8:5::1', databaseId: null }, 'monitoring');
    const second = buildRateLimitKey(settings, { principal: ANONYMOUS, clientIp: '2001:db8:5:0:abcd::99', databaseId: null }, 'monitoring');
    assert.equal(serializeBucketKey(first), serializeBucketKey(second));
  });
});

describe('costs', () => {
  const costs = new RateLimitCosts(settingsFrom());

  const queryCases: Array<[string, unknown, unknown, { category: string; cost: number }]> = [
    ['short query', 'SELECT 1', undefined, { category: 'query', cost: 1 }],
    ['2,000 characters', 'x'.repeat(2_000), undefined, { category: 'query', cost: 1 }],
    ['2,001 characters', 'x'.repeat(2_001), undefined, { category: 'query', cost: 2 }],
    ['5,000 characters', 'x'.repeat(5_000), undefined, { category: 'query', cost: 2 }],
    ['5,001 characters', 'x'.repeat(5_001), undefined, { category: 'query', cost: 3 }],
    ['code points, not UTF-16 units', '😀'.repeat(1_500), undefined, { category: 'query', cost: 1 }],
    ['source query is a write', 'SELECT 1', 'mysql', { category: 'write', cost: 3 }],
    ['missing SQL costs the base', undefined, undefined, { category: 'query', cost: 1 }],
  ];
  for (const [name, sql, database, expected] of queryCases) {
    test(`query cost: ${name}`, () => {
      assert.deepEqual(costs.query(sql, database), expected);
    });
  }

  test('checksum validation costs 3', () => {
    assert.deepEqual(costs.validation('checksum'), { category: 'read', cost: 3 });
    assert.deepEqual(costs.validation('count'), { category: 'read', cost: 1 });
    assert.deepEqual(costs.validation(undefined), { category: 'read', cost: 1 });
  });

  test('configured base cost applies', () => {
    const custom = new RateLimitCosts(settingsFrom({ RATE_LIMIT_COST_QUERY: '4', RATE_LIMIT_COST_WRITE: '5' }));
    assert.deepEqual(custom.query('x'.repeat(6_000)), { category: 'query', cost: 6 });
    assert.deepEqual(custom.base('write'), { category: 'write', cost: 5 });
  });
});
