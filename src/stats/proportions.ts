import erfc from '@stdlib/math-base-special-erfc';

export interface ProportionSample {
  positives: number;
  n: number;
}

export interface ZTestResult {
  /** Current minus reference, in pooled standard errors. */
  z: number;
  /** Two-sided. */
  pValue: number;
}

/** The share of positives, NaN for an empty sample. */
export function positiveRate(sample: ProportionSample): number {
  return sample.n > 0 ? sample.positives / sample.n : NaN;
}

/**
 * Two-proportion z-test with pooled variance (statsmodels proportions_ztest), z = (p_cur −
 * p_ref) / sqrt(p̄(1 − p̄)(1/n_ref + 1/n_cur)), two-sided p = 2Φ(−|z|) = erfc(|z|/√2), so
 * tiny p-values keep their digits. NaN for an empty sample; z = 0, p = 1 when every
 * observation is positive or every one negative (no variance, no evidence of a shift).
 */
export function twoProportionZTest(
  reference: ProportionSample,
  current: ProportionSample,
): ZTestResult {
  if (!(reference.n > 0 && current.n > 0)) return { z: NaN, pValue: NaN };
  const pooled = (reference.positives + current.positives) / (reference.n + current.n);
  const standardError = Math.sqrt(pooled * (1 - pooled) * (1 / reference.n + 1 / current.n));
  if (standardError === 0) return { z: 0, pValue: 1 };
  const z = (positiveRate(current) - positiveRate(reference)) / standardError;
  return { z, pValue: erfc(Math.abs(z) / Math.SQRT2) };
}
