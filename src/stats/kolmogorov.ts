/**
 * The distribution of the two-sided one-sample Kolmogorov-Smirnov statistic D_n, whose
 * survival function scipy uses for `ks_2samp(method='asymp')` (`kstwo.sf`). Written after
 * scipy's `scipy/stats/_ksstats.py` (Simard & L'Ecuyer 2011: which algorithm where) and the
 * one-sided Smirnov distribution of cephes `kolmogorov.c` (Birnbaum-Tingey sum), in plain
 * double precision: our p-values need a relative 1e-4, not the last bits.
 */

const E128 = 2 ** 128;
const EM128 = 2 ** -128;
const MIN_LOG = -708;
const CEPHES_MINLOG = -708.3964185322641;
const SQRT2PI = Math.sqrt(2 * Math.PI);
const LOG_2PI = Math.log(2 * Math.PI);
const PI2 = Math.PI ** 2;
const PI4 = Math.PI ** 4;
const PI6 = Math.PI ** 6;
const SMIRNOV_MAX_COMPUTE_N = 1_000_000;

/** P(D_n > x), the two-sided statistic's survival function for a sample of size n. */
export function kolmogorovSf(n: number, x: number): number {
  if (!Number.isInteger(n) || n <= 0 || Number.isNaN(x)) return Number.NaN;
  if (x >= 1) return 0;
  if (x <= 0) return 1;
  const t = n * x;
  if (t <= 1) {
    // Ruben-Gambino: 1/2n <= x <= 1/n
    if (t <= 0.5) return 1;
    const cdf =
      n <= 140
        ? productOfRange(n, (i) => (i / n) * (2 * t - 1))
        : Math.exp(logNFactorialOverNPowN(n) + n * Math.log(2 * t - 1));
    return clip(1 - cdf);
  }
  if (t >= n - 1) return clip(2 * (1 - x) ** n); // Ruben-Gambino
  if (x >= 0.5) return clip(2 * smirnovSf(n, x)); // exact: the one-sided tails cannot overlap
  const nxSquared = t * x;
  if (n <= 140) {
    if (nxSquared <= 0.754693) return clip(1 - durbinMatrixCdf(n, x));
    if (nxSquared <= 4) return clip(1 - pomeranzCdf(n, x));
    return clip(2 * smirnovSf(n, x));
  }
  if (nxSquared >= 370) return 0;
  if (nxSquared >= 2.2) return clip(2 * smirnovSf(n, x));
  if (n <= 100_000 && n * x ** 1.5 <= 1.4) return clip(1 - durbinMatrixCdf(n, x));
  return clip(pelzGoodSf(n, x));
}

function clip(p: number): number {
  return Math.min(1, Math.max(0, p));
}

function productOfRange(n: number, factor: (i: number) => number): number {
  let product = 1;
  for (let i = 1; i <= n; i += 1) product *= factor(i);
  return product;
}

// B_2j / (2j(2j − 1)) for j = 8 .. 1, rounded to doubles
const STIRLING = [
  -2.955065359477124e-2, 6.41025641025641e-3, -1.917526917526917e-3, 8.417508417508417e-4,
  -5.952380952380952e-4, 7.936507936507937e-4, -2.777777777777778e-3, 8.333333333333333e-2,
];

/** log(n! / n^n) by Stirling's series, with n·log(n) removed up front. */
function logNFactorialOverNPowN(n: number): number {
  const rn = 1 / n;
  const series = STIRLING.reduce((acc, coefficient) => acc * (rn / n) + coefficient, 0);
  return Math.log(n) / 2 - n + LOG_2PI / 2 + rn * series;
}

/**
 * P(D_n+ > x), the one-sided Smirnov survival function, by the Birnbaum-Tingey sum
 * x · Σ_{v=0}^{⌊n(1−x)⌋} C(n,v) (1 − x − v/n)^(n−v) (x + v/n)^(v−1): all terms positive,
 * summed in log space so huge binomials and tiny powers never overflow.
 */
