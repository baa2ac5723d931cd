import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DucklingError } from '../../src/errors/index.js';
import { QueryGovernor, type QuerySlot, type SlotRequest } from '../../src/query/index.js';
import { openReplicaFixture, type ReplicaFixture } from './replica-fixture.js';

/** A cross join far too big to finish: only an interrupt ends it. */
const ENDLESS_QUERY = 'SELECT sum(a.range * b.range) FROM range(100000000) a, range(100000000) b';

function slotRequest(overrides: Partial<SlotRequest> = {}): SlotRequest {
  return { databaseId: 'db1', principal: 'alice', priority: 'normal', timeoutMs: 0, sql: 'SELECT 1', protocol: 'rest', ...overrides };
}

/** Records the order in which labelled requests are granted. */
function recordGrants(governor: QueryGovernor, requests: Array<[string, Partial<SlotRequest>]>): { order: string[]; slots: Map<string, QuerySlot> } {
  const order: string[] = [];
  const slots = new Map<string, QuerySlot>();
  for (const [label, overrides] of requests) {
    void governor.acquire(slotRequest(overrides)).then((slot) => {
      order.push(label);
      slots.set(label, slot);
    });
  }
  return { order, slots };
}

/** Lets granted promises settle. */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

describe('QueryGovernor queue', () => {
  test('queue full gives 503', async () => {
    const governor = new QueryGovernor({ maxConcurrent: 1, queueMax: 1 }, 30_000);
    const running = await governor.acquire(slotRequest());
    const queued = governor.acquire(slotRequest({ principal: 'bob' }));
    await assert.rejects(governor.acquire(slotRequest({ principal: 'carol' })), (error: unknown) => {
      assert.ok(error instanceof DucklingError);
      assert.equal(error.code, 'DUCKLING_QUERY_QUEUE_FULL');
      assert.equal(error.statusCode, 503);
      assert.equal(error.headers['Retry-After'], '1');
      return true;
    });
    assert.equal(governor.stats().totalRejected, 1);
    running.release();
    (await queued).release();
    assert.equal(governor.stats().running, 0);
    assert.equal(governor.stats().totalExecuted, 2);
  });

  test('timeout while queued gives 504', async () => {
    const governor = new QueryGovernor({ maxConcurrent: 1, queueMax: 5 }, 30_000);
    const running = await governor.acquire(slotRequest());
    await assert.rejects(governor.acquire(slotRequest({ timeoutMs: 20 })), { code: 'DUCKLING_QUERY_TIMEOUT' });
    assert.equal(governor.stats().queued, 0);
    assert.equal(governor.stats().totalTimedOut, 1);
    running.release();
  });

  test('shutdown rejects waiting queries', async () => {
    const governor = new QueryGovernor({ maxConcurrent: 1, queueMax: 5 }, 30_000);
    const running = await governor.acquire(slotRequest());
    const waiting = governor.acquire(slotRequest());
    governor.shutdown();
    await assert.rejects(waiting, { code: 'DUCKLING_NOT_READY' });
    assert.ok(running.signal.aborted);
    running.release();
    await assert.rejects(governor.acquire(slotRequest()), { code: 'DUCKLING_NOT_READY' });
  });
});

