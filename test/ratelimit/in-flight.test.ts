import assert from 'node:assert/strict';
import http from 'node:http';
import { test } from 'node:test';
import { testSource } from '../harness/mariadb.js';
import { readJson, startDuckling, TEST_API_KEY, type RunningDuckling } from '../harness/duckling.js';

/** A query whose NDJSON output never ends while its client reads nothing. */
const ENDLESS_SQL = "SELECT range AS n, repeat('x', 200) AS padding FROM range(100000000)";

/**
 * Starts a streamed query whose client never reads the body: it stays in flight (running, or
 * waiting for the governor) until `destroy` is called, as a killed client would.
 */
function startStalledQuery(server: RunningDuckling): http.ClientRequest {
  const request = http.request(`${server.url}/api/query?format=ndjson`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_API_KEY}` },
  });
  request.on('response', (response) => {
    response.pause();
    response.on('error', () => undefined);
  });
  request.on('error', () => undefined);
  request.end(JSON.stringify({ sql: ENDLESS_SQL }));
  return request;
}

/** Queries the governor holds, running or waiting. */
async function governorLoad(server: RunningDuckling): Promise<number> {
  const governor = (await readJson(await server.request('/status'))).governor;
  return governor.running + governor.queued;
}

async function waitForLoad(server: RunningDuckling, expected: number): Promise<void> {
  let load = -1;
  for (let attempt = 0; attempt < 500 && load !== expected; attempt += 1) {
    load = await governorLoad(server);
    if (load !== expected) await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.equal(load, expected, `the governor should hold ${expected} queries`);
}

test('13th API-key query gets 429', async () => {
  const source = await testSource();
  // Without timeouts the stalled queries stay in flight until their clients go away. Five run
  // (one principal's share of 10 governor slots) and seven wait.
  const server = await startDuckling({
    MYSQL_CONNECTION_STRING: source.url('sakila'),
    QUERY_TIMEOUT_MS: '0',
    QUERY_STREAM_TIMEOUT_MS: '0',
  });
  const stalled: http.ClientRequest[] = [];
  try {
    for (let index = 0; index < 12; index += 1) stalled.push(startStalledQuery(server));
    await waitForLoad(server, 12);

    const response = await server.request('/api/query', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sql: 'SELECT 1' }),
    });
    const body = await readJson(response);
    assert.equal(response.status, 429);
    assert.equal(body.code, 'DUCKLING_CONCURRENCY_LIMITED');
    assert.equal(body.concurrencyLimit, 12);
    assert.equal(body.inFlight, 12);
    assert.equal(body.tier, 'apiKey');
    assert.equal(body.category, 'query');
    assert.equal(response.headers.get('retry-after'), '1');
    assert.equal(response.headers.get('x-ratelimit-query-concurrency-in-flight'), '12');
    assert.ok(response.headers.get('x-ratelimit-limit'), 'rate headers on the concurrency 429');
    assert.ok(response.headers.get('x-ratelimit-remaining'), 'remaining units on the concurrency 429');
    assert.match(response.headers.get('ratelimit') ?? '', /^"query";r=\d+;t=\d+$/);
    assert.equal(response.headers.get('x-ratelimit-cost'), '0');

    // A killed client frees its slot at once: a new stalled query is admitted in its place.
    stalled.shift()!.destroy();
    await waitForLoad(server, 11);
    stalled.push(startStalledQuery(server));
    await waitForLoad(server, 12);

    const again = await server.request('/api/query', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sql: 'SELECT 1' }),
    });
    assert.equal(again.status, 429);
    await again.arrayBuffer();
  } finally {
    for (const request of stalled) request.destroy();
    await server.stop();
  }
});
