import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/logging/index.js';
import type { AuthAttemptGuard } from '../../src/auth/index.js';
import { TEST_ADMIN_PASSWORD, TEST_ADMIN_USERNAME, type RunningDuckling } from '../harness/duckling.js';

export interface AuditRecord {
  event: string;
  outcome: string;
  target: string | null;
  actor: { principal: string | null; authMethod: string | null; tier: string | null; ip: string | null };
  requestId: string | null;
  detail?: Record<string, unknown>;
}

/** Creates a logger whose audit events the test can read back; audit events are log lines with `audit: true`. */
export function captureAudit(): { logger: Logger; events: AuditRecord[]; lines: string[] } {
  const events: AuditRecord[] = [];
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line === '') continue;
        lines.push(line);
        const parsed = JSON.parse(line) as { audit?: boolean } & AuditRecord;
        if (parsed.audit) events.push(parsed);
      }
      done();
    },
  });
  return { logger: createLogger({ level: 'info', version: 'test', destination }), events, lines };
}

/** Creates an attempt guard that admits everything and counts what it was charged. */
export function countingGuard(): AuthAttemptGuard & { passwordAttempts: number; invalidCredentials: number } {
  return {
    passwordAttempts: 0,
    invalidCredentials: 0,
    async beforePasswordAttempt() {
      this.passwordAttempts++;
      return {};
    },
    async onInvalidCredential() {
      this.invalidCredentials++;
    },
  };
}

export interface LoginResult {
  response: Response;
  /** The parsed response body. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
  token: string;
  /** `name=value` of the session cookie, ready for a `Cookie` header. */
  cookie: string;
  /** The whole `Set-Cookie` header. */
  setCookie: string;
}

export async function login(server: RunningDuckling, headers: Record<string, string> = {}): Promise<LoginResult> {
  const response = await fetch(`${server.url}/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ username: TEST_ADMIN_USERNAME, password: TEST_ADMIN_PASSWORD }),
  });
  if (response.status !== 200) throw new Error(`login failed with ${response.status}: ${await response.text()}`);
  const body = (await response.json()) as { token: string };
  const setCookie = response.headers.get('set-cookie') ?? '';
  return { response, body, token: body.token, cookie: setCookie.split(';')[0]!, setCookie };
}

/** Sends a request with exactly the given headers (no API key added). */
export function send(server: RunningDuckling, method: string, path: string, headers: Record<string, string> = {}, body?: unknown): Promise<Response> {
  const withBody = body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } };
  return fetch(`${server.url}${path}`, { method, headers, ...withBody });
}
