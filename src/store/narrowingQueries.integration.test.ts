import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestStore } from '../../test/helpers/store.js';
import type { FinerCell, ValueInterval } from '../drift/narrowing.js';
import type { Store } from './clickhouse.js';
import { queryFinerCells, type FinerCellRequest } from './narrowingQueries.js';
import { profileSliceId } from './profileQueries.js';

/**
 * The raw side of narrowing (queryFinerCells over a window's events): its cells against
 * the same cells counted here from the values inserted — with rows outside every hull,
 * non-finite values, a feature missing from some events, two features and two slices, so
 * that the query's row filter (only rows inside some request's hull go on to the slice
 * labels and the interval search) drops exactly the rows that count for nothing.
 */
const MODEL = 'narrowing-model';
const START = Date.UTC(2026, 10, 2, 10);
const EVENTS = 2_000;
const KEYS = [{ attributes: ['region'], kept: ['r0', 'r1'] }];

/** Values on a 1/8 grid, so every sum is exact in any order. */
function valueOf(i: number, feature: 'a' | 'b'): number {
  if (feature === 'a' && i % 97 === 0) return NaN;
  if (feature === 'a' && i % 89 === 0) return i % 2 ? Infinity : -Infinity;
  return feature === 'a' ? ((i * 37) % 400) / 8 - 25 : ((i * 53) % 160) / 8 - 10;
}
const hasB = (i: number) => i % 5 !== 0;
const regionOf = (i: number) => `r${i % 3}`;

function literal(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  return String(value);
}

let store: Store;

beforeAll(async () => {
  store = await openTestStore();
  const rows = Array.from({ length: EVENTS }, (_, i) => {
    const numbers = [`'a', ${literal(valueOf(i, 'a'))}`];
    if (hasB(i)) numbers.push(`'b', ${literal(valueOf(i, 'b'))}`);
    const ts = new Date(START + i * 1000).toISOString().replace('T', ' ').replace('Z', '');
    return `('prediction', 'e${i}', '${MODEL}', toDateTime64('${ts}', 3, 'UTC'), 'e${i}', 0.5,
             map(${numbers.join(', ')}), map(), [], map('region', '${regionOf(i)}'))`;
  });
  await store.command(
    `INSERT INTO events (kind, event_id, model, ts, prediction_id, score, feature_numbers, feature_strings, feature_nulls, attributes)
     VALUES ${rows.join(',\n')}`,
  );
}, 60_000);

afterAll(async () => {
  await store?.close();
});

/** The cells queryFinerCells should answer, counted from the inserted values. */
function expectedCells(
  feature: 'a' | 'b',
  inSlice: (i: number) => boolean,
  intervals: readonly ValueInterval[],
): FinerCell[] {
  const cells = new Map<string, FinerCell>();
  for (let i = 0; i < EVENTS; i += 1) {
    if (!inSlice(i) || (feature === 'b' && !hasB(i))) continue;
    const v = valueOf(i, feature);
    if (!Number.isFinite(v)) continue;
    const j = intervals.findIndex((interval) => interval.lo <= v && v <= interval.hi);
    const interval = intervals[j];
    if (!interval) continue;
    const scaled = Math.floor(((v - interval.lo) / (interval.hi - interval.lo)) * interval.parts);
    const part = Math.min(interval.parts - 1, Math.max(0, scaled));
    const key = `${j}:${part}`;
    const cell = cells.get(key) ?? { interval: j, count: 0, sum: 0, min: v, max: v };
    cells.set(key, {
      interval: j,
      count: cell.count + 1,
      sum: cell.sum + v,
      min: Math.min(cell.min, v),
      max: Math.max(cell.max, v),
    });
  }
  return sortCells([...cells.values()]);
}

function sortCells(cells: FinerCell[]): FinerCell[] {
  return [...cells].sort((x, y) => x.interval - y.interval || x.min - y.min);
}

describe('finer cells from raw events', () => {
  it('are the cells of the values inside each request’s intervals, whatever else the events hold', async () => {
    const requests: FinerCellRequest[] = [
      {
        feature: 'a',
        sliceId: profileSliceId('', ''),
        intervals: [
          { lo: -3, hi: 1.5, parts: 8 },
          { lo: 10, hi: 12, parts: 4 },
        ],
      },
      {
        feature: 'a',
        sliceId: profileSliceId('region', 'r1'),
        intervals: [{ lo: -25, hi: -20, parts: 16 }],
      },
      {
        feature: 'b',
        sliceId: profileSliceId('region', 'other'),
        intervals: [{ lo: 0, hi: 2, parts: 5 }],
      },
      { feature: 'b', sliceId: profileSliceId('', ''), intervals: [] },
    ];
    const window = { start: new Date(START), end: new Date(START + EVENTS * 1000) };
    const answer = await queryFinerCells(
      store,
      { kind: 'events', model: MODEL, window },
      KEYS,
      requests,
    );
    expect(answer.map(sortCells)).toEqual([
      expectedCells('a', () => true, requests[0]?.intervals ?? []),
      expectedCells('a', (i) => regionOf(i) === 'r1', requests[1]?.intervals ?? []),
      expectedCells('b', (i) => regionOf(i) === 'r2', requests[2]?.intervals ?? []),
      [],
    ]);
    // the case is not empty: every request with intervals has cells
    expect(answer.slice(0, 3).every((cells) => cells.length > 1)).toBe(true);
  });
});
