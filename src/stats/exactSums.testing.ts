/**
 * Σ (x − x̄)² of values that are all multiples of 1/scale (every double in [2^29, 2^30) is a
 * multiple of 2^-23), from exact integer sums (n·Σk² − (Σk)²) / n, rounded once at the end:
 * an independent value for tests of spreads far from zero, with no float arithmetic to
 * share the rounding of the code under test. Throws where a value is not such a multiple.
 */
export function exactSquaredDeviations(values: readonly number[], scale: number): number {
  let sum = 0n;
  let squares = 0n;
  for (const value of values) {
    const k = BigInt(value * scale);
    if (Number(k) / scale !== value) throw new RangeError(`${value} is no multiple of 1/${scale}`);
    sum += k;
    squares += k * k;
  }
  const n = BigInt(values.length);
  return Number(n * squares - sum * sum) / Number(n) / (scale * scale);
}
