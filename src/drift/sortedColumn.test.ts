import { describe, expect, it } from 'vitest';
import { binQuantileLevels } from '../stats/bins.js';
import { columnAggregates, placeColumn, type NumericAggregates } from './sortedColumn.js';

const LEVELS = binQuantileLevels(10);

/** A column of three slots on both sides (NaN: no value), from a formula per row. */
function column(rows: number, value: (i: number, group: number) => number) {
  const group = Uint32Array.from({ length: rows }, (_, i) => 2 + ((i * 7 + (i >> 3)) % 6));
  return () => placeColumn([{ group, value: Float64Array.from(group, (g, i) => value(i, g)) }], 3);
}

const uniform = (i: number) => {
  const u = Math.sin((i + 1) * 12.9898) * 43758.5453;
  return u - Math.floor(u);
};

/** Name, values, and whether the sorted path's spread is accurate enough to compare with. */
const shapes: [string, (i: number, group: number) => number, boolean][] = [
  ['drifted log-uniform', (i, g) => Math.log(uniform(i)) + (g % 2) * 0.05, true],
  [
    'small integers (ties)',
    (i, g) => Math.round(uniform(i) * 8) - 4 + (g % 2 && i % 5 === 0 ? 1 : 0),
    true,
  ],
  ['−0, +0 and a few values', (i) => [0, -0, 1e-310, 1, -1][i % 5] as number, true],
  ['1e9 plus noise', (i, g) => 1e9 + uniform(i) * 1e-3 + (g % 2) * 1e-5, false],
  ['with NaN (no value)', (i) => (i % 13 === 0 ? Number.NaN : uniform(i) * 100), true],
  ['near the float limits (sorted instead)', (i) => (uniform(i) * 2 - 1) * 1.7e308, true],
];

/** Everything but W1 and the spread, which cells reach by other roundings. */
const exactParts = ({ wasserstein, stddevPop, ...rest }: NumericAggregates) => {
  void wasserstein;
  void stddevPop;
  return rest;
};

describe('columnAggregates from cells against the sorted samples', () => {
  it.each(shapes)('%s', (_, value, spreadComparable) => {
    const make = column(30_000, value);
    const viaCells = columnAggregates(make(), LEVELS, true, { cellsFrom: 0 });
    const viaSort = columnAggregates(make(), LEVELS, true, { cellsFrom: Infinity });
    const pairs = [
      ...viaCells.slots.map((slot, s) => [slot, viaSort.slots[s]]),
      [viaCells.all, viaSort.all],
    ];
    for (const [cells, sort] of pairs as [NumericAggregates, NumericAggregates][]) {
      expect(exactParts(cells)).toEqual(exactParts(sort));
      const close = (a: number, b: number) =>
        expect(Math.abs(a - b)).toBeLessThanOrEqual(1e-12 * Math.abs(b));
      close(cells.wasserstein?.value ?? NaN, sort.wasserstein?.value ?? NaN);
      expect(cells.wasserstein?.lower).toBe(cells.wasserstein?.value);
      if (spreadComparable) close(cells.stddevPop, sort.stddevPop);
    }
  });

  it("gives the spread of 1e9 + noise to within the values' own rounding (the sorted sum lost it)", () => {
    // uniform noise on [0, 1e-3): the population standard deviation is 1e-3 / √12
    const make = column(300_000, (i) => 1e9 + ((i * 7919) % 1000) * 1e-6);
    const { all } = columnAggregates(make(), LEVELS, true);
    const noise = Array.from({ length: 1000 }, (_, k) => k * 1e-6);
    const mean = noise.reduce((a, b) => a + b) / noise.length;
    const spread = Math.sqrt(noise.reduce((a, b) => a + (b - mean) ** 2, 0) / noise.length);
    // the values' own rounding (an ulp of 1e9 is 1.2e-7) blurs the noise by far less than 1e-3
    expect(Math.abs((all?.stddevPop ?? NaN) - spread)).toBeLessThan(1e-3 * spread);
  });

  it('sorts a slot without values on one side, as before', () => {
    const make = column(100_000, (i, g) => (g === 3 ? Number.NaN : uniform(i)));
    const viaCells = columnAggregates(make(), LEVELS, true, { cellsFrom: 0 });
    expect(viaCells.slots[0]?.ks).toBeNull();
    const viaSort = columnAggregates(make(), LEVELS, true, { cellsFrom: Infinity });
    expect(viaCells.slots[0]).toEqual(viaSort.slots[0]);
    expect(exactParts(viaCells.all as NumericAggregates)).toEqual(
      exactParts(viaSort.all as NumericAggregates),
    );
  });
});
