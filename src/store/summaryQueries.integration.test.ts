import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestStore } from '../../test/helpers/store.js';
import type { Store } from './clickhouse.js';
import { insertEvents, type EventTableRow } from './events.js';
import type { WindowPiece } from '../timeWindow.js';
import {
  insertFeatureFrames,
  listFeatureFrames,
  listSliceCombos,
  listSummaryRebuilds,
  queryCells,
  rebuildSummaries,
  upsertSummarySettings,
} from './summaryQueries.js';
import type { CellGroup } from '../drift/summaryCells.js';

/**
 * The summary views of migration 0006 against raw events: the cells the views store for an
 * hour are the cells computed from the same raw events by the query monitors use for a
 * window's edges (so the two copies of the bucketing agree), every event counts once, and a
 * rebuild replaces what it replays without counting anything twice.
 */
const HOUR = 3_600_000;
const T0 = new Date('2026-11-20T10:00:00Z');

function event(i: number, overrides: Partial<EventTableRow> = {}): EventTableRow {
  const x = Math.sin(i) * 40 + 19;
  return {
    kind: 'prediction',
    event_id: `e${i}`,
    model: 'm',
    model_version: 'v1',
    ts: new Date(T0.getTime() + i * 997).toISOString().replace('T', ' ').replace('Z', ''),
    prediction_id: `p${i % 500}`,
    score: (i % 100) / 100,
    prediction: null,
    // a feature arrives as a number or as text, never both in one event (one JSON key)
    feature_numbers: i % 7 === 0 || i % 11 === 0 ? { x } : { x, y: Math.floor(i / 3) % 5 },
    feature_strings: i % 11 === 0 ? { y: 'n/a', c: 'b' } : { c: ['a', 'b', 'c'][i % 3] ?? 'a' },
    feature_nulls: i % 13 === 0 ? ['c'] : [],
    attributes: i % 5 === 0 ? {} : { country: i % 2 ? 'US' : 'DE', channel: 'web' },
    source: 'test',
    kafka_topic: '',
    kafka_partition: -1,
    kafka_offset: -1,
    ...overrides,
  };
}

function canonical(groups: CellGroup<number[]>[]): string[] {
  return groups
    .flatMap((g) =>
      g.counts.map((count, i) =>
        JSON.stringify([
          g.feature,
          g.sliceHash,
          g.state,
          g.frame,
          g.buckets[i],
          g.categories[i] ?? '',
          count,
          Number((g.sums[i] ?? 0).toPrecision(12)),
          g.mins[i],
          g.maxs[i],
        ]),
      ),
    )
    .sort();
}

describe('window summaries on embedded ClickHouse', () => {
  let store: Store;
  const events = Array.from({ length: 3000 }, (_, i) => event(i));
  beforeAll(async () => {
    store = await openTestStore();
    await upsertSummarySettings(store, 'm', { threshold: 0.5 });
    await insertFeatureFrames(store, 'm', [{ feature: 'x', frame: 1, centre: 19, scale: 20 }]);
    await insertEvents(store, events);
  });
  afterAll(async () => {
    await store.close();
  });

  const hour: WindowPiece[] = [{ source: '1h', start: T0, end: new Date(T0.getTime() + HOUR) }];
  const raw: WindowPiece[] = [{ source: 'raw', start: T0, end: new Date(T0.getTime() + HOUR) }];

  it('stores the cells the raw-edge query computes from the same events', async () => {
    const frames = await listFeatureFrames(store, 'm');
    const settings = { version: 1, threshold: 0.5 };
    const stored = await queryCells(store, {
      model: 'm',
      kind: 'prediction',
      pieces: hour,
      rebuilds: [],
    });
    const computed = await queryCells(store, {
      model: 'm',
      kind: 'prediction',
      pieces: raw,
      rebuilds: [],
      settings,
      frames,
    });
    expect(canonical(stored)).toEqual(canonical(computed));
    expect(stored.some((g) => g.frame === 1 && g.feature === 'x')).toBe(true);
  });

  it('counts every event, value and state once, by what it arrived as', async () => {
    const cells = await queryCells(store, {
      model: 'm',
      kind: 'prediction',
      pieces: hour,
      rebuilds: [],
    });
    const total = (feature: string, state: string) =>
      cells
        .filter((g) => g.feature === feature && g.state === state)
        .reduce((s, g) => s + g.counts.reduce((a, b) => a + b, 0), 0);
    expect(total('', 'event')).toBe(events.length);
    expect(total('x', 'number')).toBe(events.length);
    expect(total('y', 'number')).toBe(events.filter((e) => 'y' in e.feature_numbers).length);
    expect(total('y', 'string')).toBe(events.filter((e) => 'y' in e.feature_strings).length);
    expect(total('c', 'null')).toBe(events.filter((e) => e.feature_nulls.includes('c')).length);
    const above = cells
      .filter((g) => g.state === 'score')
      .flatMap((g) => g.counts.map((count, i) => ({ count, min: g.mins[i] ?? 0 })))
      .filter((cell) => cell.min >= 0.5)
      .reduce((s, cell) => s + cell.count, 0);
    // the score cells split at the configured threshold: counts at or above it are exact
    expect(above).toBe(events.filter((e) => (e.score ?? 0) >= 0.5).length);
    const combos = await listSliceCombos(store, 'm');
    expect(
      combos
        .map((c) => c.attributes)
        .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
    ).toEqual([{ channel: 'web', country: 'DE' }, { channel: 'web', country: 'US' }, {}]);
  });

  it('rebuilds whole days from raw events without counting anything twice', async () => {
    // events ingested yesterday, then a new frame: a rebuild replays them in it
    const older = Array.from({ length: 400 }, (_, i) =>
      event(10_000 + i, {
        ts: new Date(T0.getTime() + 2 * HOUR + i * 1000)
          .toISOString()
          .replace('T', ' ')
          .replace('Z', ''),
      }),
    );
    const yesterday = new Date(Date.now() - 86_400_000)
      .toISOString()
      .replace('T', ' ')
      .replace('Z', '');
    await store.insert(
      'events',
      older.map((e) => ({ ...e, ingested_at: yesterday })),
    );
    const later: WindowPiece[] = [
      {
        source: '1d',
        start: new Date('2026-11-20T00:00:00Z'),
        end: new Date('2026-11-21T00:00:00Z'),
      },
    ];
    const countAll = async () => {
      const rebuilds = await listSummaryRebuilds(store, 'm');
      const cells = await queryCells(store, {
        model: 'm',
        kind: 'prediction',
        pieces: later,
        rebuilds,
      });
      return {
        events: cells
          .filter((g) => g.state === 'event')
          .reduce((s, g) => s + g.counts.reduce((a, b) => a + b, 0), 0),
        frames: new Set(cells.filter((g) => g.feature === 'x').map((g) => g.frame)),
      };
    };
    expect(await countAll()).toEqual({ events: 3400, frames: new Set([1]) });
    await insertFeatureFrames(store, 'm', [{ feature: 'x', frame: 2, centre: 0, scale: 1 }]);
    const first = await rebuildSummaries(store, {
      model: 'm',
      fromDay: '2026-11-20',
      toDay: '2026-11-21',
    });
    expect(first.events).toBe(400);
    expect(await countAll()).toEqual({ events: 3400, frames: new Set([1, 2]) });
    const second = await rebuildSummaries(store, {
      model: 'm',
      fromDay: '2026-11-20',
      toDay: '2026-11-21',
    });
    expect(second.rebuildId).toBe(first.rebuildId + 1);
    expect(await countAll()).toEqual({ events: 3400, frames: new Set([1, 2]) });
  });
});
