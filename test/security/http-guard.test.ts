import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { FatalFindingsError } from '../../src/security/index.js';
import { readJson, startDuckling, TEST_API_KEY, type RunningDuckling } from '../harness/duckling.js';
import { testSource } from '../harness/mariadb.js';

const LISTED_ORIGIN = 'https://app.example.com';
const OTHER_ORIGIN = 'https://evil.example.net';
const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'cache-control': 'no-store',
};

function assertSecurityHeaders(response: Response, label: string): void {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) {
    assert.equal(response.headers.get(name), value, `${label}: ${name}`);
  }
}

function preflight(server: RunningDuckling, origin: string): Promise<Response> {
  return fetch(`${server.url}/api/tables`, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
  });
}

describe('security findings and audit routes', () => {
  let server: RunningDuckling;

  before(async () => {
    server = await startDuckling({ MYSQL_CONNECTION_STRING: '', CORS_ORIGINS: LISTED_ORIGIN });
  });

  after(async () => {
    await server?.stop();
  });

  test('findings list the startup warnings', async () => {
    const response = await server.request('/api/security/findings');
    const body = await readJson(response);

    assert.equal(response.status, 200);
    assert.equal(body.fatal, 0);
    assert.equal(body.warnings, body.findings.length);
    const ids = body.findings.map((finding: { id: string }) => finding.id);
    // The harness sets DUCKLING_API_KEY_PREVIOUS, which raises api_key_previous_set.
    assert.ok(ids.includes('api_key_previous_set'), ids.join(', '));
    assert.ok(!JSON.stringify(body).includes(TEST_API_KEY), 'API key in the findings');
  });

  test('findings need admin credentials', async () => {
    const response = await fetch(`${server.url}/api/security/findings`);
    assert.equal(response.status, 401);
  });

  test('admin health counts findings', async () => {
    const admin = await readJson(await server.request('/health'));
    const anonymous = await readJson(await fetch(`${server.url}/health`));
    const status = await readJson(await server.request('/status'));

    assert.equal(admin.security.fatal, 0);
    assert.ok(admin.security.warnings >= 1);
    assert.equal(anonymous.security, undefined);
    assert.deepEqual(status.security, admin.security);
  });

  test('forwarded header raises finding once', async () => {
    const before = await readJson(await server.request('/api/security/findings'));
    assert.ok(!before.findings.some((finding: { id: string }) => finding.id === 'forwarded_header_ignored'));

    for (let attempt = 0; attempt < 3; attempt++) {
      await fetch(`${server.url}/health`, { headers: { 'x-forwarded-for': '203.0.113.7' } });
    }
    const afterBody = await readJson(await server.request('/api/security/findings'));
    const raised = afterBody.findings.filter((finding: { id: string }) => finding.id === 'forwarded_header_ignored');
    assert.equal(raised.length, 1);
    assert.equal(afterBody.warnings, before.warnings + 1);
  });

  test('audit lists security.findings events', async () => {
    const response = await server.request('/api/audit?event=security.findings&limit=10');
    const body = await readJson(response);

    assert.equal(response.status, 200);
    assert.equal(body.count, body.events.length);
    assert.ok(body.count >= 1);
    assert.equal(body.events[0].event, 'security.findings');
    assert.equal(body.events[0].actor.principal, 'system');
  });

  test('audit since filters older events', async () => {
    const response = await server.request(`/api/audit?since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`);
    const body = await readJson(response);
    assert.equal(body.count, 0);
  });

  test('audit rejects bad query values', async () => {
    for (const query of ['limit=0', 'limit=1001', 'event=no.such.event', 'since=yesterday']) {
      const response = await server.request(`/api/audit?${query}`);
      assert.equal(response.status, 400, query);
      assert.equal((await readJson(response)).code, 'DUCKLING_VALIDATION_FAILED', query);
    }
  });

  test('audit needs admin credentials', async () => {
    assert.equal((await fetch(`${server.url}/api/audit`)).status, 401);
  });

  test('listed origin gets credentials', async () => {
    const response = await server.request('/api/security/findings', { headers: { origin: LISTED_ORIGIN } });

    assert.equal(response.headers.get('access-control-allow-origin'), LISTED_ORIGIN);
    assert.equal(response.headers.get('access-control-allow-credentials'), 'true');
    assert.match(response.headers.get('vary') ?? '', /Origin/i);
    assert.match(response.headers.get('access-control-expose-headers') ?? '', /X-Request-Id/);
    assert.match(response.headers.get('access-control-expose-headers') ?? '', /Retry-After/);
  });

  test('listed origin preflight gets 204', async () => {
    const response = await preflight(server, LISTED_ORIGIN);

    assert.equal(response.status, 204);
    assert.equal(response.headers.get('access-control-allow-origin'), LISTED_ORIGIN);
    assert.equal(response.headers.get('access-control-allow-credentials'), 'true');
    assert.equal(response.headers.get('access-control-allow-methods'), 'GET, POST, PUT, DELETE, OPTIONS');
    assert.equal(response.headers.get('access-control-allow-headers'), 'Authorization, Content-Type, X-Request-Id');
    assert.equal(response.headers.get('access-control-max-age'), '600');
    assertSecurityHeaders(response, 'preflight');
  });

  test('other origin gets no CORS headers', async () => {
    const response = await server.request('/api/security/findings', { headers: { origin: OTHER_ORIGIN } });
    const rejected = await preflight(server, OTHER_ORIGIN);

    assert.equal(response.status, 200);
    assert.equal(response.headers.get('access-control-allow-origin'), null);
    assert.equal(response.headers.get('access-control-allow-credentials'), null);
    assert.equal(rejected.status, 404);
    assert.equal(rejected.headers.get('access-control-allow-origin'), null);
    assert.equal(rejected.headers.get('access-control-allow-methods'), null);
  });

  test('security headers on success and errors', async () => {
    assertSecurityHeaders(await server.request('/api/security/findings'), '200');
    assertSecurityHeaders(await fetch(`${server.url}/api/security/findings`), '401');
    assertSecurityHeaders(await server.request('/api/no-such-route'), '404');
    assertSecurityHeaders(await fetch(`${server.url}/health`), 'public');
  });

  test('no HSTS on plain HTTP', async () => {
    const response = await server.request('/health');
    assert.equal(response.headers.get('strict-transport-security'), null);
  });
});

