import { describe, expect, it } from 'vitest';
import { INJECTED_CLASSES, MONTHS_PER_BATCH, monthsBatch, sha256 } from './messages.js';
import type { Injection } from './protocol.js';
import {
  findStalls,
  ledger,
  longestStall,
  missedMinuteWindows,
  resumedAfter,
  tallyInjections,
  type ProgressSample,
} from './tally.js';

function injection(
  cls: string,
  expect: string,
  payload: string,
  eventIds: string[] = [],
): Injection {
  return { cls, expect, sha256: sha256(payload), eventIds };
}

describe('the tally of injected against dead-lettered messages', () => {
  it('counts each injection as expected, under another reason, or missing, per class', () => {
    const injected = [
      injection('not JSON', 'not_json', 'a'),
      injection('not JSON', 'not_json', 'b'),
      injection('year 0000', 'ts_out_of_range', 'c'),
      injection('year 0000', 'ts_out_of_range', 'd'),
      injection('feature 1e309', 'stored', 'e', ['b-4']),
      injection('feature 1e309', 'stored', 'f', ['b-5']),
    ];
    const tally = tallyInjections(
      injected,
      [
        { sha256: sha256('a'), reason: 'not_json', rows: 1 },
        // sent twice by the producer (two offsets, two dead letters): still one injection
        { sha256: sha256('b'), reason: 'not_json', rows: 2 },
        { sha256: sha256('c'), reason: 'invalid', rows: 1 },
        { sha256: sha256('f'), reason: 'store_refused', rows: 1 },
      ],
      (id) => id === 'b-4',
    );
    expect(tally.classes).toEqual([
      {
        cls: 'not JSON',
        expect: 'not_json',
        injected: 2,
        asExpected: 2,
        otherReasons: {},
        missing: 0,
      },
      {
        cls: 'year 0000',
        expect: 'ts_out_of_range',
        injected: 2,
        asExpected: 0,
        otherReasons: { invalid: 1 },
        missing: 1,
      },
      {
        cls: 'feature 1e309',
        expect: 'stored',
        injected: 2,
        asExpected: 1,
        otherReasons: { store_refused: 1 },
        missing: 0,
      },
    ]);
    expect(tally.unexpected).toEqual({});
    expect(tally.ok).toBe(false);
  });

  it('reports dead letters of payloads that were not injected: good events refused', () => {
    const tally = tallyInjections(
      [injection('score 1e309', 'non_finite', 'x')],
      [
        { sha256: sha256('x'), reason: 'non_finite', rows: 1 },
        { sha256: sha256('a good event'), reason: 'store_refused', rows: 3 },
      ],
      () => false,
    );
    expect(tally.classes[0]?.asExpected).toBe(1);
    expect(tally.unexpected).toEqual({ store_refused: 3 });
    expect(tally.ok).toBe(false);
  });

  it('passes when every class comes out as expected', () => {
    const months = monthsBatch(0);
    const tally = tallyInjections(
      [
        injection('leap second', 'invalid_timestamp', 'l'),
        injection(
          'months',
          'stored',
          months.map((m) => m.payload).join('\n'),
          months.map((m) => m.id),
        ),
      ],
      [{ sha256: sha256('l'), reason: 'invalid_timestamp', rows: 1 }],
      (id) => id.startsWith('m-0-'),
    );
    expect(tally.ok).toBe(true);
    expect(months).toHaveLength(MONTHS_PER_BATCH);
  });

  it('gives every class a payload unique to its id', () => {
    for (const cls of INJECTED_CLASSES) {
      const a = cls.payload('b-1', '2026-11-22T10:00:00.000Z');
      const b = cls.payload('b-2', '2026-11-22T10:00:00.000Z');
      expect(sha256(a), cls.name).not.toBe(sha256(b));
    }
  });
});

