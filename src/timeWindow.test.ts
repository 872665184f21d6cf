import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  wholeGrainOf,
  windowBefore,
  windowEndingAt,
  windowLengthMs,
  windowPieces,
  type TimeWindow,
} from './timeWindow.js';

const at = (text: string) => new Date(text);
const window = (start: string, end: string): TimeWindow => ({ start: at(start), end: at(end) });

describe('a time window', () => {
  it('ends where it is asked to, and the trailing period ends where it starts', () => {
    const w = windowEndingAt(at('2026-12-06T12:00:00Z'), 3_600_000);
    expect(w).toEqual(window('2026-12-06T11:00:00Z', '2026-12-06T12:00:00Z'));
    expect(windowLengthMs(w)).toBe(3_600_000);
    expect(windowBefore(w, 86_400_000)).toEqual(
      window('2026-12-05T11:00:00Z', '2026-12-06T11:00:00Z'),
    );
  });

  it('is read in whole days, hours and five minutes, raw events only at the edges', () => {
    expect(windowPieces(window('2026-12-06T10:03:00Z', '2026-12-08T01:02:00Z'))).toEqual([
      { source: 'raw', ...window('2026-12-06T10:03:00Z', '2026-12-06T10:05:00Z') },
      { source: '5m', ...window('2026-12-06T10:05:00Z', '2026-12-06T11:00:00Z') },
      { source: '1h', ...window('2026-12-06T11:00:00Z', '2026-12-07T00:00:00Z') },
      { source: '1d', ...window('2026-12-07T00:00:00Z', '2026-12-08T00:00:00Z') },
      { source: '1h', ...window('2026-12-08T00:00:00Z', '2026-12-08T01:00:00Z') },
      { source: 'raw', ...window('2026-12-08T01:00:00Z', '2026-12-08T01:02:00Z') },
    ]);
  });

  it('is one grain table when it is whole grains of one size', () => {
    expect(wholeGrainOf(window('2026-12-06T10:00:00Z', '2026-12-06T12:00:00Z'))).toBe('1h');
    expect(wholeGrainOf(window('2026-12-06T10:05:00Z', '2026-12-06T10:30:00Z'))).toBe('5m');
    expect(wholeGrainOf(window('2026-12-06T00:00:00Z', '2026-12-08T00:00:00Z'))).toBe('1d');
    expect(wholeGrainOf(window('2026-12-06T10:05:00Z', '2026-12-06T12:00:00Z'))).toBeNull();
    expect(wholeGrainOf(window('2026-12-06T10:00:30Z', '2026-12-06T10:05:00Z'))).toBeNull();
  });

  it('is covered by its pieces end to end, each whole grains aligned to its grain', () => {
    const GRAIN_MS = { '5m': 300_000, '1h': 3_600_000, '1d': 86_400_000 };
    const start = Date.parse('2026-01-01T00:00:00Z');
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 400 * 86_400 }),
        fc.integer({ min: 1, max: 40 * 86_400 }),
        (offsetSeconds, lengthSeconds) => {
          const w = {
            start: new Date(start + offsetSeconds * 1000),
            end: new Date(start + (offsetSeconds + lengthSeconds) * 1000),
          };
          const pieces = windowPieces(w);
          expect(pieces[0]?.start).toEqual(w.start);
          expect(pieces.at(-1)?.end).toEqual(w.end);
          pieces.forEach((piece, i) => {
            if (i > 0) expect(piece.start).toEqual(pieces[i - 1]?.end);
            if (i > 0) expect(piece.source).not.toBe(pieces[i - 1]?.source);
            if (piece.source !== 'raw') {
              const ms = GRAIN_MS[piece.source];
              expect(piece.start.getTime() % ms).toBe(0);
              expect(windowLengthMs(piece) % ms).toBe(0);
            }
          });
        },
      ),
    );
  });
});
