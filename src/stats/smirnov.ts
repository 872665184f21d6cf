/**
 * The one-sided Smirnov distribution: P(D_n+ > x), scipy.special.smirnov(n, x).
 *
 * A port of `_smirnov` in scipy's cephes/kolmogorov.c (scipy 1.10; now xsf/cephes/kolmogorov.h),
 * after van Mulbregt, "Computing the CDF and quantiles of the one-sided Kolmogorov-Smirnov
 * statistic" (arXiv:1802.06966). The sum is Smirnov's / Birnbaum-Tingey's
 *
 *   P(D_n+ > x) = x · Σ_{v=0}^{⌊n(1−x)⌋} C(n,v) (1 − x − v/n)^(n−v) (x + v/n)^(v−1)
 *
 * Same cases, cut-offs, choice of lower or upper sum and stopping rule as cephes. Where cephes
 * carries each term in double-double with a separate binary exponent, we keep the binomial
 * as a double times a power of two and each term as its logarithm (terms overflow or
 * underflow a double long before the sum does), and build the two bases from the exactly
 * split n·x = ⌊n·x⌋ + α, so 1 − x − v/n keeps its digits near zero. Against scipy this
 * agrees to 2e-11 relative or better for n up to 10^6; the callers need 1e-4.
 */

/** cephes MINLOG = log(2^-1022): below exp(-2nx²) ≈ that the tail underflows. */
const CEPHES_MINLOG = -708.3964185322641;
/** Beyond this n cephes stops summing and uses the Miller approximation. */
const SMIRNOV_MAX_COMPUTE_N = 1_000_000;
/** The upper (alternating) sum only when it has at most this many terms… */
const SM_UPPER_MAX_TERMS = 3;
/** …and n is at least this. */
const SM_UPPERSUM_MIN_N = 10;
/** A term whose magnitude is below the smallest double counts as zero, as in cephes. */
const LOG_MIN_VALUE = Math.log(Number.MIN_VALUE);

export interface SmirnovProbabilities {
  /** P(D_n+ > x) */
  sf: number;
  /** P(D_n+ <= x) */
  cdf: number;
}

/** P(D_n+ > x): scipy.special.smirnov(n, x). NaN unless n is a positive integer and 0 <= x <= 1. */
export function smirnovSf(n: number, x: number): number {
  return smirnov(n, x).sf;
}

/** Both tails of the one-sided Smirnov distribution, each computed where it is accurate. */
export function smirnov(n: number, x: number): SmirnovProbabilities {
  return smirnovWith(n, x, lowerSum);
}

/** Σ of the positive lower-sum terms v = 0 .. count−1: exactly, or bounded below. */
type LowerSum = (n: number, nxFloor: number, alpha: number, count: number) => number;

/** cephes's cases, with the lower sum taken by `sumLower`. */
function smirnovWith(n: number, x: number, sumLower: LowerSum): SmirnovProbabilities {
  if (!(Number.isInteger(n) && n > 0 && x >= 0 && x <= 1)) return { sf: NaN, cdf: NaN };
  if (n === 1) return { sf: 1 - x, cdf: x };
  if (x === 0) return { sf: 1, cdf: 0 };
  if (x === 1) return { sf: 0, cdf: 1 };

  const { floor: nxFloor, fraction: alpha } = splitProduct(n, x);
  // x <= 1/n: P(D+ <= x) = x (1 + x)^(n−1)
  if (nxFloor === 0 || (nxFloor === 1 && alpha === 0)) {
    const cdf = x * Math.exp((n - 1) * Math.log1p(x));
    return { sf: 1 - cdf, cdf };
  }
  if (-2 * n * x * x < CEPHES_MINLOG) return { sf: 0, cdf: 1 };
  // x >= 1 − 1/n: only the v = 0 term is left (1 − x is exact here, x >= 1/2)
  if (nxFloor >= n - 1) {
    const sf = (1 - x) ** n;
    return { sf, cdf: 1 - sf };
  }
  if (n > SMIRNOV_MAX_COMPUTE_N) return millerApproximation(n, x);
  return smirnovSum(n, x, nxFloor, alpha, sumLower);
}