describe('lost and double-counted', () => {
  it('subtracts what was stored from what was acknowledged, and distinct keys from rows and inserts', () => {
    expect(ledger(1000, 998, { rows: 1003, distinct: 1001, inserted: 1005 })).toEqual({
      produced: 1000,
      stored: 998,
      lost: 2,
      doubleCounted: 4,
      doubleCountedInTable: 2,
      doubleCountedInView: 4,
    });
    expect(ledger(10, 10, { rows: 12, distinct: 12, inserted: 12 })).toMatchObject({
      lost: 0,
      doubleCounted: 0,
    });
  });

  it('counts the table alone where no view counts inserts', () => {
    expect(ledger(100, 99, { rows: 103, distinct: 100 })).toEqual({
      produced: 100,
      stored: 99,
      lost: 1,
      doubleCounted: 3,
      doubleCountedInTable: 3,
    });
  });
});

describe('stalls', () => {
  const sample = (atMs: number, committed: number, high: number): ProgressSample => ({
    atMs,
    partitions: { 'p/0': { committed, high } },
  });

  it('measures from the last sample with progress to the first with progress again', () => {
    const stalls = findStalls([
      sample(0, 0, 10),
      sample(1000, 5, 20), // progress
      sample(2000, 5, 30), // stalled since 1000
      { atMs: 3000, partitions: null }, // broker down: nothing seen
      sample(4000, 5, 30),
      sample(5000, 30, 30), // caught up
      sample(6000, 30, 30),
    ]);
    expect(stalls).toEqual([{ partition: 'p/0', fromMs: 1000, toMs: 5000, open: false }]);
  });

  it('does not count a partition without lag as stalled', () => {
    expect(findStalls([sample(0, 10, 10), sample(1000, 10, 10), sample(2000, 10, 10)])).toEqual([]);
  });

  it('reports a stall still going when the samples end as open, per partition', () => {
    const stalls = findStalls([
      { atMs: 0, partitions: { a: { committed: 0, high: 5 }, b: { committed: 0, high: 5 } } },
      { atMs: 1000, partitions: { a: { committed: 5, high: 5 }, b: { committed: 0, high: 9 } } },
      { atMs: 2000, partitions: { a: { committed: 5, high: 5 }, b: { committed: 0, high: 9 } } },
    ]);
    expect(stalls).toEqual([{ partition: 'b', fromMs: 0, toMs: 2000, open: true }]);
    expect(longestStall(stalls)?.partition).toBe('b');
  });
});

describe('consuming again after a fault', () => {
  const sample = (atMs: number, a: number, b: number): ProgressSample => ({
    atMs,
    partitions: { a: { committed: a, high: 100 }, b: { committed: b, high: 100 } },
  });

  it('waits from the first readable sample after the fault until every lagging partition moved', () => {
    const samples = [
      sample(0, 5, 5),
      sample(1000, 10, 10),
      { atMs: 2000, partitions: null }, // the brokers went down after commits to 20, 20
      { atMs: 3000, partitions: null }, // the fault ends at 3500
      sample(4000, 20, 20), // not progress after the fault: committed before it
      sample(4500, 20, 20),
      sample(5000, 30, 20), // a moved, b not yet
      sample(6000, 30, 25),
    ];
    expect(resumedAfter(samples, 3500)).toBe(2500);
  });

  it('is undefined when a lagging partition never moves again', () => {
    expect(resumedAfter([sample(0, 1, 1), sample(1000, 5, 1), sample(2000, 9, 1)], 0)).toBe(
      undefined,
    );
  });
});

describe('monitor windows', () => {
  it('lists the minute ticks from the start (caught up at once) to the stop without a stored run', () => {
    const minute = 60_000;
    const start = 100 * minute + 20_000;
    expect(
      missedMinuteWindows(start, 104 * minute + 5_000, [100 * minute, 101 * minute, 103 * minute]),
    ).toEqual([102 * minute, 104 * minute]);
  });
});
