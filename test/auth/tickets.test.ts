import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CredentialWatch, MemoryTicketStore, Tickets, type Principal } from '../../src/auth/index.js';

const admin: Principal = { kind: 'admin', tier: 'jwt', username: 'admin', authMethod: 'session', jti: 'jti-1', expiresAt: new Date('2030-01-01T01:00:00Z') };

describe('Tickets', () => {
  test('ticket works once', async () => {
    const tickets = new Tickets(new MemoryTicketStore());
    const { ticket } = await tickets.issue(admin, 'sse', 'default');

    assert.match(ticket, /^[A-Za-z0-9_-]{43}$/);
    const grant = await tickets.redeem(ticket);
    assert.equal(grant?.purpose, 'sse');
    assert.equal(grant?.db, 'default');
    assert.deepEqual(grant?.principal, admin);
    assert.equal(await tickets.redeem(ticket), null, 'second use');
  });

  test('ticket expires after 60 s', async () => {
    let nowMs = Date.parse('2030-01-01T00:00:00Z');
    const clock = () => nowMs;
    const tickets = new Tickets(new MemoryTicketStore(clock), clock);
    const { ticket, expiresAt } = await tickets.issue(admin, 'ws', 'default');

    assert.equal(expiresAt.toISOString(), '2030-01-01T00:01:00.000Z');
    nowMs += 60_000;
    assert.equal(await tickets.redeem(ticket), null);
  });

  test('unknown ticket is null', async () => {
    const tickets = new Tickets(new MemoryTicketStore());
    assert.equal(await tickets.redeem('A'.repeat(43)), null);
  });
});

describe('CredentialWatch', () => {
  test('revocation ends the session', () => {
    const watch = new CredentialWatch();
    const ended: string[] = [];
    watch.watch(admin, (reason) => ended.push(reason));
    watch.revoked('other-jti');
    assert.deepEqual(ended, []);
    watch.revoked('jti-1');
    assert.equal(ended.length, 1);
    assert.match(ended[0]!, /logout/);
    assert.equal(watch.size, 0);
  });

  test('deleted key ends its streams only', () => {
    const watch = new CredentialWatch();
    const ended: string[] = [];
    const key = (keyId: string): Principal => ({ kind: 'databaseKey', tier: 'apiKey', databaseId: 'shop', keyId, keyFingerprint: 'f', expiresAt: null });
    watch.watch(key('k1'), () => ended.push('k1'));
    watch.watch(key('k2'), () => ended.push('k2'));
    watch.keyDeleted('shop', 'k1');
    assert.deepEqual(ended, ['k1']);
  });

  test('expiry ends the session', async () => {
    const watch = new CredentialWatch();
    const soon: Principal = { ...admin, kind: 'admin', expiresAt: new Date(Date.now() + 20) } as Principal;
    // The watch's timer does not keep the process alive, so this one does until it fires.
    const keepAlive = setTimeout(() => undefined, 5_000);
    const ended = new Promise<string>((resolve) => watch.watch(soon, resolve));
    assert.match(await ended, /expired/);
    clearTimeout(keepAlive);
  });

  test('stop function stops watching', () => {
    const watch = new CredentialWatch();
    let ended = false;
    const stop = watch.watch(admin, () => {
      ended = true;
    });
    stop();
    watch.revoked('jti-1');
    assert.equal(ended, false);
  });
});
