import { PROPORTION_FLOOR } from '../stats/index.js';
import type { BinCounts, Bracket, CountRange } from './cells.js';
import type { FeatureDrift } from './featureDrift.js';

/**
 * Drift attribution: which slice explains a model-level shift. Pure.
 *
 * The whole window's sample is the union of its slices' (each slice key's values partition
 * the events), so a statistic that is a weighted sum of differences of proportions splits
 * into one part per slice. With a_{s,i} and b_{s,i} the counts of slice s in part i (a bin,
 * "at or below x", "null") in the window and the baseline, N_c and N_r the whole samples'
 * sizes and w_i a weight per part:
 *
 *     statistic = Σ_i (a_i/N_c − b_i/N_r)·w_i = Σ_s Σ_i (a_{s,i}/N_c − b_{s,i}/N_r)·w_i
 *
 * and slice s's contribution is its inner sum: its share of the window's mass in each part
 * minus its share of the baseline's, weighted. A slice that moved against the shift has a
 * negative contribution. The statistics, and their weights:
 * - PSI = Σ (c_i − r_i)·ln(c_i/r_i): bins i, w_i = ln(c_i/r_i) of the whole sample's floored
 *   proportions (the contributions sum to PSI but for the floor's part in bins below 1e-4);
 * - KS's D at its location x: one part (values at or below x), w = ±1 so that D is positive;
 * - a rate's shift (null rate, predicted positive rate): one part, w = 1.
 * Counts known only within ranges (cells that span an edge) give each contribution a proven
 * bracket, by interval arithmetic over the parts.
 */
export interface SliceParts {
  key: string;
  value: string;
  /** Per part, the slice's count in the baseline and in the window. */
  reference: readonly CountRange[];
  current: readonly CountRange[];
  /** The slice's size in each sample (values, events or scored predictions, as the statistic counts). */
  sizes: { reference: number; current: number };
}

export interface SliceContribution {
  key: string;
  value: string;
  contribution: Bracket;
  /** contribution.value over the statistic's value (0 when that is 0). */
  share: number;
  sizes: { reference: number; current: number };
}

export interface KeyAttribution {
  key: string;
  /** Largest contribution first. */
  slices: SliceContribution[];
  /** Σ of the slices' point contributions: the statistic (up to the floor's part for PSI). */
  explained: number;
}

export interface LinearStatistic {
  /** The weight of each part. */
  weights: readonly Bracket[];
  /** The whole samples' sizes, N_r and N_c. */
  sizes: { reference: number; current: number };
  /** The statistic's own value, the denominator of the shares. */
  value: number;
}

/** Each slice key's slices with their contributions to the statistic, largest first. */
export function attributeToSlices(
  statistic: LinearStatistic,
  slices: readonly SliceParts[],
): KeyAttribution[] {
  const byKey = new Map<string, SliceContribution[]>();
  for (const slice of slices) {
    const contributions = byKey.get(slice.key) ?? [];
    contributions.push(contributionOf(statistic, slice));
    byKey.set(slice.key, contributions);
  }
  return [...byKey].map(([key, contributions]) => ({
    key,
    slices: contributions.sort(
      (a, b) => b.contribution.value - a.contribution.value || a.value.localeCompare(b.value),
    ),
    explained: contributions.reduce((sum, slice) => sum + slice.contribution.value, 0),
  }));
}

function contributionOf(statistic: LinearStatistic, slice: SliceParts): SliceContribution {
  const { reference: nr, current: nc } = statistic.sizes;
  let value = 0;
  let lower = 0;
  let upper = 0;
  let magnitude = 0;
  statistic.weights.forEach((weight, i) => {
    const a = slice.current[i] ?? { lower: 0, upper: 0 };
    const b = slice.reference[i] ?? { lower: 0, upper: 0 };
    const difference = {
      value: (a.lower + a.upper) / 2 / nc - (b.lower + b.upper) / 2 / nr,
      lower: a.lower / nc - b.upper / nr,
      upper: a.upper / nc - b.lower / nr,
    };
    const product = times(difference, weight);
    value += difference.value * weight.value;
    lower += product.lower;
    upper += product.upper;
    magnitude += Math.max(Math.abs(product.lower), Math.abs(product.upper));
  });
  // The sums' rounding, outward: a few units in the last place of every term's magnitude.
  const rounding = (statistic.weights.length + 4) * Number.EPSILON * magnitude;
  lower -= rounding;
  upper += rounding;
  const exact =
    statistic.weights.every((weight) => weight.lower === weight.upper) &&
    slice.current.every((range) => range.lower === range.upper) &&
    slice.reference.every((range) => range.lower === range.upper);
  const contribution = exact
    ? { value, lower: value, upper: value }
    : { value: Math.min(Math.max(value, lower), upper), lower, upper };
  return {
    key: slice.key,
    value: slice.value,
    contribution,
    share: statistic.value !== 0 ? value / statistic.value : 0,
    sizes: slice.sizes,
  };
}

