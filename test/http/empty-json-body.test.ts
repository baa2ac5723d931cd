import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { readJson, startDuckling, type RunningDuckling } from '../harness/duckling.js';

let server: RunningDuckling;

before(async () => {
  server = await startDuckling({ MYSQL_CONNECTION_STRING: '' });
});

after(async () => {
  await server?.stop();
});

function postJson(path: string, body: string): Promise<Response> {
  return fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
}

test('empty JSON body reads as {}', async () => {
  for (const body of ['', '  \n']) {
    const response = await postJson('/api/logout', body);
    const parsed = await readJson(response);
    assert.equal(response.status, 200, JSON.stringify(parsed));
  }
});

test('empty body still needs fields', async () => {
  const response = await postJson('/api/login', '');
  const body = await readJson(response);
  assert.equal(response.status, 400);
  assert.equal(body.code, 'DUCKLING_VALIDATION_FAILED');
  assert.match(body.message, /username/);
  assert.doesNotMatch(body.message, /not valid JSON/);
});

test('malformed JSON still rejected', async () => {
  const response = await postJson('/api/logout', '{"a":');
  const body = await readJson(response);
  assert.equal(response.status, 400);
  assert.match(body.message, /body is not valid JSON/);
});

test('prototype key still rejected', async () => {
  const response = await postJson('/api/logout', '{"__proto__":{"x":1}}');
  await response.arrayBuffer();
  assert.equal(response.status, 400);
});
