import { smirnovSf, smirnovSfLowerBound } from './smirnov.js';

/**
 * The distribution of the two-sided one-sample Kolmogorov-Smirnov statistic D_n: scipy's
 * `kstwo`, whose survival function `ks_2samp(method='asymp')` reports as its p-value.
 *
 * A port of `_kolmogn` and its helpers in scipy/stats/_ksstats.py (scipy 1.10): the choice
 * of algorithm by Simard & L'Ecuyer (2011), "Computing the Two-Sided Kolmogorov-Smirnov
 * Distribution", J. Stat. Software 39(11):
 * - Ruben-Gambino closed forms for n·x <= 1 and n·x >= n − 1,
 * - exactly twice the one-sided Smirnov tail for x >= 1/2 (the two tails cannot both occur),
 * - Durbin's matrix algorithm as Marsaglia, Tsang & Wang (2003) compute it, for small n·x²,
 * - the Pomeranz (1974) recursion for n <= 140 and moderate n·x²,
 * - the Pelz-Good (1976) asymptotic series for large n and small x,
 * - 2 × Smirnov (Miller's approximation) in the upper tail.
 * scipy keeps two scaling constants in long double; we use doubles throughout.
 */

const E128 = 2 ** 128;
const EM128 = 2 ** -128;
const MIN_LOG = -708;
const SQRT2PI = Math.sqrt(2 * Math.PI);
const LOG_2PI = Math.log(2 * Math.PI);
const SQRT3 = Math.sqrt(3);
const PI_SQUARED = Math.PI ** 2;
const PI_FOUR = Math.PI ** 4;
const PI_SIX = Math.PI ** 6;

/** P(D_n > x): scipy.stats.kstwo.sf(x, n). NaN unless n is a positive integer. */
export function kolmogorovSf(n: number, x: number): number {
  return kolmogorovSfWith(n, x, smirnovSf);
}

/**
 * A proven lower bound of kolmogorovSf(n, x), within 10% of it and about half its cost
 * where the value is twice a long Smirnov sum (large n, n·x² >= 2.2); the value elsewhere.
 * For the lower end of a p-value bracket, which only has to be a bound.
 */
export function kolmogorovSfLowerBound(n: number, x: number): number {
  return kolmogorovSfWith(n, x, smirnovSfLowerBound);
}

function kolmogorovSfWith(
  n: number,
  x: number,
  oneSided: (n: number, x: number) => number,
): number {
  if (!(Number.isInteger(n) && n > 0) || Number.isNaN(x)) return NaN;
  if (x >= 1) return 0;
  if (x <= 0) return 1;
  const t = n * x;
  if (t <= 1) {
    // Ruben-Gambino, 1/2n <= x <= 1/n: P(D_n <= x) = n!/n^n (2nx − 1)^n
    if (t <= 0.5) return 1;
    const cdf =
      n <= 140
        ? productOver(n, (i) => i * (1 / n) * (2 * t - 1))
        : Math.exp(logFactorialOverPower(n) + n * Math.log(2 * t - 1));
    return clip(1 - cdf);
  }
  // Ruben-Gambino, x >= 1 − 1/n
  if (t >= n - 1) return clip(2 * (1 - x) ** n);
  if (x >= 0.5) return clip(2 * smirnovSf(n, x));

  const nxSquared = t * x;
  if (n <= 140) {
    if (nxSquared <= 0.754693) return clip(1 - durbinMatrixCdf(n, x));
    if (nxSquared <= 4) return clip(1 - pomeranzCdf(n, x));
    return clip(2 * smirnovSf(n, x));
  }
  // scipy's survival-function cut-offs (its cdf has its own, at 18)
  if (nxSquared >= 370) return 0;
  if (nxSquared >= 2.2) return clip(2 * oneSided(n, x));
  const cdf = n <= 100_000 && n * x ** 1.5 <= 1.4 ? durbinMatrixCdf(n, x) : clip(pelzGoodCdf(n, x));
  return clip(1 - cdf);
}

function clip(p: number): number {
  return Math.min(1, Math.max(0, p));
}

