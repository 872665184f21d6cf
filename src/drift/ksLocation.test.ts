import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { NumericCase } from '../stats/oracle.testing.js';
import { cellsOfValues, ksBracket } from './cells.js';
import { ecdf, gridCells, slicedSamples } from './explain.testing.js';
import { countAtOrBelow, ksLocation } from './ksLocation.js';

const fixture = JSON.parse(
  fs.readFileSync(path.join(import.meta.dirname, '../../test/fixtures/stats-cases.json'), 'utf8'),
) as { cases: { kind: string }[] };
const numericCases = fixture.cases.filter((item): item is NumericCase => item.kind === 'numeric');
const finite = (values: (number | null)[]) =>
  values.filter((v): v is number => v !== null && Number.isFinite(v));

describe('where the two CDFs differ most (the location of KS’s D)', () => {
  it.each(numericCases.map((item) => [item.name, item] as const))(
    'is where scipy’s D is reached, on exact values (%s)',
    (_name, item) => {
      const reference = finite(item.reference);
      const current = finite(item.current);
      const location = ksLocation(cellsOfValues(reference), cellsOfValues(current));
      expect(location).not.toBeNull();
      if (!location) return;
      expect(location.gap.lower).toBe(location.gap.upper);
      expect(location.gap.value).toBeCloseTo(item.expected.ks_statistic, 12);
      // recomputed from the raw values at that x, independently
      const fRef = ecdf(reference, location.x);
      const fCur = ecdf(current, location.x);
      expect(location.reference.value).toBeCloseTo(fRef, 14);
      expect(location.current.value).toBeCloseTo(fCur, 14);
      expect(Math.abs(fRef - fCur)).toBeCloseTo(item.expected.ks_statistic, 12);
      expect(location.direction).toBe(fCur >= fRef ? 'more_below' : 'less_below');
    },
  );

  it('brackets the gap from cells: its lower end is KS’s lower bound, the exact gap inside', () => {
    for (const seed of [11, 12, 13, 14, 15, 16]) {
      const { reference, current } = slicedSamples({
        seed,
        reference: 2500,
        current: 1200,
        shifted: 'c',
        shift: (seed - 10) / 3,
      });
      const r = reference.map((v) => v.value);
      const c = current.map((v) => v.value);
      const referenceCells = gridCells(r, 1.3);
      const currentCells = gridCells(c, 0.9);
      const location = ksLocation(referenceCells, currentCells);
      const bracket = ksBracket(referenceCells, currentCells);
      if (!location || !bracket) throw new Error('both samples have values');
      expect(location.gap.lower).toBeCloseTo(bracket.lower, 12);
      expect(location.gap.upper).toBeLessThanOrEqual(bracket.upper + 1e-12);
      const exactGap = Math.abs(ecdf(r, location.x) - ecdf(c, location.x));
      expect(location.gap.lower).toBeLessThanOrEqual(exactGap + 1e-12);
      expect(exactGap).toBeLessThanOrEqual(location.gap.upper + 1e-12);
      expect(location.reference.lower).toBeLessThanOrEqual(ecdf(r, location.x) + 1e-12);
      expect(ecdf(c, location.x)).toBeLessThanOrEqual(location.current.upper + 1e-12);
    }
  });

  it('counts what is at or below x: certainly (max ≤ x) and possibly (min ≤ x)', () => {
    const cells = [
      { count: 2, sum: 3, min: 1, max: 2 },
      { count: 3, sum: 12, min: 3, max: 5 },
      { count: 1, sum: 9, min: 9, max: 9 },
    ];
    expect(countAtOrBelow(cells, 2)).toEqual({ lower: 2, upper: 2 });
    expect(countAtOrBelow(cells, 4)).toEqual({ lower: 2, upper: 5 });
    expect(countAtOrBelow(cells, 9)).toEqual({ lower: 6, upper: 6 });
  });

  it('has no location without values on both sides', () => {
    expect(ksLocation([], cellsOfValues([1, 2]))).toBeNull();
  });
});
