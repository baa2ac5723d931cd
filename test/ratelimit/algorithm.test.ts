import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkWindow, rollWindow, waitMs, weightedUsage, type WindowState } from '../../src/ratelimit/index.js';

const WINDOW_MS = 60_000;

/** Runs requests of the given costs at the given times against one bucket; returns each decision. */
function run(limit: number, requests: Array<{ atMs: number; cost: number }>, start: WindowState | null = null) {
  let state = start;
  return requests.map(({ atMs, cost }) => {
    const decision = checkWindow(state, { nowMs: atMs, windowMs: WINDOW_MS, limit, cost });
    state = decision.state;
    return decision;
  });
}

describe('sliding window', () => {
  test('two cost-5 pass, third cost-1 blocked', () => {
    const [first, second, third] = run(10, [
      { atMs: 1_000, cost: 5 },
      { atMs: 1_000, cost: 5 },
      { atMs: 1_000, cost: 1 },
    ]);

    assert.equal(first!.allowed, true);
    assert.equal(first!.remaining, 5);
    assert.equal(second!.allowed, true);
    assert.equal(second!.remaining, 0);
    assert.equal(third!.allowed, false);
    assert.equal(third!.remaining, 0);
    // Nothing decays before the window ends, so the unit frees once the window has rolled and
    // the previous 10 have decayed by 1: (60 − 0) s + 60 s × (1 − 9/10) = 66 s.
    assert.equal(third!.retryAfterSec, 66);
    assert.equal(third!.state.current, 10, 'a blocked request adds nothing');
  });

  const admissionCases: Array<{ name: string; limit: number; costs: number[]; admitted: boolean[] }> = [
    { name: 'exact fit admitted', limit: 3, costs: [1, 1, 1, 1], admitted: [true, true, true, false] },
    { name: 'cost larger than rest', limit: 5, costs: [3, 3, 2], admitted: [true, false, true] },
    { name: 'cost above limit never fits', limit: 2, costs: [3, 1], admitted: [false, true] },
    { name: 'limit of one', limit: 1, costs: [1, 1], admitted: [true, false] },
  ];
  for (const testCase of admissionCases) {
    test(`admission: ${testCase.name}`, () => {
      const decisions = run(testCase.limit, testCase.costs.map((cost) => ({ atMs: 0, cost })));
      assert.deepEqual(decisions.map((decision) => decision.allowed), testCase.admitted);
    });
  }

  test('previous window weighs by overlap', () => {
    const state: WindowState = { windowStartMs: 0, current: 0, previous: 10 };
    assert.equal(weightedUsage(state, 0, WINDOW_MS), 10);
    assert.equal(weightedUsage(state, 15_000, WINDOW_MS), 7.5);
    assert.equal(weightedUsage(state, 60_000, WINDOW_MS), 0);
  });

  const rollCases: Array<{ name: string; atMs: number; expected: WindowState }> = [
    { name: 'within window keeps counts', atMs: 59_999, expected: { windowStartMs: 0, current: 4, previous: 2 } },
    { name: 'one window shifts current', atMs: 60_000, expected: { windowStartMs: 60_000, current: 0, previous: 4 } },
    { name: 'just under two windows shifts', atMs: 119_999, expected: { windowStartMs: 60_000, current: 0, previous: 4 } },
    { name: 'two windows reset both', atMs: 120_000, expected: { windowStartMs: 120_000, current: 0, previous: 0 } },
  ];
  for (const testCase of rollCases) {
    test(`roll: ${testCase.name}`, () => {
      assert.deepEqual(rollWindow({ windowStartMs: 0, current: 4, previous: 2 }, testCase.atMs, WINDOW_MS), testCase.expected);
    });
  }

  test('blocked request recovers after window', () => {
    const decisions = run(2, [
      { atMs: 0, cost: 1 },
      { atMs: 0, cost: 1 },
      { atMs: 30_000, cost: 1 },
      { atMs: 90_000, cost: 1 },
    ]);
    assert.deepEqual(decisions.map((decision) => decision.allowed), [true, true, false, true]);
    // At 90 s the previous window (2 units) still counts half: 1 + 1 = 2 units used.
    assert.equal(decisions[3]!.remaining, 0);
  });

  const waitCases: Array<{ name: string; state: WindowState; atMs: number; drop: number; expectedMs: number }> = [
    // Usage 5 + 4 = 9 at mid-window; the previous share (5) covers a drop of 2: 60 s × 2 / 10.
    { name: 'previous share covers drop', state: { windowStartMs: 0, current: 4, previous: 10 }, atMs: 30_000, drop: 2, expectedMs: 12_000 },
    // Usage 5 + 4 = 9; a drop of 6 needs the rest of the window (30 s), then 4 must fall to 3: 60 s × (1 − 3/4).
    { name: 'drop reaches current', state: { windowStartMs: 0, current: 4, previous: 10 }, atMs: 30_000, drop: 6, expectedMs: 45_000 },
    { name: 'no previous window', state: { windowStartMs: 0, current: 10, previous: 0 }, atMs: 0, drop: 1, expectedMs: 66_000 },
    { name: 'drop beyond usage waits until empty', state: { windowStartMs: 0, current: 2, previous: 0 }, atMs: 0, drop: 5, expectedMs: 120_000 },
    { name: 'nothing to drop', state: { windowStartMs: 0, current: 0, previous: 0 }, atMs: 0, drop: 1, expectedMs: 0 },
  ];
  for (const testCase of waitCases) {
    test(`wait: ${testCase.name}`, () => {
      assert.equal(waitMs(testCase.state, testCase.atMs, WINDOW_MS, testCase.drop), testCase.expectedMs);
    });
  }

  test('reset is zero below one unit', () => {
    const [decision] = run(10, [{ atMs: 0, cost: 1 }], { windowStartMs: -59_000, current: 0, previous: 0 });
    // 1 s until the window rolls, then a full window until the unit has decayed: 61 s.
    assert.equal(decision!.resetSec, 61);
    const fresh = checkWindow({ windowStartMs: 0, current: 0, previous: 1 }, { nowMs: 30_000, windowMs: WINDOW_MS, limit: 10, cost: 0 });
    assert.equal(fresh.usage, 0.5);
    assert.equal(fresh.resetSec, 0);
  });

  test('retry-after is at least one second', () => {
    const decision = checkWindow({ windowStartMs: 0, current: 0, previous: 10 }, { nowMs: 59_990, windowMs: WINDOW_MS, limit: 10, cost: 10 });
    assert.equal(decision.allowed, false);
    assert.equal(decision.retryAfterSec, 1);
  });
});