describe('CORS variants', () => {
  test('wildcard gets star without credentials', async (t) => {
    const server = await startDuckling({ MYSQL_CONNECTION_STRING: '', CORS_ORIGINS: `${LISTED_ORIGIN},*` });
    t.after(() => server.stop());

    const other = await server.request('/health', { headers: { origin: OTHER_ORIGIN } });
    const listed = await server.request('/health', { headers: { origin: LISTED_ORIGIN } });
    const findings = await readJson(await server.request('/api/security/findings'));

    assert.equal(other.headers.get('access-control-allow-origin'), '*');
    assert.equal(other.headers.get('access-control-allow-credentials'), null);
    assert.equal(listed.headers.get('access-control-allow-origin'), LISTED_ORIGIN);
    assert.equal(listed.headers.get('access-control-allow-credentials'), 'true');
    assert.ok(findings.findings.some((finding: { id: string }) => finding.id === 'cors_wildcard'));
  });

  test('disabled CORS sends none', async (t) => {
    const server = await startDuckling({ MYSQL_CONNECTION_STRING: '', ENABLE_CORS: 'false', CORS_ORIGINS: LISTED_ORIGIN });
    t.after(() => server.stop());

    const response = await server.request('/health', { headers: { origin: LISTED_ORIGIN } });
    const rejected = await preflight(server, LISTED_ORIGIN);

    assert.equal(response.headers.get('access-control-allow-origin'), null);
    assert.equal(rejected.status, 404);
    assert.equal(rejected.headers.get('access-control-allow-origin'), null);
  });

  test('HSTS when PUBLIC_URL is https', async (t) => {
    const server = await startDuckling({ MYSQL_CONNECTION_STRING: '', PUBLIC_URL: 'https://duckling.example.com' });
    t.after(() => server.stop());

    const response = await server.request('/health');
    assert.equal(response.headers.get('strict-transport-security'), 'max-age=31536000');
  });

  test('trusted proxy raises no forwarded finding', async (t) => {
    const server = await startDuckling({ MYSQL_CONNECTION_STRING: '', TRUST_PROXY: '127.0.0.1' });
    t.after(() => server.stop());

    await fetch(`${server.url}/health`, { headers: { 'x-forwarded-for': '203.0.113.7' } });
    const body = await readJson(await server.request('/api/security/findings'));
    assert.ok(!body.findings.some((finding: { id: string }) => finding.id === 'forwarded_header_ignored'));
  });
});

