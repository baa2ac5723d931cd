import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DATABASE_ID_PATTERN, deriveDatabaseId } from '../../src/registry/index.js';

const none = () => false;

describe('deriveDatabaseId', () => {
  test('lower-cases and replaces characters', () => {
    assert.equal(deriveDatabaseId('Shop EU-West', none), 'shop_eu_west');
    assert.equal(deriveDatabaseId('Café №1', none), 'caf___1');
  });

  test('empty name gives db', () => {
    assert.equal(deriveDatabaseId('', none), 'db');
  });

  test('collision gets next suffix', () => {
    const taken = new Set(['shop', 'shop_1']);
    assert.equal(deriveDatabaseId('Shop', (id) => taken.has(id)), 'shop_2');
  });

  test('duckling is reserved', () => {
    assert.equal(deriveDatabaseId('Duckling', none), 'duckling_1');
  });

  test('long name stays within 64', () => {
    const long = 'x'.repeat(100);
    const first = deriveDatabaseId(long, none);
    assert.equal(first, 'x'.repeat(64));
    const second = deriveDatabaseId(long, (id) => id === first);
    assert.equal(second, `${'x'.repeat(62)}_1`);
    assert.match(second, DATABASE_ID_PATTERN);
  });
});