export function smirnovSf(n: number, x: number): number {
  if (!(n > 0 && x >= 0 && x <= 1)) return Number.NaN;
  if (n === 1) return 1 - x;
  if (x === 0) return 1;
  if (x === 1) return 0;
  const nx = n * x;
  const nxFloor = Math.floor(nx);
  if (nxFloor === 0 || (nxFloor === 1 && nx === 1)) return 1 - x * (1 + x) ** (n - 1);
  if (-2 * n * x * x < CEPHES_MINLOG) return 0;
  if (nxFloor >= n - 1) return (1 - x) ** n;
  if (n > SMIRNOV_MAX_COMPUTE_N) return Math.exp(-((6 * nx + 1) ** 2) / 18 / n);
  const lastV = Math.floor(n * (1 - x));
  const logTerms: number[] = [];
  let logBinomial = 0;
  let maxLog = -Infinity;
  for (let v = 0; v <= lastV; v += 1) {
    const rest = 1 - x - v / n;
    if (rest > 0 || v === n) {
      const logTerm =
        logBinomial + (n - v) * Math.log(Math.max(rest, 0)) + (v - 1) * Math.log(x + v / n);
      logTerms.push(logTerm);
      maxLog = Math.max(maxLog, logTerm);
      // Past the peak, stop once the remaining terms cannot reach the last bit.
      if (logTerm < maxLog - 40 && v > n * x) break;
    }
    logBinomial += Math.log((n - v) / (v + 1));
  }
  const scaled = logTerms.reduce((sum, logTerm) => sum + Math.exp(logTerm - maxLog), 0);
  return clip(x * Math.exp(maxLog) * scaled);
}

/** P(D_n <= d) by Durbin's matrix algorithm as Marsaglia, Tsang & Wang compute it. */
function durbinMatrixCdf(n: number, d: number): number {
  if (d >= 1) return 1;
  const nd = n * d;
  if (nd <= 0.5) return 0;
  const k = Math.ceil(nd);
  const h = k - nd;
  const m = 2 * k - 1;
  let H = durbinMatrix(m, h);
  let power = identity(m);
  let exponent = 0;
  let hExponent = 0;
  for (let remaining = n; remaining > 0; remaining = Math.floor(remaining / 2)) {
    if (remaining % 2 === 1) {
      power = multiply(power, H);
      exponent += hExponent;
    }
    H = multiply(H, H);
    hExponent *= 2;
    if (Math.abs(H[(k - 1) * m + (k - 1)] ?? 0) > E128) {
      for (let i = 0; i < H.length; i += 1) H[i] = (H[i] ?? 0) / E128;
      hExponent += 128;
    }
  }
  let p = power[(k - 1) * m + (k - 1)] ?? 0;
  for (let i = 1; i <= n; i += 1) {
    p = (i * p) / n;
    if (Math.abs(p) < EM128) {
      p *= E128;
      exponent -= 128;
    }
  }
  return clip(p * 2 ** exponent);
}

function durbinMatrix(m: number, h: number): Float64Array {
  const v = new Float64Array(m);
  const w = new Float64Array(m);
  let factorial = 1;
  for (let j = 1; j <= m; j += 1) {
    w[j - 1] = factorial;
    factorial /= j;
    v[j - 1] = (1 - h ** j) * factorial;
  }
  const tt = Math.max(2 * h - 1, 0) ** m - 2 * h ** m;
  v[m - 1] = (1 + tt) * factorial;
  const H = new Float64Array(m * m);
  for (let i = 1; i < m; i += 1) {
    for (let row = i - 1; row < m; row += 1) H[row * m + i] = w[row - (i - 1)] ?? 0;
  }
  for (let row = 0; row < m; row += 1) H[row * m] = v[row] ?? 0;
  for (let col = 0; col < m; col += 1) H[(m - 1) * m + col] = v[m - 1 - col] ?? 0;
  return H;
}

function identity(m: number): Float64Array {
  const matrix = new Float64Array(m * m);
  for (let i = 0; i < m; i += 1) matrix[i * m + i] = 1;
  return matrix;
}

function multiply(a: Float64Array, b: Float64Array): Float64Array {
  const m = Math.round(Math.sqrt(a.length));
  const out = new Float64Array(m * m);
  for (let i = 0; i < m; i += 1) {
    for (let l = 0; l < m; l += 1) {
      const ail = a[i * m + l] ?? 0;
      if (ail === 0) continue;
      for (let j = 0; j < m; j += 1)
        out[i * m + j] = (out[i * m + j] ?? 0) + ail * (b[l * m + j] ?? 0);
    }
  }
  return out;
}

