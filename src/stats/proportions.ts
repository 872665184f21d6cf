import erfc from '@stdlib/math-base-special-erfc';

export interface ProportionSample {
  positives: number;
  n: number;
}

/**
 * Two-proportion z-test with pooled variance; z is current minus reference, the p-value
 * two-sided (2 · Φ(−|z|), through erfc so tiny p-values keep their digits).
 */
export function twoProportionZTest(
  reference: ProportionSample,
  current: ProportionSample,
): { z: number; pValue: number } {
  if (reference.n <= 0 || current.n <= 0) return { z: Number.NaN, pValue: Number.NaN };
  const p1 = reference.positives / reference.n;
  const p2 = current.positives / current.n;
  const pooled = (reference.positives + current.positives) / (reference.n + current.n);
  const standardError = Math.sqrt(pooled * (1 - pooled) * (1 / reference.n + 1 / current.n));
  if (standardError === 0) return { z: 0, pValue: 1 };
  const z = (p2 - p1) / standardError;
  return { z, pValue: erfc(Math.abs(z) / Math.SQRT2) };
}
