import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ksPValueAsymp } from '../stats/ks.js';
import { bracketOf, exactBracket, ksPValueBracket } from './cells.js';

/**
 * The KS p-value bracket of a bracketed D contains scipy's p-value (ks_2samp,
 * method='asymp') at every D in the bracket, including where its lower end is the cheaper
 * bound instead of a value (large samples, a D whose p-value is a long Smirnov sum).
 */
describe('ksPValueBracket', () => {
  it('contains the p-value at every D of the D bracket', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2_000, max: 2_000_000 }),
        fc.integer({ min: 2_000, max: 10_000_000 }),
        fc.double({ min: 1e-4, max: 0.02, noNaN: true }),
        fc.double({ min: 0, max: 0.01, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (n, m, lower, width, at) => {
          const d = bracketOf(lower, lower + width);
          const p = ksPValueBracket(d, n, m);
          const inside = ksPValueAsymp(d.lower + (d.upper - d.lower) * at, n, m);
          expect(p.lower).toBeLessThanOrEqual(inside);
          expect(p.upper).toBeGreaterThanOrEqual(inside);
          expect(p.lower).toBeLessThanOrEqual(ksPValueAsymp(d.upper, n, m));
          expect(p.upper).toBe(ksPValueAsymp(d.lower, n, m));
        },
      ),
      { numRuns: 40, seed: 20261123 },
    );
  });

  it("is scipy's value itself for an exact D", () => {
    const p = ksPValueBracket(exactBracket(0.004), 400_000, 600_000);
    expect(p.lower).toBe(p.upper);
    expect(p.value).toBe(ksPValueAsymp(0.004, 400_000, 600_000));
  });

  it('has a lower end within 10% of the p-value at the upper D on the long sums', () => {
    // effective n = 240000, n·D² = 3.84 at the upper end: twice a Smirnov sum there
    const d = bracketOf(0.001, 0.004);
    const p = ksPValueBracket(d, 400_000, 600_000);
    const atUpper = ksPValueAsymp(0.004, 400_000, 600_000);
    expect(p.lower).toBeLessThan(atUpper);
    expect(p.lower).toBeGreaterThanOrEqual(0.9 * atUpper * (1 - 1e-8));
  });
});
