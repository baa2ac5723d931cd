import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { readJson, startDuckling, TEST_API_KEY, type RunningDuckling } from '../harness/duckling.js';

describe('unknown query parameters', () => {
  let server: RunningDuckling;

  before(async () => {
    server = await startDuckling({ MYSQL_CONNECTION_STRING: '' });
  });

  after(async () => {
    await server?.stop();
  });

  test('misspelled delete option', async () => {
    const response = await server.request('/api/databases/x?deleteFile=true', { method: 'DELETE' });
    const body = await readJson(response);

    assert.equal(response.status, 400);
    assert.equal(body.code, 'DUCKLING_VALIDATION_FAILED');
    assert.match(body.message, /querystring\.deleteFile is not a known parameter/);
    assert.match(body.message, /DELETE \/api\/databases\/:id takes only deleteFiles/);
    assert.deepEqual(body.details.map((detail: { field: string }) => detail.field), ['querystring.deleteFile']);
  });

  test('route without parameters', async () => {
    const response = await server.request('/api/security/findings?verbose=1&all=1');
    const body = await readJson(response);

    assert.equal(response.status, 400);
    assert.match(body.message, /querystring\.verbose, querystring\.all are not known parameters/);
    assert.match(body.message, /takes no query parameters/);
  });

  test('known parameters still pass', async () => {
    const audit = await server.request('/api/audit?limit=5&event=security.findings');
    assert.equal(audit.status, 200);

    // A database whose source is never contacted: listing its empty replica needs no source.
    const created = await server.request('/api/databases', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'params', mysqlConnectionString: 'mysql://reader@127.0.0.1:9/shop' }),
    });
    assert.equal(created.status, 200);
    const tables = await server.request('/api/tables?db=params&details=true');
    assert.equal(tables.status, 200, JSON.stringify(await readJson(tables.clone())));
    const misspelled = await server.request('/api/tables?db=params&detail=true');
    assert.equal(misspelled.status, 400);
    assert.match((await readJson(misspelled)).message, /GET \/api\/tables takes only db, details/);
  });

  test('public routes keep unknown parameters', async () => {
    const response = await fetch(`${server.url}/health?cacheBust=123`);
    assert.equal(response.status, 200);
  });

  test('credentials keep their own error', async () => {
    const response = await fetch(`${server.url}/health?Token=${TEST_API_KEY}&verbose=1`);
    assert.equal(response.status, 400);
    assert.equal((await readJson(response)).code, 'DUCKLING_AUTH_CREDENTIALS_IN_URL');
  });
});
