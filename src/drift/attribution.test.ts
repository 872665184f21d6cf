import { describe, expect, it } from 'vitest';
import { PROPORTION_FLOOR, psi } from '../stats/index.js';
import {
  attributeToSlices,
  ksWeights,
  psiWeights,
  rankFeatures,
  rateWeights,
  type SliceParts,
} from './attribution.js';
import { binCountRanges, cellsOfValues, exactBinCounts, type BinCounts } from './cells.js';
import {
  binCounts,
  decileEdges,
  ecdf,
  gridCells,
  slicedSamples,
  type SlicedValue,
} from './explain.testing.js';
import { countAtOrBelow, ksLocation } from './ksLocation.js';
import type { FeatureDrift } from './featureDrift.js';

const SLICES = ['a', 'b', 'c'];
const valuesOf = (sample: readonly SlicedValue[], slice?: string) =>
  sample.filter((v) => slice === undefined || v.slice === slice).map((v) => v.value);

/** Slice s's contribution written out from the raw values: Σ_i (a_si/N_c − b_si/N_r)·ln(c_i/r_i). */
function exactContribution(
  edges: readonly number[],
  reference: readonly SlicedValue[],
  current: readonly SlicedValue[],
  slice: string,
): number {
  const r = binCounts(edges, valuesOf(reference));
  const c = binCounts(edges, valuesOf(current));
  const rs = binCounts(edges, valuesOf(reference, slice));
  const cs = binCounts(edges, valuesOf(current, slice));
  return c.reduce((sum, ci, i) => {
    const x = Math.max(ci / current.length, PROPORTION_FLOOR);
    const y = Math.max((r[i] ?? 0) / reference.length, PROPORTION_FLOOR);
    return (
      sum + ((cs[i] ?? 0) / current.length - (rs[i] ?? 0) / reference.length) * Math.log(x / y)
    );
  }, 0);
}

function psiParts(
  edges: readonly number[],
  reference: readonly SlicedValue[],
  current: readonly SlicedValue[],
  counts: (values: number[]) => BinCounts,
): SliceParts[] {
  return SLICES.map((slice) => {
    const r = counts(valuesOf(reference, slice));
    const c = counts(valuesOf(current, slice));
    return {
      key: 'segment',
      value: slice,
      reference: r.ranges,
      current: c.ranges,
      sizes: { reference: r.total, current: c.total },
    };
  });
}

