/**
 * KS's D by the plain definition, for tests: both samples sorted (copies), then the largest
 * gap of the two ECDFs, ties moving both at once. No code of the product: an independent
 * value to check the brackets, the narrowing and the sweeps against.
 */
export function plainKsD(a: readonly number[], b: readonly number[]): number {
  const x = [...a].sort((p, q) => p - q);
  const y = [...b].sort((p, q) => p - q);
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < x.length && j < y.length) {
    const v = Math.min(x[i] ?? Infinity, y[j] ?? Infinity);
    while (i < x.length && x[i] === v) i += 1;
    while (j < y.length && y[j] === v) j += 1;
    d = Math.max(d, Math.abs(i / x.length - j / y.length));
  }
  return d;
}
