import { describe, expect, it } from 'vitest';
import { parseRetryAfter, retryDelayMs } from './backoff.js';

const POLICY = { maxAttempts: 10, baseDelayMs: 1000, maxDelayMs: 60_000 };

describe('retry delays', () => {
  it('double per failed attempt, with half of each delay jittered, up to the maximum', () => {
    const low = (n: number) => retryDelayMs(n, POLICY, () => 0);
    const high = (n: number) => retryDelayMs(n, POLICY, () => 1);
    expect([1, 2, 3, 4].map(low)).toEqual([500, 1000, 2000, 4000]);
    expect([1, 2, 3, 4].map(high)).toEqual([1000, 2000, 4000, 8000]);
    expect(high(20)).toBe(60_000);
    expect(low(20)).toBe(30_000);
    expect(retryDelayMs(3, POLICY, () => 0.5)).toBe(3000);
  });

  it("take the server's Retry-After at its word", () => {
    expect(retryDelayMs(1, POLICY, () => 1, 7000)).toBe(7000);
    expect(retryDelayMs(9, POLICY, () => 0, 0)).toBe(0);
  });

  it('read Retry-After as seconds or as an HTTP date', () => {
    const now = new Date('2026-11-22T10:00:00Z');
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter('Sun, 22 Nov 2026 10:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});
