import { describe, expect, it } from 'vitest';
import { DriftwatchError } from '../errors.js';
import { storeError } from './clickhouse.js';
import { isWorthWaitingFor, nextStoreRetryMs, STORE_WAIT_BACKOFF } from './connect.js';

/** The delays start-up would sleep, in order, if every attempt failed at once. */
function schedule(deadlineMs: number, random: () => number): number[] {
  const delays: number[] = [];
  let waited = 0;
  for (let attempt = 1; ; attempt += 1) {
    const delay = nextStoreRetryMs(attempt, waited, deadlineMs, random);
    if (delay === undefined) return delays;
    delays.push(delay);
    waited += delay;
  }
}

describe('the wait for the store: backoff schedule', () => {
  it('doubles from 0.5 s to 15 s at the top of its jitter, then stays at 15 s up to the deadline', () => {
    expect(STORE_WAIT_BACKOFF).toEqual({ baseDelayMs: 500, maxDelayMs: 15_000 });
    expect(schedule(60_000, () => 1)).toEqual([
      500, 1000, 2000, 4000, 8000, 15_000, 15_000, 14_500,
    ]);
  });

  it('draws each delay between half and all of the exponential one (equal jitter)', () => {
    expect(schedule(20_000, () => 0)).toEqual([250, 500, 1000, 2000, 4000, 7500, 4750]);
    const halfway = schedule(300_000, () => 0.5);
    expect(halfway.slice(0, 6)).toEqual([375, 750, 1500, 3000, 6000, 11_250]);
  });

  it('never sleeps past the deadline: the last attempt is at the deadline, and then none', () => {
    for (const deadline of [1, 499, 500, 7_001, 300_000]) {
      const delays = schedule(deadline, () => 0.37);
      expect(delays.reduce((sum, delay) => sum + delay, 0)).toBe(deadline);
      expect(Math.max(...delays)).toBeLessThanOrEqual(15_000);
    }
    expect(nextStoreRetryMs(3, 10_000, 10_000, () => 0.5)).toBeUndefined();
    expect(nextStoreRetryMs(1, 0, 0, () => 0.5)).toBeUndefined(); // 0: no wait at all
  });
});

describe('what start-up waits for', () => {
  const socketError = (code: string, message: string) =>
    Object.assign(new Error(message), { code });
  const serverError = (code: number, message: string) =>
    Object.assign(new Error(`Code: ${code}. DB::Exception: ${message}`), { code: String(code) });

  it('waits while the server cannot be reached: refused, reset, DNS, timeouts, a server busy starting', () => {
    for (const failure of [
      socketError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:8123'),
      socketError('ECONNRESET', 'socket hang up'),
      socketError('ENOTFOUND', 'getaddrinfo ENOTFOUND clickhouse'),
      new Error('Timeout error.'),
      serverError(241, 'Memory limit exceeded'),
    ]) {
      expect(isWorthWaitingFor(storeError('SELECT 1', failure))).toBe(true);
    }
  });

  it('fails at once where waiting mends nothing: credentials, a query error, a changed migration', () => {
    for (const failure of [
      serverError(516, 'driftwatch: Authentication failed'),
      serverError(192, 'Unknown user'),
      serverError(497, 'Not enough privileges'),
      serverError(62, 'Syntax error'),
    ]) {
      expect(isWorthWaitingFor(storeError('SELECT 1', failure))).toBe(false);
    }
    expect(
      isWorthWaitingFor(new DriftwatchError('DW_MIGRATION', 'migration 001 was changed')),
    ).toBe(false);
    expect(isWorthWaitingFor(new TypeError('Invalid URL'))).toBe(false);
  });
});
