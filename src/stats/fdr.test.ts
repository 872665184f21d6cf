import { describe, expect, it } from 'vitest';
import { benjaminiHochberg } from './fdr.js';

describe('Benjamini-Hochberg', () => {
  it('matches statsmodels multipletests(method="fdr_bh"), in the input order', () => {
    // sorted 0.005 0.01 0.03 0.04 0.5 → ×5/rank 0.025 0.025 0.05 0.05 0.5, monotone from the top
    const adjusted = benjaminiHochberg([0.01, 0.04, 0.03, 0.005, 0.5]);
    [0.025, 0.05, 0.05, 0.025, 0.5].forEach((expected, i) =>
      expect(adjusted[i]).toBeCloseTo(expected, 15),
    );
  });

  it('caps at 1 and keeps ties equal', () => {
    expect(benjaminiHochberg([0.9, 0.95])).toEqual([0.95, 0.95]);
    expect(benjaminiHochberg([0.6, 0.7, 0.8])).toEqual([0.8, 0.8, 0.8]);
    expect(benjaminiHochberg([0.01, 0.01])).toEqual([0.01, 0.01]);
  });

  it('leaves a single p-value as it is', () => {
    expect(benjaminiHochberg([0.03])).toEqual([0.03]);
  });

  it('leaves NaN as NaN and out of the count', () => {
    const adjusted = benjaminiHochberg([0.02, NaN, 0.04]);
    expect(adjusted[0]).toBeCloseTo(0.04, 15);
    expect(adjusted[1]).toBeNaN();
    expect(adjusted[2]).toBeCloseTo(0.04, 15);
    expect(benjaminiHochberg([NaN, NaN]).every(Number.isNaN)).toBe(true);
  });

  it('returns an empty list for no tests', () => {
    expect(benjaminiHochberg([])).toEqual([]);
  });

  it('never lowers a p-value', () => {
    const pValues = [0.001, 0.2, 0.013, 0.04, 0.5, 0.0004, 0.07];
    benjaminiHochberg(pValues).forEach((adjusted, i) =>
      expect(adjusted).toBeGreaterThanOrEqual(pValues[i] ?? 1),
    );
  });
});