/** Below this n the whole sum is cheap: the lower bound is the value itself. */
const LOWER_BOUND_MIN_N = 10_000;
/** The lower bound stops once it is within this factor of Massart's upper bound. */
const LOWER_BOUND_TOLERANCE = 0.1;
/** Every this many terms the peak search takes a term's logarithm. */
const PEAK_STRIDE = 256;

/**
 * A proven lower bound of P(D_n+ > x) at a fraction of the full sum's cost: where D is
 * itself only known within a bracket, the p-value bracket's lower end P(D > D_upper) has
 * to be a bound, not a value. Every term of the lower Birnbaum-Tingey sum is positive, so
 * any subset of them sums to less than the whole, whatever the terms' shape. The terms are
 * taken largest first, outwards from their peak, until x · Σ reaches 90% of Massart's
 * bound P(D_n+ > x) <= exp(−2nx²) (valid for exp(−2nx²) <= 1/2, which holds throughout the
 * sum's range): the bound is then within 10% of the exact value; or until the terms left
 * could add no more than 0.1% together (were they all as large as the next one). The same
 * terms as the full sum (the same binomial recurrence), so its rounding is the sum's; 1e-9
 * relative is taken off to cover it (the full sum agrees with scipy to 2e-11). Everything
 * else is cephes's own cases (`smirnovWith`), where the bound is the value.
 */
export function smirnovSfLowerBound(n: number, x: number): number {
  if (!(n >= LOWER_BOUND_MIN_N)) return smirnovSf(n, x);
  const target = Math.log1p(-LOWER_BOUND_TOLERANCE) - 2 * n * x * x - Math.log(x);
  return smirnovWith(
    n,
    x,
    (size, nxFloor, alpha, count) =>
      largestTermsSum(size, nxFloor, alpha, count, target) * (1 - 1e-9),
  ).sf;
}

/**
 * The log-magnitude of the v-th term C(n,v) (1 − x − v/n)^(n−v) (x + v/n)^(v−1), with
 * 1 − x − v/n = (n − ⌊nx⌋ − v − α)/n and x + v/n = (⌊nx⌋ + v + α)/n.
 */
function termLog(
  n: number,
  v: number,
  nxFloor: number,
  alpha: number,
  logBinomial: number,
): number {
  const rest = (n - nxFloor - v - alpha) / n;
  const reach = (nxFloor + v + alpha) / n;
  const restPower = n - v;
  const logRest = restPower === 0 ? 0 : restPower * Math.log(Math.abs(rest));
  return logBinomial + logRest + (v - 1) * Math.log(reach);
}

/** The v-th term's sign: negative only where 1 − x − v/n < 0 is raised to an odd power. */
function termSign(n: number, v: number, nxFloor: number, alpha: number): number {
  return n - nxFloor - v - alpha < 0 && (n - v) % 2 === 1 ? -1 : 1;
}

/** The term at a scaled binomial's v. */
function termLogAt(n: number, nxFloor: number, alpha: number, at: BinomialAt): number {
  return termLog(n, at.v, nxFloor, alpha, binomialLog(at));
}

/**
 * Σ of terms 0 .. count−1 taken outwards from the largest sampled one, until the log of the
 * sum reaches `target` (or every term is in). Only which terms are added depends on the
 * search; each added term is computed exactly as in `lowerSum`.
 */
function largestTermsSum(
  n: number,
  nxFloor: number,
  alpha: number,
  count: number,
  target: number,
): number {
  // find the peak: the binomial recurrence over every v (cheap), a logarithm every stride
  const walker: BinomialAt = { v: 0, mantissa: 1, exponent: 0 };
  let peak: BinomialAt = { ...walker };
  let peakLog = -Infinity;
  for (; walker.v < count; stepRight(n, walker)) {
    if (walker.v % PEAK_STRIDE === 0) {
      const log = termLogAt(n, nxFloor, alpha, walker);
      if (log > peakLog) {
        peakLog = log;
        peak = { ...walker };
      }
    }
  }
  const right: BinomialAt = { ...peak };
  const left: BinomialAt = { ...peak };
  stepLeft(n, left);
  let rightLog = termLogAt(n, nxFloor, alpha, right);
  let leftLog = left.v >= 0 ? termLogAt(n, nxFloor, alpha, left) : -Infinity;
  const shift = Math.max(rightLog, leftLog);
  let scaled = 0;
  const goal = Math.exp(target - shift);
  while (scaled < goal && (right.v < count || left.v >= 0)) {
    const takeRight = right.v < count && (left.v < 0 || rightLog >= leftLog);
    const log = takeRight ? rightLog : leftLog;
    // the larger of the two next terms (the other side's is −∞ once it is used up)
    const term = Math.exp(log - shift);
    // past the point where every term left, together, would add under 0.1%: stop (this
    // only bounds how tight the bound is; any subset of terms is below the sum)
    if ((count - right.v + left.v + 1) * term < scaled * 1e-3) break;
    if (log >= LOG_MIN_VALUE) scaled += term;
    if (takeRight) {
      stepRight(n, right);
      rightLog = right.v < count ? termLogAt(n, nxFloor, alpha, right) : -Infinity;
    } else {
      stepLeft(n, left);
      leftLog = left.v >= 0 ? termLogAt(n, nxFloor, alpha, left) : -Infinity;
    }
  }
  return scaled * Math.exp(shift);
}

