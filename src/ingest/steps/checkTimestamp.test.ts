import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createCheckTimestampStep, parseRfc3339 } from './checkTimestamp.js';

describe('event timestamps', () => {
  it('agrees with Date.parse on every valid RFC 3339 time (property)', () => {
    fc.assert(
      fc.property(
        fc.date({
          min: new Date('1900-01-01T00:00:00Z'),
          max: new Date('2299-12-31T23:59:59Z'),
          noInvalidDate: true,
        }),
        fc.integer({ min: -23 * 60 - 59, max: 23 * 60 + 59 }),
        (date, offsetMinutes) => {
          const local = new Date(date.getTime() + offsetMinutes * 60_000)
            .toISOString()
            .slice(0, 23);
          const sign = offsetMinutes < 0 ? '-' : '+';
          const abs = Math.abs(offsetMinutes);
          const offset = `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
          const text = `${local}${offset}`;
          expect(parseRfc3339(text)).toBe(Date.parse(text));
          expect(parseRfc3339(`${local}Z`)).toBe(Date.parse(`${local}Z`));
        },
      ),
      { seed: 20261123, numRuns: 500 },
    );
  });

  it.each([
    ['2026-12-31T23:59:60Z', /leap second/],
    ['2026-02-29T00:00:00Z', /no day 29 in month 2/],
    ['2026-04-31T00:00:00Z', /no day 31 in month 4/],
    ['2026-13-01T00:00:00Z', /no month 13/],
    ['2026-01-01T24:00:00Z', /not a time of day/],
    ['2026-01-01T00:00:00+24:00', /impossible UTC offset/],
    ['yesterday', /not an RFC 3339 date-time/],
  ])('says why %s is no instant', (text, why) => {
    expect(parseRfc3339(text)).toMatch(why);
  });

  it('knows leap years, and truncates fractions beyond milliseconds', () => {
    expect(parseRfc3339('2024-02-29T12:00:00Z')).toBe(Date.UTC(2024, 1, 29, 12));
    expect(parseRfc3339('2000-02-29T00:00:00Z')).toBe(Date.UTC(2000, 1, 29));
    expect(parseRfc3339('1900-02-29T00:00:00Z')).toMatch(/no day 29/);
    expect(parseRfc3339('2026-11-22T10:00:00.123999Z')).toBe(Date.UTC(2026, 10, 22, 10, 0, 0, 123));
    expect(parseRfc3339('0000-11-22T23:30:00Z')).toBe(Date.parse('0000-11-22T23:30:00Z'));
  });

  it('refuses times outside the accepted range with the setting to change', () => {
    const now = Date.UTC(2026, 10, 23);
    const check = createCheckTimestampStep({
      earliestMs: Date.UTC(2000, 0, 1),
      maxFutureSkewMs: 3_600_000,
      now: () => now,
    });
    expect(check('2026-11-23T00:59:59Z')).toEqual({ ok: true, value: now + 3_599_000 });
    expect(check('2026-11-23T01:00:01Z')).toMatchObject({
      ok: false,
      reason: 'ts_out_of_range',
      detail: expect.stringMatching(/DRIFTWATCH_MAX_FUTURE_SKEW_SECONDS/),
    });
    expect(check('1999-12-31T23:59:59.999Z')).toMatchObject({
      ok: false,
      reason: 'ts_out_of_range',
      detail: expect.stringMatching(/DRIFTWATCH_EARLIEST_EVENT_TIME/),
    });
    expect(check('2000-01-01T00:00:00Z')).toEqual({ ok: true, value: Date.UTC(2000, 0, 1) });
  });
});