describe('QueryGovernor fairness', () => {
  test('principal cap leaves slots to others', async () => {
    const governor = new QueryGovernor({ maxConcurrent: 4, queueMax: 10 }, 30_000);
    assert.equal(governor.principalCap, 2);
    const first = await governor.acquire(slotRequest());
    const second = await governor.acquire(slotRequest());
    const { order, slots } = recordGrants(governor, [['alice-3', {}], ['bob-1', { principal: 'bob' }]]);
    await settle();
    assert.deepEqual(order, ['bob-1']);
    assert.equal(governor.stats().running, 3);
    assert.equal(governor.stats().queued, 1);

    first.release();
    await settle();
    assert.deepEqual(order, ['bob-1', 'alice-3']);
    second.release();
    for (const slot of slots.values()) slot.release();
    assert.equal(governor.stats().running, 0);
  });

  test('tier cap lowers principal share', async () => {
    const governor = new QueryGovernor({ maxConcurrent: 10, queueMax: 10 }, 30_000);
    const held = [
      await governor.acquire(slotRequest({ maxRunning: 2 })),
      await governor.acquire(slotRequest({ maxRunning: 2 })),
    ];
    const { order, slots } = recordGrants(governor, [['alice-3', { maxRunning: 2 }], ['bob-1', { principal: 'bob' }]]);
    await settle();
    assert.deepEqual(order, ['bob-1']);
    assert.equal(governor.stats().queued, 1);

    held[0]!.release();
    await settle();
    assert.deepEqual(order, ['bob-1', 'alice-3']);
    held[1]!.release();
    for (const slot of slots.values()) slot.release();
    assert.equal(governor.stats().running, 0);
  });

  test('normal query after five high grants', async () => {
    const governor = new QueryGovernor({ maxConcurrent: 1, queueMax: 20 }, 30_000);
    const holder = await governor.acquire(slotRequest());
    const labels: Array<[string, Partial<SlotRequest>]> = [['normal', {}]];
    for (let index = 1; index <= 6; index += 1) labels.push([`high-${index}`, { priority: 'high' }]);
    const { order, slots } = recordGrants(governor, labels);
    await settle();

    holder.release();
    for (let step = 0; step < 7; step += 1) {
      await settle();
      slots.get(order[order.length - 1]!)!.release();
    }
    assert.deepEqual(order, ['high-1', 'high-2', 'high-3', 'high-4', 'high-5', 'normal', 'high-6']);
  });

  test('round-robin across databases', async () => {
    const governor = new QueryGovernor({ maxConcurrent: 1, queueMax: 20 }, 30_000);
    const holder = await governor.acquire(slotRequest({ databaseId: 'db1' }));
    const { order, slots } = recordGrants(governor, [
      ['db1-a', { databaseId: 'db1' }],
      ['db1-b', { databaseId: 'db1' }],
      ['db2-a', { databaseId: 'db2' }],
      ['db2-b', { databaseId: 'db2' }],
    ]);
    await settle();

    holder.release();
    for (let step = 0; step < 4; step += 1) {
      await settle();
      slots.get(order[order.length - 1]!)!.release();
    }
    assert.deepEqual(order, ['db2-a', 'db1-a', 'db2-b', 'db1-b']);
  });
});

describe('QueryService interrupts', () => {
  let fixture: ReplicaFixture;
  before(async () => {
    fixture = await openReplicaFixture(async () => {}, { maxConcurrent: 1, timeoutMs: 30_000 });
  });
  after(async () => {
    await fixture.close();
  });

  test('timeout interrupts and frees the slot', async () => {
    await assert.rejects(fixture.service.execute(fixture.request(ENDLESS_QUERY, { timeoutMs: 200 })), (error: unknown) => {
      assert.ok(error instanceof DucklingError);
      assert.equal(error.code, 'DUCKLING_QUERY_TIMEOUT');
      assert.equal(error.statusCode, 504);
      return true;
    });
    const stats = fixture.service.governorStats();
    assert.equal(stats.running, 0);
    assert.equal(stats.totalTimedOut, 1);

    const next = await fixture.service.execute(fixture.request('SELECT 42 AS answer'));
    assert.deepEqual(next.rows, [[42]]);
  });

  test('abort signal interrupts', async () => {
    const controller = new AbortController();
    const reason = new Error('client went away');
    const pending = fixture.service.execute(fixture.request(ENDLESS_QUERY, { signal: controller.signal }));
    // Abort once the query has its slot, so the running statement is what gets interrupted.
    for (let attempt = 0; attempt < 1000 && fixture.service.governorStats().running === 0; attempt += 1) await settle();
    assert.equal(fixture.service.governorStats().running, 1);
    controller.abort(reason);

    await assert.rejects(pending, (error: unknown) => error === reason);
    assert.equal(fixture.service.governorStats().running, 0);
    const next = await fixture.service.execute(fixture.request('SELECT 1 AS one'));
    assert.deepEqual(next.rows, [[1]]);
  });

  test('aborted stream releases its slot', async () => {
    const controller = new AbortController();
    const stream = await fixture.service.stream(fixture.request('SELECT * FROM range(100000000)', { signal: controller.signal, maxRows: 100_000_000 }));
    let received = 0;
    await assert.rejects(async () => {
      for await (const row of stream.rows) {
        received += row.length;
        if (received === 10) controller.abort(new Error('client went away'));
      }
    }, /client went away/);
    assert.equal(fixture.service.governorStats().running, 0);
  });
});
