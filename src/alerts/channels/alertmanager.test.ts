import { describe, expect, it } from 'vitest';
import { evaluationIntervalMs } from './alertmanager.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

describe('Alertmanager: how long an alert stays valid between resends', () => {
  it('is the gap between ticks of a regular schedule, from anywhere in it', () => {
    expect(evaluationIntervalMs('*/5 * * * *', new Date('2026-12-07T06:00:00Z'))).toBe(5 * MINUTE);
    expect(evaluationIntervalMs('*/5 * * * *', new Date('2026-12-07T06:02:30Z'))).toBe(5 * MINUTE);
    expect(evaluationIntervalMs('17 * * * *', new Date('2026-12-07T06:17:00Z'))).toBe(HOUR);
  });

  it('is the wait for the next run when that is longer than the gap after it', () => {
    // every minute of 06:00-06:04 each hour: from 06:04 the next run is 07:00, then 07:01
    const now = new Date('2026-12-07T06:04:00Z');
    expect(evaluationIntervalMs('0-4 * * * *', now)).toBe(56 * MINUTE);
  });

  it('counts a schedule that runs less than twice in eight days as eight days', () => {
    expect(evaluationIntervalMs('0 0 1 1 *', new Date('2026-12-07T06:00:00Z'))).toBe(8 * DAY);
    expect(evaluationIntervalMs('0 0 31 12 *', new Date('2026-12-30T00:00:00Z'))).toBe(8 * DAY);
  });
});