/** p ≈ exp(−(6nx + 1)² / 18n), cephes's shortcut for n > 10^6. */
function millerApproximation(n: number, x: number): SmirnovProbabilities {
  const logP = -((6 * n * x + 1) ** 2) / 18 / n;
  if (logP < -Math.LN2) {
    const sf = Math.exp(logP);
    return { sf, cdf: 1 - sf };
  }
  const cdf = -Math.expm1(logP);
  return { sf: 1 - cdf, cdf };
}

/**
 * The Smirnov sum over v = 0 .. ⌊n(1−x)⌋ (lower, all terms positive: gives the sf), or when
 * that leaves only a few terms out and x is small, the complementary sum over the top v
 * (upper, alternating in sign: gives the cdf, which would otherwise be 1 − (almost 1)).
 */
function smirnovSum(
  n: number,
  x: number,
  nxFloor: number,
  alpha: number,
  sumLower: LowerSum,
): SmirnovProbabilities {
  const { useUpperSum, lowerCount, upperTerms } = sumPlan(n, x, nxFloor, alpha);
  const probability = Math.min(
    1,
    Math.max(
      0,
      x *
        (useUpperSum
          ? upperSum(n, nxFloor, alpha, upperTerms)
          : sumLower(n, nxFloor, alpha, lowerCount)),
    ),
  );
  return useUpperSum
    ? { sf: 1 - probability, cdf: probability }
    : { sf: probability, cdf: 1 - probability };
}

/** Which of the two sums cephes takes, and how many terms each has. */
function sumPlan(
  n: number,
  x: number,
  nxFloor: number,
  alpha: number,
): { useUpperSum: boolean; lowerCount: number; upperTerms: number } {
  // Indices of the last lower term and first upper term; when n·x is an integer the
  // boundary term (1 − x − v/n)^(n−v) is exactly 0 and belongs to neither sum.
  let lastLower = n - nxFloor - (alpha === 0 ? 0 : 1);
  let firstUpper = n - nxFloor;
  if (alpha === 0) {
    lastLower -= 1;
    firstUpper += 1;
  }
  const upperTerms = n - firstUpper + 1;
  const useUpperSum =
    (upperTerms <= 1 && x < 0.5) ||
    (n >= SM_UPPERSUM_MIN_N && upperTerms <= SM_UPPER_MAX_TERMS && x <= 0.5 / Math.sqrt(n));
  return { useUpperSum, lowerCount: lastLower + 1, upperTerms };
}

/**
 * Σ_{v=0}^{count−1} of the (positive) terms, in the hot loop of every large-n p-value: one
 * pass (through cephesSum, the exact sums' one loop), each term's exponential computed once
 * and reused for cephes's stopping rule.
 */
function lowerSum(n: number, nxFloor: number, alpha: number, count: number): number {
  return cephesSum(n, nxFloor, alpha, count, false);
}

/** The complementary alternating sum over the top `count` values of v (a few terms). */
function upperSum(n: number, nxFloor: number, alpha: number, count: number): number {
  return cephesSum(n, nxFloor, alpha, count, true);
}

/**
 * Σ sign · exp(log) of `count` terms, from v = 0 up or (`fromTop`, as C(n, j) = C(n, n − j))
 * from v = n down, stopping as cephes does once the remaining terms (each smaller) cannot
 * move the sum by an ulp, or past n/2 on terms below the smallest double.
 */
