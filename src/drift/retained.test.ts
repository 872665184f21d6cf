import { describe, expect, it } from 'vitest';
import type { WindowPiece } from '../timeWindow.js';
import { firstExpiredPiece } from './retained.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const NOW = Date.UTC(2026, 10, 23, 12);
const at = (ms: number) => new Date(ms);
const piece = (source: WindowPiece['source'], start: number, ms: number): WindowPiece => ({
  source,
  start: at(start),
  end: at(start + ms),
});

describe('which piece of a window reaches past what its source keeps', () => {
  const retained = { raw: 30, '5m': 35, '1h': 400, finer: 35 };

  it('finds none when nothing expires, or everything is recent enough', () => {
    const old = NOW - 1000 * DAY;
    expect(
      firstExpiredPiece([piece('5m', old, 300_000)], { raw: 0, '5m': 0, '1h': 0, finer: 0 }, NOW),
    ).toBeUndefined();
    expect(firstExpiredPiece([piece('1d', old, DAY)], retained, NOW)).toBeUndefined();
    expect(
      firstExpiredPiece([piece('5m', NOW - 34 * DAY, 300_000)], retained, NOW),
    ).toBeUndefined();
  });

  it('names the first piece past its own source horizon, raw edges included', () => {
    const fiveMinutes = piece('5m', NOW - 36 * DAY, 300_000);
    expect(
      firstExpiredPiece([piece('1h', NOW - 36 * DAY - HOUR, HOUR), fiveMinutes], retained, NOW),
    ).toEqual({ piece: fiveMinutes, days: 35, source: '5m' });
    const raw = piece('raw', NOW - 31 * DAY, 60_000);
    expect(firstExpiredPiece([raw], retained, NOW)).toMatchObject({ source: 'raw', days: 30 });
  });

  it('counts a piece within an hour of its horizon as expired: merges delete at any moment', () => {
    const horizon = NOW - 35 * DAY;
    expect(
      firstExpiredPiece([piece('5m', horizon + 30 * 60_000, 300_000)], retained, NOW),
    ).toMatchObject({ source: '5m' });
    expect(
      firstExpiredPiece([piece('5m', horizon + HOUR, 300_000)], retained, NOW),
    ).toBeUndefined();
  });
});