describe('drift attribution: which slice explains a model-level shift', () => {
  it('splits PSI into slices whose parts add up to it, the shifted slice first', () => {
    for (const [seed, shifted] of [
      [21, 'a'],
      [22, 'b'],
      [23, 'c'],
    ] as const) {
      const { reference, current } = slicedSamples({
        seed,
        reference: 5000,
        current: 3000,
        shifted,
        shift: 1.2,
      });
      const edges = decileEdges(valuesOf(reference));
      const r = binCounts(edges, valuesOf(reference));
      const c = binCounts(edges, valuesOf(current));
      const statistic = psiWeights(exactBinCounts(r), exactBinCounts(c));
      if (!statistic) throw new Error('both samples have values');
      expect(statistic.value).toBeCloseTo(psi(r, c), 13);
      const [segment] = attributeToSlices(
        statistic,
        psiParts(edges, reference, current, (values) => exactBinCounts(binCounts(edges, values))),
      );
      if (!segment) throw new Error('one slice key');
      // no bin below the floor here: the parts sum to PSI itself
      expect(r.every((count) => count / reference.length > PROPORTION_FLOOR)).toBe(true);
      expect(segment.explained).toBeCloseTo(psi(r, c), 12);
      for (const slice of segment.slices) {
        const exact = exactContribution(edges, reference, current, slice.value);
        expect(slice.contribution.value).toBeCloseTo(exact, 13);
        expect(slice.contribution.lower).toBe(slice.contribution.value);
      }
      expect(segment.slices[0]?.value).toBe(shifted);
      expect(segment.slices[0]?.share).toBeGreaterThan(0.6);
      expect(segment.slices.reduce((sum, slice) => sum + slice.share, 0)).toBeCloseTo(1, 12);
    }
  });

  it('brackets each contribution from the cells’ count ranges, the exact one inside', () => {
    for (const seed of [31, 32, 33, 34]) {
      const { reference, current } = slicedSamples({
        seed,
        reference: 4000,
        current: 2500,
        shifted: 'b',
        shift: 0.8,
        mix: [0.3, 0.4, 0.3],
      });
      const edges = decileEdges(valuesOf(reference));
      const counts = (values: number[]) => binCountRanges(edges, gridCells(values, 1.1));
      const statistic = psiWeights(
        exactBinCounts(binCounts(edges, valuesOf(reference))),
        counts(valuesOf(current)),
      );
      if (!statistic) throw new Error('both samples have values');
      const [segment] = attributeToSlices(statistic, psiParts(edges, reference, current, counts));
      for (const slice of segment?.slices ?? []) {
        const exact = exactContribution(edges, reference, current, slice.value);
        expect(slice.contribution.lower).toBeLessThan(slice.contribution.upper);
        expect(slice.contribution.lower).toBeLessThanOrEqual(exact);
        expect(exact).toBeLessThanOrEqual(slice.contribution.upper);
      }
      expect(segment?.slices[0]?.value).toBe('b');
    }
  });

  it('splits KS’s D at its location into slices that add up to D', () => {
    const { reference, current } = slicedSamples({
      seed: 41,
      reference: 3000,
      current: 2000,
      shifted: 'c',
      shift: -1,
    });
    const location = ksLocation(
      cellsOfValues(valuesOf(reference)),
      cellsOfValues(valuesOf(current)),
    );
    if (!location) throw new Error('both samples have values');
    const parts: SliceParts[] = SLICES.map((slice) => ({
      key: 'segment',
      value: slice,
      reference: [countAtOrBelow(cellsOfValues(valuesOf(reference, slice)), location.x)],
      current: [countAtOrBelow(cellsOfValues(valuesOf(current, slice)), location.x)],
      sizes: {
        reference: valuesOf(reference, slice).length,
        current: valuesOf(current, slice).length,
      },
    }));
    const [segment] = attributeToSlices(ksWeights(location, location.sizes), parts);
    expect(segment?.explained).toBeCloseTo(location.gap.value, 12);
    // c moved down: the window has more of its mass low, and slice c holds that excess
    expect(location.direction).toBe('more_below');
    expect(segment?.slices[0]?.value).toBe('c');
    const exactC =
      valuesOf(current, 'c').filter((v) => v <= location.x).length / current.length -
      valuesOf(reference, 'c').filter((v) => v <= location.x).length / reference.length;
    expect(segment?.slices[0]?.contribution.value).toBeCloseTo(exactC, 13);
    expect(
      Math.abs(ecdf(valuesOf(current), location.x) - ecdf(valuesOf(reference), location.x)),
    ).toBeCloseTo(location.gap.value, 13);
  });

  it('splits a rate’s shift (nulls, predicted positives) into its slices', () => {
    // baseline: 100 rows per slice with 5 nulls each; window: slice b's nulls jump to 40
    const parts: SliceParts[] = [
      ['a', 5, 4],
      ['b', 5, 40],
      ['c', 5, 6],
    ].map(([value, before, after]) => ({
      key: 'segment',
      value: String(value),
      reference: [{ lower: Number(before), upper: Number(before) }],
      current: [{ lower: Number(after), upper: Number(after) }],
      sizes: { reference: 100, current: 100 },
    }));
    const shift = 50 / 300 - 15 / 300;
    const linear = rateWeights({ reference: 300, current: 300 }, shift);
    if (!linear) throw new Error('both samples have rows');
    const [segment] = attributeToSlices(linear, parts);
    expect(segment?.slices.map((slice) => slice.value)).toEqual(['b', 'c', 'a']);
    expect(segment?.slices[0]?.contribution.value).toBeCloseTo(35 / 300, 15);
    expect(segment?.slices[2]?.contribution.value).toBeCloseTo(-1 / 300, 15);
    expect(segment?.explained).toBeCloseTo(shift, 15);
    expect(rateWeights({ reference: 0, current: 10 }, 0)).toBeNull();
  });

  it('ranks the features of a slice by their PSI, with their share', () => {
    const entry = (name: string, slice: string, value: number | null, bracket?: [number, number]) =>
      ({
        name,
        slice,
        kind: 'numeric',
        psi: value,
        drift: (value ?? 0) > 0.25,
        ...(bracket ? { brackets: { psi: bracket } } : {}),
      }) as FeatureDrift;
    const ranked = rankFeatures(
      [
        entry('amount', 'all', 0.3, [0.28, 0.33]),
        entry('age', 'all', 0.1),
        entry('amount', 'channel=web', 0.9),
        entry('score', 'all', null),
      ],
      'all',
    );
    expect(ranked.map((rank) => rank.feature)).toEqual(['amount', 'age', 'score']);
    expect(ranked[0]).toMatchObject({
      psi: { value: 0.3, lower: 0.28, upper: 0.33 },
      drift: true,
    });
    expect(ranked[0]?.share).toBeCloseTo(0.75, 15);
    expect(ranked[2]).toMatchObject({ psi: null, share: 0 });
  });
});