function productOver(n: number, factor: (i: number) => number): number {
  let product = 1;
  for (let i = 1; i <= n; i += 1) product *= factor(i);
  return product;
}

/**
 * B_2j / (2j (2j − 1)) for j = 8 .. 1 (Bernoulli numbers), highest power first: scipy's
 * 20-digit literals, written as the doubles they round to.
 */
const STIRLING_COEFFICIENTS = [
  -0.029550653594771242, 0.00641025641025641, -0.0019175269175269176, 0.0008417508417508417,
  -0.0005952380952380953, 0.0007936507936507937, -0.002777777777777778, 0.08333333333333333,
];

/** log(n! / n^n) by Stirling's series, with n·log(n) taken out up front (no cancellation). */
function logFactorialOverPower(n: number): number {
  const rn = 1 / n;
  const series = STIRLING_COEFFICIENTS.reduce((acc, c) => acc * (rn / n) + c, 0);
  return Math.log(n) / 2 - n + LOG_2PI / 2 + rn * series;
}

/**
 * P(D_n <= d) by Durbin's matrix algorithm (Marsaglia, Tsang & Wang): with d = (k − h)/n,
 * the (k, k) entry of (n!/n^n) H^n for an m × m matrix H, m = 2k − 1, powered by squaring
 * and rescaled by 2^±128 so nothing overflows. O(m² log n) time: for small n·d only.
 */
export function durbinMatrixCdf(n: number, d: number): number {
  if (d >= 1) return 1;
  const nd = n * d;
  if (nd <= 0.5) return 0;
  const k = Math.ceil(nd);
  const h = k - nd;
  const m = 2 * k - 1;
  let H = durbinMatrix(m, h);
  let power = identity(m);
  let exponent = 0; // power is scaled by 2^-exponent
  let hExponent = 0; // and H by 2^-hExponent
  for (let remaining = n; remaining > 0; remaining = Math.floor(remaining / 2)) {
    if (remaining % 2 === 1) {
      power = multiply(power, H, m);
      exponent += hExponent;
    }
    H = multiply(H, H, m);
    hExponent *= 2;
    if (Math.abs(at(H, m, k - 1, k - 1)) > E128) {
      for (let i = 0; i < H.length; i += 1) H[i] = (H[i] ?? 0) / E128;
      hExponent += 128;
    }
  }
  let p = at(power, m, k - 1, k - 1);
  for (let i = 1; i <= n; i += 1) {
    p = (i * p) / n; // times n!/n^n, a factor at a time
    if (Math.abs(p) < EM128) {
      p *= E128;
      exponent -= 128;
    }
  }
  return clip(p * 2 ** exponent);
}

/**
 * Durbin's H: first column v_j = (1 − h^j)/j!, last row v reversed, 1/(i − j + 1)! on and
 * below the superdiagonal, and the corner corrected by (2h − 1)₊^m.
 */
function durbinMatrix(m: number, h: number): Float64Array {
  const v = new Float64Array(m);
  const w = new Float64Array(m); // w[j] = 1/j!
  let factorial = 1; // 1/j!
  for (let j = 1; j <= m; j += 1) {
    w[j - 1] = factorial;
    factorial /= j;
    v[j - 1] = (1 - h ** j) * factorial;
  }
  const tt = Math.max(2 * h - 1, 0) ** m - 2 * h ** m;
  v[m - 1] = (1 + tt) * factorial;
  const H = new Float64Array(m * m);
  for (let col = 1; col < m; col += 1) {
    for (let row = col - 1; row < m; row += 1) H[row * m + col] = w[row - col + 1] ?? 0;
  }
  for (let row = 0; row < m; row += 1) H[row * m] = v[row] ?? 0;
  for (let col = 0; col < m; col += 1) H[(m - 1) * m + col] = v[m - 1 - col] ?? 0;
  return H;
}

function at(matrix: Float64Array, m: number, row: number, col: number): number {
  return matrix[row * m + col] ?? 0;
}

function identity(m: number): Float64Array {
  const matrix = new Float64Array(m * m);
  for (let i = 0; i < m; i += 1) matrix[i * m + i] = 1;
  return matrix;
}

