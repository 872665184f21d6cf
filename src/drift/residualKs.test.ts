import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { residualKs, sortResiduals } from './residualKs.js';

/** D = sup |F_ref − F_cur| at every value of either sample, by counting (no sweep). */
function countedKs(reference: number[], current: number[]): number {
  let d = 0;
  for (const x of [...reference, ...current]) {
    const f = reference.filter((v) => v <= x).length / reference.length;
    const g = current.filter((v) => v <= x).length / current.length;
    d = Math.max(d, Math.abs(f - g));
  }
  return d;
}

const residuals = fc.array(
  fc.oneof(fc.integer({ min: -3, max: 3 }), fc.double({ min: -5, max: 5, noNaN: true })),
  { maxLength: 60 },
);

describe('residual KS per slice', () => {
  it('gives D as counting the two ECDFs at every value does, ties and −0 included', () => {
    fc.assert(
      fc.property(residuals, residuals, (a, b) => {
        const [row] = residualKs(sortResiduals([{ slice: 's', residuals: Float64Array.from(a) }]), [
          { slice: 's', residuals: Float64Array.from(b) },
        ]);
        expect(row?.nReference).toBe(a.length);
        expect(row?.nCurrent).toBe(b.length);
        if (a.length === 0 || b.length === 0) expect(row?.statistic).toBeNaN();
        else expect(row?.statistic).toBeCloseTo(countedKs(a, b), 12);
      }),
      { numRuns: 300 },
    );
  });

  it('answers for a slice on either side only, with no D', () => {
    const rows = residualKs(sortResiduals([{ slice: 'a', residuals: Float64Array.of(1, 2) }]), [
      { slice: 'b', residuals: Float64Array.of(3) },
    ]);
    expect(rows).toEqual([
      { slice: 'a', statistic: NaN, nReference: 2, nCurrent: 0 },
      { slice: 'b', statistic: NaN, nReference: 0, nCurrent: 1 },
    ]);
  });
});