function cephesSum(
  n: number,
  nxFloor: number,
  alpha: number,
  count: number,
  fromTop: boolean,
): number {
  const halfN = Math.floor(n / 2);
  const sum = new ScaledSum();
  const binomial: BinomialAt = { v: 0, mantissa: 1, exponent: 0 };
  for (; binomial.v < count; stepRight(n, binomial)) {
    const j = binomial.v;
    const v = fromTop ? n - j : j;
    const log = termLog(n, v, nxFloor, alpha, binomialLog(binomial));
    if (log >= LOG_MIN_VALUE) {
      const relative = sum.add(fromTop ? termSign(n, v, nxFloor, alpha) : 1, log);
      if (j !== count - 1 && 4 * (count - j) * relative < Number.EPSILON) break;
    } else if (j > halfN) {
      break;
    }
  }
  return sum.value();
}

/**
 * C(n, v) as mantissa · 2^exponent (cephes's Cman, Cexpt), moved one v at a time: the
 * product of the ratios (n − v)/(v + 1) in plain floating point drifts by a few ulps per
 * step, where a running sum of their logarithms would drift by ulps of numbers as large as
 * n·log 2.
 */
interface BinomialAt {
  v: number;
  mantissa: number;
  exponent: number;
}

function binomialLog(at: BinomialAt): number {
  return Math.log(at.mantissa) + at.exponent * Math.LN2;
}

/** C(n, v + 1) = C(n, v) · (n − v) / (v + 1). */
function stepRight(n: number, at: BinomialAt): void {
  at.mantissa *= (n - at.v) / (at.v + 1);
  at.v += 1;
  rescale(at);
}

/** C(n, v − 1) = C(n, v) · v / (n − v + 1). */
function stepLeft(n: number, at: BinomialAt): void {
  at.mantissa *= at.v / (n - at.v + 1);
  at.v -= 1;
  rescale(at);
}

/** By exact powers of two, up on the way to the peak and down after it. */
function rescale(at: BinomialAt): void {
  if (at.mantissa > 2 ** 512) {
    at.mantissa *= 2 ** -512;
    at.exponent += 512;
  } else if (at.mantissa < 2 ** -512) {
    at.mantissa *= 2 ** 512;
    at.exponent -= 512;
  }
}

/** Σ sign_i · exp(log_i) kept as scale · exp(shift), rescaled as larger terms arrive. */
class ScaledSum {
  private scaled = 0;
  private shift = -Infinity;

  /** Adds a term; returns |term| / sum, for the stopping rule (one exponential a term). */
  add(sign: number, log: number): number {
    if (log > this.shift) {
      this.scaled = this.scaled * Math.exp(this.shift - log) + sign;
      this.shift = log;
      return 1 / this.scaled;
    }
    const magnitude = Math.exp(log - this.shift);
    this.scaled += sign * magnitude;
    return magnitude / this.scaled;
  }

  value(): number {
    return this.scaled === 0 ? 0 : this.scaled * Math.exp(this.shift);
  }
}

/**
 * n·x split exactly into ⌊n·x⌋ and the fraction α in [0, 1), as cephes `modNX` does in
 * double-double: the rounded product alone can land on the wrong side of an integer.
 */
export function splitProduct(n: number, x: number): { floor: number; fraction: number } {
  const high = n * x;
  const low = productError(n, x, high);
  let floor = Math.floor(high);
  if (floor === high && low < 0) floor -= 1;
  let fraction = high - floor + low;
  if (fraction >= 1) {
    floor += 1;
    fraction = 0;
  }
  return { floor, fraction: Math.max(fraction, 0) };
}

/** The rounding error a·b − fl(a·b), exactly, by Dekker's splitting (no fused multiply-add in JS). */
function productError(a: number, b: number, product: number): number {
  const [aHigh, aLow] = veltkampSplit(a);
  const [bHigh, bLow] = veltkampSplit(b);
  return aHigh * bHigh - product + aHigh * bLow + aLow * bHigh + aLow * bLow;
}

function veltkampSplit(a: number): [number, number] {
  const c = 134217729 * a; // 2^27 + 1
  const high = c - (c - a);
  return [high, a - high];
}