function multiply(a: Float64Array, b: Float64Array, m: number): Float64Array {
  const out = new Float64Array(m * m);
  for (let i = 0; i < m; i += 1) {
    for (let l = 0; l < m; l += 1) {
      const ail = a[i * m + l] ?? 0;
      if (ail === 0) continue;
      for (let j = 0; j < m; j += 1) out[i * m + j] = (out[i * m + j] ?? 0) + ail * at(b, m, l, j);
    }
  }
  return out;
}

/**
 * P(D_n <= x) by the Pomeranz (1974) recursion: 2n + 1 rows, each the convolution of the
 * last with one of three Poisson-like weight vectors; only a short window of each row can
 * be non-zero, and only two rows are kept. The answer is n! times the last entry.
 */
export function pomeranzCdf(n: number, x: number): number {
  const t = n * x;
  const ll = Math.floor(t);
  const f = t - ll;
  const g = Math.min(f, 1 - f);
  const ceilF = f > 0 ? 1 : 0;
  const roundF = f > 0.5 ? 1 : 0;
  const powerCount = 2 * (ll + 1); // the most terms any convolution needs
  const gPowers = scaledPowers(powerCount, g / n);
  const twoGPowers = scaledPowers(powerCount, (2 * g) / n);
  const oneMinusTwoGPowers = scaledPowers(powerCount, (1 - 2 * g) / n);

  let exponent = 0;
  let previous = new Float64Array(powerCount);
  let row = new Float64Array(powerCount);
  row[0] = 1;
  let previousStart = 0; // column of previous[0]
  let rowStart = 0; // column of row[0]
  let [j1] = pomeranzWindow(0, n, ll, ceilF, roundF);
  for (let i = 1; i < 2 * n + 2; i += 1) {
    const k1 = j1;
    [previous, row] = [row, previous];
    [previousStart, rowStart] = [rowStart, previousStart];
    row.fill(0);
    let j2: number;
    [j1, j2] = pomeranzWindow(i, n, ll, ceilF, roundF);
    const weights =
      i === 1 || i === 2 * n + 1 ? gPowers : i % 2 === 1 ? twoGPowers : oneMinusTwoGPowers;
    const length = j2 - k1 + 1;
    if (length <= 0) continue;
    const offset = k1 - previousStart;
    for (let out = 0; out < j2 - j1 + 1; out += 1) {
      // entry (j1 − k1 + out) of convolve(previous[offset .. offset + length), weights[0 .. length))
      const index = j1 - k1 + out;
      let sum = 0;
      for (let a = Math.max(0, index - length + 1); a <= Math.min(index, length - 1); a += 1)
        sum += (previous[offset + a] ?? 0) * (weights[index - a] ?? 0);
      row[out] = sum;
    }
    // a loop, not row.reduce: a typed array's reduce is not inlined, and each call boxed its
    // doubles (in a backtest, most of the exact KS p-values' garbage)
    let max = 0;
    for (let c = 0; c < row.length; c += 1) max = Math.max(max, row[c] ?? 0);
    if (max > 0 && max < EM128) {
      for (let c = 0; c < row.length; c += 1) row[c] = (row[c] ?? 0) * E128;
      exponent -= 128;
    }
    rowStart = previousStart + j1 - k1;
  }
  let answer = row[n - rowStart] ?? 0;
  for (let m = 1; m <= n; m += 1) {
    if (Math.abs(answer) > E128) {
      answer *= EM128;
      exponent += 128;
    }
    answer *= m;
  }
  return clip(answer * 2 ** exponent);
}

/** a^j / j! for j = 0 .. count − 1: Poisson probabilities without their e^−a. */
function scaledPowers(count: number, a: number): Float64Array {
  const powers = new Float64Array(count);
  powers[0] = 1;
  for (let j = 1; j < count; j += 1) powers[j] = ((powers[j - 1] ?? 0) * a) / j;
  return powers;
}

