import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CategoricalCase, NumericCase } from '../stats/oracle.testing.js';
import { binContributions, movedMost } from './binContributions.js';
import { binCountRanges, exactBinCounts } from './cells.js';
import {
  binCounts,
  decileEdges,
  exactJensenShannonTerms,
  exactPsiTerms,
  gridCells,
  slicedSamples,
} from './explain.testing.js';

const fixture = JSON.parse(
  fs.readFileSync(path.join(import.meta.dirname, '../../test/fixtures/stats-cases.json'), 'utf8'),
) as { cases: { kind: string }[] };
const distributionCases = fixture.cases.filter(
  (item): item is NumericCase | CategoricalCase =>
    item.kind === 'numeric' || item.kind === 'categorical',
);

function countsOf(item: NumericCase | CategoricalCase): { reference: number[]; current: number[] } {
  if (item.kind === 'numeric') {
    const edges = item.expected.psi_bin_edges;
    const finite = (values: (number | null)[]) =>
      values.filter((v): v is number => v !== null && Number.isFinite(v));
    return {
      reference: binCounts(edges, finite(item.reference)),
      current: binCounts(edges, finite(item.current)),
    };
  }
  const categories = item.expected.categories;
  const count = (values: (string | null)[]) =>
    categories.map((category) => values.filter((v) => v === category).length);
  return { reference: count(item.reference), current: count(item.current) };
}

describe("each bin's part of PSI and Jensen-Shannon", () => {
  it.each(distributionCases.map((item) => [item.name, item] as const))(
    'sums to scipy’s PSI and Jensen-Shannon distance on exact counts (%s)',
    (_name, item) => {
      const { reference, current } = countsOf(item);
      if (reference.reduce((s, c) => s + c, 0) === 0 || current.reduce((s, c) => s + c, 0) === 0)
        return;
      const bins = binContributions(exactBinCounts(reference), exactBinCounts(current));
      expect(bins).toHaveLength(reference.length);
      const psiTotal = bins.reduce((s, bin) => s + bin.psi.value, 0);
      const jsTotal = bins.reduce((s, bin) => s + bin.jensenShannon.value, 0);
      expect(psiTotal).toBeCloseTo(item.expected.psi, 10);
      expect(Math.sqrt(Math.max(jsTotal, 0))).toBeCloseTo(
        item.expected.jensen_shannon_distance_base2,
        10,
      );
      for (const bin of bins) {
        // exact counts: exact terms, no bracket
        expect(bin.psi.lower).toBe(bin.psi.value);
        expect(bin.psi.upper).toBe(bin.psi.value);
        expect(bin.jensenShannon.lower).toBe(bin.jensenShannon.value);
      }
      if (psiTotal > 0) {
        expect(bins.reduce((s, bin) => s + bin.psiShare, 0)).toBeCloseTo(1, 12);
        expect(bins.every((bin) => bin.psiShare >= 0)).toBe(true);
      }
    },
  );

  it('names the bins that moved most: a shift empties the low bins and fills the high one', () => {
    const { reference, current } = slicedSamples({
      seed: 3,
      reference: 4000,
      current: 2000,
      shifted: 'a',
      shift: 1,
    });
    const edges = decileEdges(reference.map((v) => v.value));
    const r = binCounts(
      edges,
      reference.map((v) => v.value),
    );
    const c = binCounts(
      edges,
      current.map((v) => v.value),
    );
    const bins = binContributions(exactBinCounts(r), exactBinCounts(c));
    const expected = exactPsiTerms(r, c);
    bins.forEach((bin, i) => expect(bin.psi.value).toBeCloseTo(expected[i] ?? NaN, 14));
    const order = movedMost(bins).map((bin) => bin.index);
    // independently: the bins by their exact term, largest first
    const byTerm = expected
      .map((term, i) => [term, i] as const)
      .sort((x, y) => y[0] - x[0] || x[1] - y[1])
      .map(([, i]) => i);
    expect(order).toEqual(byTerm);
    // slice a (half the window) moved up by one sd: the top bin gained
    const top = bins.at(-1);
    expect(top?.currentShare.value).toBeGreaterThan(top?.referenceShare.value ?? 1);
  });

  it('brackets each bin’s terms around the exact ones when cells span an edge', () => {
    for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
      const { reference, current } = slicedSamples({
        seed,
        reference: 3000,
        current: 1500,
        shifted: 'b',
        shift: seed / 4,
      });
      const referenceValues = reference.map((v) => v.value);
      const currentValues = current.map((v) => v.value);
      const edges = decileEdges(referenceValues);
      const r = binCounts(edges, referenceValues);
      const c = binCounts(edges, currentValues);
      const ranges = binCountRanges(edges, gridCells(currentValues, 0.7 + seed / 10));
      expect(ranges.ranges.some((range) => range.lower < range.upper)).toBe(true);
      const bins = binContributions(exactBinCounts(r), ranges);
      const psiTerms = exactPsiTerms(r, c);
      const jsTerms = exactJensenShannonTerms(r, c);
      bins.forEach((bin, i) => {
        const count = c[i] ?? NaN;
        expect(bin.current.lower).toBeLessThanOrEqual(count);
        expect(count).toBeLessThanOrEqual(bin.current.upper);
        for (const [bracket, exact] of [
          [bin.psi, psiTerms[i] ?? NaN],
          [bin.jensenShannon, jsTerms[i] ?? NaN],
          [bin.currentShare, count / currentValues.length],
        ] as const) {
          expect(bracket.lower).toBeLessThanOrEqual(exact + 1e-15);
          expect(exact).toBeLessThanOrEqual(bracket.upper + 1e-15);
          expect(bracket.lower).toBeLessThanOrEqual(bracket.value);
          expect(bracket.value).toBeLessThanOrEqual(bracket.upper);
        }
      });
    }
  });

  it('has nothing to say of an empty sample or bins that differ', () => {
    expect(binContributions(exactBinCounts([0, 0]), exactBinCounts([1, 2]))).toEqual([]);
    expect(binContributions(exactBinCounts([1, 2]), exactBinCounts([1, 2, 3]))).toEqual([]);
  });
});
