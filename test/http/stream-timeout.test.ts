import assert from 'node:assert/strict';
import http from 'node:http';
import { test } from 'node:test';
import { testSource } from '../harness/mariadb.js';
import { readJson, startDuckling, TEST_API_KEY } from '../harness/duckling.js';

test('stalled stream client is dropped', async () => {
  const source = await testSource();
  const server = await startDuckling({ MYSQL_CONNECTION_STRING: source.url('sakila'), QUERY_STREAM_TIMEOUT_MS: '200' });
  const running = async () => (await readJson(await server.request('/status'))).governor.running as number;
  try {
    // The client reads the headers and then nothing, so the server's write buffer fills up.
    const responded = new Promise<http.IncomingMessage>((resolve, reject) => {
      const request = http.request(`${server.url}/api/query?format=ndjson`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_API_KEY}` },
      });
      request.on('response', (response) => {
        response.pause();
        response.on('error', () => undefined);
        resolve(response);
      });
      request.on('error', reject);
      request.end(JSON.stringify({ sql: 'SELECT range AS n, repeat(\'x\', 200) AS padding FROM range(100000000)' }));
    });
    const response = await responded;
    assert.equal(response.statusCode, 200);
    assert.equal(await running(), 1);

    let released = false;
    for (let attempt = 0; attempt < 500 && !released; attempt += 1) {
      released = (await running()) === 0;
      if (!released) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.ok(released, 'the stalled stream still holds its query slot');
    response.destroy();
  } finally {
    await server.stop();
  }
});
