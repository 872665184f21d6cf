import { describe, expect, it } from 'vitest';
import { benjaminiHochberg } from './fdr.js';

describe('Benjamini-Hochberg', () => {
  it('matches statsmodels multipletests(method="fdr_bh")', () => {
    // statsmodels: multipletests([0.01, 0.04, 0.03, 0.005, 0.5], method='fdr_bh')[1]
    const adjusted = benjaminiHochberg([0.01, 0.04, 0.03, 0.005, 0.5]);
    [0.025, 0.05, 0.05, 0.025, 0.5].forEach((expected, i) =>
      expect(adjusted[i]).toBeCloseTo(expected, 12),
    );
  });

  it('leaves NaN out of the count', () => {
    const adjusted = benjaminiHochberg([0.02, Number.NaN, 0.04]);
    expect(adjusted[0]).toBeCloseTo(0.04, 12);
    expect(adjusted[1]).toBeNaN();
    expect(adjusted[2]).toBeCloseTo(0.04, 12);
  });
});