/** P(D_n <= x) by the Pomeranz (1974) recursion, two rows at a time. */
function pomeranzCdf(n: number, x: number): number {
  const t = n * x;
  const ll = Math.floor(t);
  const f = t - ll;
  const g = Math.min(f, 1 - f);
  const ceilF = f > 0 ? 1 : 0;
  const roundF = f > 0.5 ? 1 : 0;
  const powers = 2 * (ll + 1);
  const gPower = poissonLikePowers(powers, g / n);
  const twoGPower = poissonLikePowers(powers, (2 * g) / n);
  const oneMinusTwoGPower = poissonLikePowers(powers, (1 - 2 * g) / n);
  let exponent = 0;
  let V0 = new Float64Array(powers);
  let V1 = new Float64Array(powers);
  V1[0] = 1;
  let V0s = 0;
  let V1s = 0;
  let [j1, j2] = pomeranzBounds(0, n, ll, ceilF, roundF);
  for (let i = 1; i < 2 * n + 2; i += 1) {
    const k1 = j1;
    [V0, V1] = [V1, V0];
    [V0s, V1s] = [V1s, V0s];
    V1.fill(0);
    [j1, j2] = pomeranzBounds(i, n, ll, ceilF, roundF);
    const weights =
      i === 1 || i === 2 * n + 1 ? gPower : i % 2 === 1 ? twoGPower : oneMinusTwoGPower;
    const length = j2 - k1 + 1;
    if (length > 0) {
      const start = j1 - k1;
      const count = j2 - j1 + 1;
      for (let out = 0; out < count; out += 1) {
        // entry (start + out) of the convolution of V0[k1 - V0s ..] with weights
        const index = start + out;
        let sum = 0;
        for (let a = 0; a <= index && a < length; a += 1) {
          const b = index - a;
          if (b < length) sum += (V0[k1 - V0s + a] ?? 0) * (weights[b] ?? 0);
        }
        V1[out] = sum;
      }
      let max = 0;
      for (const value of V1) max = Math.max(max, value);
      if (max > 0 && max < EM128) {
        for (let i2 = 0; i2 < V1.length; i2 += 1) V1[i2] = (V1[i2] ?? 0) * E128;
        exponent -= 128;
      }
      V1s = V0s + j1 - k1;
    }
  }
  let answer = V1[n - V1s] ?? 0;
  for (let m = 1; m <= n; m += 1) {
    if (Math.abs(answer) > E128) {
      answer *= EM128;
      exponent += 128;
    }
    answer *= m;
  }
  return clip(answer * 2 ** exponent);
}

/** (a)^m / m! for m = 0..count−1: Poisson probabilities without their normalising factor. */
function poissonLikePowers(count: number, a: number): Float64Array {
  const powers = new Float64Array(count);
  powers[0] = 1;
  for (let m = 1; m < count; m += 1) powers[m] = ((powers[m - 1] ?? 0) * a) / m;
  return powers;
}

function pomeranzBounds(
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

/** The Pelz-Good (1976) approximation, as a survival function. */
function pelzGoodSf(n: number, x: number): number {
  if (x <= 0) return 1;
  if (x >= 1) return 0;
  const z = Math.sqrt(n) * x;
  const z2 = z ** 2;
  const z3 = z ** 3;
  const z4 = z ** 4;
  const z6 = z ** 6;
  const qLog = -PI2 / 8 / z2;
  if (qLog < MIN_LOG) return 1;
  let q = Math.exp(qLog);
  const k1a = -z2;
  const k1b = PI2 / 4;
  const k2a = 6 * z6 + 2 * z4;
  const k2b = ((2 * z4 - 5 * z2) * PI2) / 4;
  const k2c = (PI4 * (1 - 2 * z2)) / 16;
  const k3d = (PI6 * (5 - 30 * z2)) / 64;
  const k3c = (PI4 * (-60 * z2 + 212 * z4)) / 16;
  const k3b = (PI2 * (135 * z4 - 96 * z6)) / 4;
  const k3a = -30 * z6 - 90 * z ** 8;
  const K = [0, 0, 0, 0];
  const maxK = Math.ceil((16 * z) / Math.PI);
  // Horner's scheme over odd integers m = 2k − 1 of the sums c_i q^(m^2)
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
  // The terms over all integers k: K2 gets (π²k²) q^(k²), K3 gets (3π²k²z² − π⁴k⁴) q^(k²)
  q = Math.exp(-PI2 / 2 / z2);
  let k2Extra = 0;
  let k3Extra = 0;
  const sqrt3z = Math.sqrt(3) * z;
  for (let k = maxK; k > 0; k -= 1) {
    const k2 = k * k;
    const qPower = q ** k2;
    const kPi = Math.PI * k;
    k2Extra += k2 * qPower;
    k3Extra += (sqrt3z + kPi) * (sqrt3z - kPi) * k2 * qPower;
  }
  K[2] = (K[2] ?? 0) + (k2Extra * PI2 * SQRT2PI) / (-36 * z3);
  K[3] = (K[3] ?? 0) + (k3Extra * PI2 * SQRT2PI) / (216 * z6);
  let sf = 1;
  for (let i = 0; i < 4; i += 1) sf -= (K[i] ?? 0) / n ** (i / 2);
  return sf;
}