describe('clean production configuration', () => {
  test('server starts without findings', async (t) => {
    const server = await startDuckling({
      MYSQL_CONNECTION_STRING: '',
      NODE_ENV: 'production',
      DUCKLING_API_KEY_PREVIOUS: '',
      DUCKLING_SECRETS_KEY: '0123456789abcdef'.repeat(4),
      CORS_ORIGINS: LISTED_ORIGIN,
      TRUST_PROXY: '1',
    });
    t.after(() => server.stop());

    const findings = await readJson(await server.request('/api/security/findings'));
    const health = await readJson(await server.request('/health'));

    assert.deepEqual(findings, { fatal: 0, warnings: 0, findings: [] });
    assert.deepEqual(health.security, { fatal: 0, warnings: 0 });
  });
});

describe('event stream headers', () => {
  test('SSE carries security and CORS headers', async (t) => {
    const source = await testSource();
    const server = await startDuckling({ MYSQL_CONNECTION_STRING: source.url('sakila'), CORS_ORIGINS: LISTED_ORIGIN });
    t.after(() => server.stop());

    const controller = new AbortController();
    const response = await server.request('/api/sync/events', { headers: { origin: LISTED_ORIGIN }, signal: controller.signal });
    controller.abort();

    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /text\/event-stream/);
    assertSecurityHeaders(response, 'sse');
    assert.equal(response.headers.get('access-control-allow-origin'), LISTED_ORIGIN);
  });
});

describe('fatal startup findings', () => {
  const FATAL_CASES: Array<[string, Record<string, string>, string[]]> = [
    ['no session secret', { SESSION_SECRET: '' }, ['session_secret_missing']],
    ['placeholder secret', { JWT_SECRET: 'your-secret-key' }, ['jwt_secret_placeholder']],
    ['no admin account', { ADMIN_USERNAME: '', ADMIN_PASSWORD: '' }, ['admin_credentials_missing']],
  ];

  for (const [name, env, expected] of FATAL_CASES) {
    test(`start fails: ${name}`, async () => {
      const source = await testSource();
      let dataPath = '';
      await assert.rejects(
        async () => {
          const server = await startDuckling({ MYSQL_CONNECTION_STRING: source.url('sakila'), ...env });
          dataPath = server.dataPath;
          await server.stop();
        },
        (error: unknown) => {
          assert.ok(error instanceof FatalFindingsError, String(error));
          assert.deepEqual(error.findings.map((finding) => finding.id), expected);
          for (const line of error.lines) assert.match(line, /^FATAL security: /);
          return true;
        },
      );
      assert.equal(dataPath, '', 'the server did not start');
    });
  }

  test('no replica opens before the check', async (t) => {
    const { mkdtemp, rm } = await import('node:fs/promises');
    const os = await import('node:os');
    const source = await testSource();
    const dataPath = await mkdtemp(path.join(os.tmpdir(), 'duckling-fatal-'));
    t.after(() => rm(dataPath, { recursive: true, force: true }));

    await assert.rejects(startDuckling({ MYSQL_CONNECTION_STRING: source.url('sakila'), SESSION_SECRET: '' }, { dataPath }), FatalFindingsError);
    assert.ok(!existsSync(path.join(dataPath, 'duckling.db')), 'replica file created');
  });
});
