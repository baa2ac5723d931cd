import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DucklingError } from '../../src/errors/index.js';
import { errorBody } from '../../src/http/plugins/error-handler.js';

test('errorBody has documented fields', () => {
  const error = new DucklingError('DUCKLING_TABLE_NOT_FOUND', { table: 'films', db: 'default', hint: '' }, { extra: { table: 'films' } });
  assert.deepEqual(errorBody(error, 'req-1', false), {
    success: false,
    statusCode: 404,
    code: 'DUCKLING_TABLE_NOT_FOUND',
    error: 'Not Found',
    message: 'Table "films" not found in database "default"',
    requestId: 'req-1',
    table: 'films',
  });
});

test('production hides internal text', () => {
  const error = new DucklingError('DUCKLING_INTERNAL', { detail: 'ENOENT /srv/secret/path' });
  const body = errorBody(error, 'req-2', true);

  assert.equal(body.statusCode, 500);
  assert.equal(body.code, 'DUCKLING_INTERNAL');
  assert.doesNotMatch(body.message, /secret/);
  assert.match(body.message, /req-2/);
});

test('development shows internal text', () => {
  const error = new DucklingError('DUCKLING_INTERNAL', { detail: 'ENOENT /srv/data' });
  assert.match(errorBody(error, 'req-3', false).message, /ENOENT \/srv\/data/);
});

test('production keeps other 5xx messages', () => {
  const error = new DucklingError('DUCKLING_DATABASE_UNAVAILABLE', { db: 'shop', detail: 'file is locked' });
  assert.match(errorBody(error, 'req-4', true).message, /file is locked/);
});
