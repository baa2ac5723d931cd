import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import pino from 'pino';
import { AUDIT_RING_SIZE, AuditLog, SYSTEM_ACTOR, type AuditEventInput } from '../../src/audit/index.js';

function capture(): { lines: Record<string, unknown>[]; logger: pino.Logger } {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { lines, logger: pino({ level: 'info' }, destination) };
}

const actor = { principal: 'admin', authMethod: 'jwt' as const, tier: 'jwt' as const, ip: '127.0.0.1' };

function event(overrides: Partial<AuditEventInput> = {}): AuditEventInput {
  return { event: 'database.created', actor, target: 'shop', outcome: 'success', requestId: 'r1', ...overrides };
}

test('audit event is logged with audit flag', async () => {
  const { lines, logger } = capture();
  new AuditLog(logger).record(event());
  await new Promise((resolve) => setImmediate(resolve));

  assert.equal(lines.length, 1);
  assert.equal(lines[0]!.audit, true);
  assert.equal(lines[0]!.event, 'database.created');
  assert.deepEqual(lines[0]!.actor, actor);
  assert.equal(lines[0]!.target, 'shop');
  assert.equal(lines[0]!.requestId, 'r1');
});

test('audit line carries one time key', async () => {
  const raw: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      raw.push(String(chunk));
      done();
    },
  });
  const audit = new AuditLog(pino({ level: 'info', timestamp: pino.stdTimeFunctions.isoTime }, destination));
  audit.record(event());
  await new Promise((resolve) => setImmediate(resolve));

  assert.equal(raw.length, 1);
  assert.equal(raw[0]!.match(/"time":/g)?.length, 1, raw[0]);
  assert.equal(typeof audit.list()[0]?.time, 'string');
});

test('audit list filters by type and time', () => {
  let nowMs = Date.parse('2026-01-01T00:00:00Z');
  const audit = new AuditLog(capture().logger, () => nowMs);
  audit.record(event({ event: 'auth.login.failed', outcome: 'failure' }));
  nowMs += 1_000;
  audit.record(event());
  nowMs += 1_000;
  audit.record(event({ event: 'auth.login.succeeded' }));

  assert.deepEqual(audit.list().map((e) => e.event), ['auth.login.succeeded', 'database.created', 'auth.login.failed']);
  assert.deepEqual(audit.list({ event: 'database.created' }).map((e) => e.event), ['database.created']);
  assert.deepEqual(audit.list({ since: '2026-01-01T00:00:00.500Z' }).map((e) => e.event), [
    'auth.login.succeeded',
    'database.created',
  ]);
  assert.equal(audit.list({ limit: 1 }).length, 1);
});

test('audit throttles non-auth types per key', () => {
  let nowMs = 0;
  const audit = new AuditLog(capture().logger, () => nowMs);
  for (let i = 0; i < 15; i++) audit.record(event({ event: 'sync.started', throttleKey: 'ip:1.2.3.4' }));
  for (let i = 0; i < 3; i++) audit.record(event({ event: 'sync.started', throttleKey: 'ip:5.6.7.8' }));
  for (let i = 0; i < 15; i++) audit.record(event({ event: 'auth.rejected', outcome: 'failure', throttleKey: 'ip:1.2.3.4' }));

  assert.equal(audit.list({ event: 'sync.started', limit: 100 }).length, 13);
  assert.equal(audit.list({ event: 'auth.rejected', limit: 100 }).length, 15);

  nowMs += 60_000;
  audit.record(event({ event: 'sync.started', throttleKey: 'ip:1.2.3.4' }));
  const [latest] = audit.list({ event: 'sync.started' });
  assert.equal(latest!.suppressed, 5);
});

test('audit ring keeps the newest events', () => {
  const audit = new AuditLog(capture().logger);
  for (let i = 0; i < AUDIT_RING_SIZE + 5; i++) {
    audit.record({ event: 'auth.logout', actor: SYSTEM_ACTOR, target: `t${i}`, outcome: 'success' });
  }
  const events = audit.list({ limit: AUDIT_RING_SIZE + 10 });
  assert.equal(events.length, AUDIT_RING_SIZE);
  assert.equal(events[0]!.target, `t${AUDIT_RING_SIZE + 4}`);
  assert.equal(events.at(-1)!.target, 't5');
});