/** The columns [j1, j2] of row i of the Pomeranz recursion that can be non-zero. */
function pomeranzWindow(
  i: number,
  n: number,
  ll: number,
  ceilF: number,
  roundF: number,
): [number, number] {
  let j1: number;
  let j2: number;
  if (i === 0) {
    j1 = -ll - ceilF - 1;
    j2 = ll + ceilF - 1;
  } else {
    const half = Math.floor((i + 1) / 2);
    if ((i + 1) % 2 === 0) {
      // i is odd
      if (half === n + 1) {
        j1 = n - ll - ceilF - 1;
        j2 = n + ll + ceilF - 1;
      } else {
        j1 = half - 1 - ll - roundF - 1;
        j2 = half + ll - 1 + ceilF - 1;
      }
    } else {
      j1 = half - 1 - ll - 1;
      j2 = half + ll + roundF - 1;
    }
  }
  return [Math.max(j1 + 2, 0), Math.min(j2, n)];
}

/**
 * The Pelz-Good approximation of P(D_n <= x): the Li-Chien / Korolyuk expansion
 * K0(z) + K1(z)/√n + K2(z)/n + K3(z)/n^1.5 in z = x√n, each K turned by the Jacobi theta
 * functional equation into fast-converging sums over q = e^(−π²/8z²). Not clipped.
 */
export function pelzGoodCdf(n: number, x: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const z = Math.sqrt(n) * x;
  const z2 = z ** 2;
  const z3 = z ** 3;
  const z4 = z ** 4;
  const z6 = z ** 6;
  const qLog = -PI_SQUARED / 8 / z2;
  if (qLog < MIN_LOG) return 0; // z below about 0.0417
  const q = Math.exp(qLog);

  const k1a = -z2;
  const k1b = PI_SQUARED / 4;
  const k2a = 6 * z6 + 2 * z4;
  const k2b = ((2 * z4 - 5 * z2) * PI_SQUARED) / 4;
  const k2c = (PI_FOUR * (1 - 2 * z2)) / 16;
  const k3d = (PI_SIX * (5 - 30 * z2)) / 64;
  const k3c = (PI_FOUR * (-60 * z2 + 212 * z4)) / 16;
  const k3b = (PI_SQUARED * (135 * z4 - 96 * z6)) / 4;
  const k3a = -30 * z6 - 90 * z ** 8;

  // Σ c_i q^(m²) over odd m = 2k − 1 by Horner's scheme in q^(8k)
  const K = [0, 0, 0, 0];
  const maxK = Math.ceil((16 * z) / Math.PI);
  for (let k = maxK; k > 0; k -= 1) {
    const m = 2 * k - 1;
    const m2 = m ** 2;
    const m4 = m ** 4;
    const m6 = m ** 6;
    const qPower = q ** (8 * k);
    const coefficients = [
      1,
      k1a + k1b * m2,
      k2a + k2b * m2 + k2c * m4,
      k3a + k3b * m2 + k3c * m4 + k3d * m6,
    ];
    for (let i = 0; i < 4; i += 1) K[i] = (K[i] ?? 0) * qPower + (coefficients[i] ?? 0);
  }
  const divisors = [z, 6 * z4, 72 * z ** 7, 6480 * z ** 10];
  for (let i = 0; i < 4; i += 1) K[i] = ((K[i] ?? 0) * q * SQRT2PI) / (divisors[i] ?? 1);

  // The sums over all integers k: K2 gets π²k² q'^(k²), K3 (3π²k²z² − π⁴k⁴) q'^(k²)
  const q2 = Math.exp(-PI_SQUARED / 2 / z2);
  const sqrt3z = SQRT3 * z;
  let k2Extra = 0;
  let k3Extra = 0;
  for (let k = maxK; k > 0; k -= 1) {
    const k2 = k * k;
    const qPower = q2 ** k2;
    k2Extra += k2 * qPower;
    k3Extra += (sqrt3z + Math.PI * k) * (sqrt3z - Math.PI * k) * k2 * qPower;
  }
  K[2] = (K[2] ?? 0) + k2Extra * ((PI_SQUARED * SQRT2PI) / (-36 * z3));
  K[3] = (K[3] ?? 0) + k3Extra * ((PI_SQUARED * SQRT2PI) / (216 * z6));

  return K.reduce((sum, value, i) => sum + value / n ** (i / 2), 0);
}