/** [a, b] × [c, d]. */
function times(x: Bracket, y: Bracket): { lower: number; upper: number } {
  const corners = [x.lower * y.lower, x.lower * y.upper, x.upper * y.lower, x.upper * y.upper];
  return { lower: Math.min(...corners), upper: Math.max(...corners) };
}

/**
 * PSI's weights ln(c_i/r_i) from the whole window's and the whole baseline's bin counts
 * (floored at 1e-4, as PSI is), each bracketed by its counts' ranges; null when either
 * sample is empty.
 */
export function psiWeights(reference: BinCounts, current: BinCounts): LinearStatistic | null {
  if (!(reference.total > 0 && current.total > 0)) return null;
  if (reference.ranges.length !== current.ranges.length) return null;
  const floored = (range: CountRange, total: number) => ({
    lower: Math.max(range.lower / total, PROPORTION_FLOOR),
    upper: Math.max(Math.min(range.upper, total) / total, PROPORTION_FLOOR),
    value: Math.max((range.lower + Math.min(range.upper, total)) / 2 / total, PROPORTION_FLOOR),
  });
  let value = 0;
  const weights = current.ranges.map((range, i) => {
    const c = floored(range, current.total);
    const r = floored(reference.ranges[i] ?? { lower: 0, upper: 0 }, reference.total);
    value += (c.value - r.value) * Math.log(c.value / r.value);
    const weight = Math.log(c.value / r.value);
    if (c.lower === c.upper && r.lower === r.upper)
      return { value: weight, lower: weight, upper: weight };
    return {
      value: weight,
      lower: Math.log(c.lower / r.upper),
      upper: Math.log(c.upper / r.lower),
    };
  });
  return { weights, sizes: { reference: reference.total, current: current.total }, value };
}

/** KS's D at its location as a one-part statistic: w = +1 when the window has more mass at or below x. */
export function ksWeights(
  location: { gap: Bracket; direction: 'more_below' | 'less_below' },
  sizes: { reference: number; current: number },
): LinearStatistic {
  const sign = location.direction === 'more_below' ? 1 : -1;
  return {
    weights: [{ value: sign, lower: sign, upper: sign }],
    sizes,
    value: location.gap.value,
  };
}

/** A rate's shift (current − reference) as a one-part statistic. */
export function rateWeights(
  sizes: { reference: number; current: number },
  value: number,
): LinearStatistic | null {
  if (!(sizes.reference > 0 && sizes.current > 0)) return null;
  return { weights: [{ value: 1, lower: 1, upper: 1 }], sizes, value };
}

/** A feature's drift in one slice, ranked: what moved in the window, largest PSI first. */
export interface FeatureRank {
  feature: string;
  kind: 'numeric' | 'categorical';
  psi: Bracket | null;
  /** psi.value over the sum of every ranked feature's PSI (0 when that is 0). */
  share: number;
  drift: boolean;
}

/**
 * The features of one slice by their PSI in the window, largest first: which inputs moved
 * when a model-level check (the score, the positive rate) or one feature fired.
 */
export function rankFeatures(drift: readonly FeatureDrift[], slice: string): FeatureRank[] {
  const entries = drift.filter((entry) => entry.slice === slice);
  const total = entries.reduce((sum, entry) => sum + (entry.psi ?? 0), 0);
  return entries
    .map((entry) => {
      const bracket = entry.brackets?.psi;
      const psi =
        entry.psi === null
          ? null
          : {
              value: entry.psi,
              lower: bracket?.[0] ?? entry.psi,
              upper: bracket?.[1] ?? entry.psi,
            };
      return {
        feature: entry.name,
        kind: entry.kind,
        psi,
        share: total > 0 && psi ? psi.value / total : 0,
        drift: entry.drift,
      };
    })
    .sort(
      (a, b) => (b.psi?.value ?? -1) - (a.psi?.value ?? -1) || a.feature.localeCompare(b.feature),
    );
}
