import { PROPORTION_FLOOR } from '../stats/index.js';
import {
  boxBounds,
  flooredProportionRanges,
  type BinCounts,
  type Bracket,
  type CountRange,
} from './cells.js';

/**
 * What each bin (or category) adds to PSI and to Jensen-Shannon: the bins that moved most,
 * and their share of the statistic. Pure. Counts known only within ranges (cells that span
 * an edge) give each term a proven bracket; exact counts give exact terms, and then the
 * PSI terms sum to the PSI of src/stats and the Jensen-Shannon terms to its distance squared.
 */
export interface BinContribution {
  /** The bin's position: numeric bins in the order of their edges, categories as given. */
  index: number;
  reference: CountRange;
  current: CountRange;
  /** count / n of each sample (not floored). */
  referenceShare: Bracket;
  currentShare: Bracket;
  /** (c − r)·ln(c/r) over proportions floored at 1e-4: this bin's part of PSI. */
  psi: Bracket;
  /** psi.value over the sum of every bin's psi.value (0 when that sum is 0). */
  psiShare: number;
  /**
   * This bin's part of the Jensen-Shannon divergence in bits, (p·log2(p/m) + q·log2(q/m))/2
   * with m = (p + q)/2 over floored, renormalised proportions: the terms sum to the
   * Jensen-Shannon distance squared.
   */
  jensenShannon: Bracket;
  jensenShannonShare: number;
}

/** Each bin's contribution; empty when either sample is empty or the bins differ. */
export function binContributions(reference: BinCounts, current: BinCounts): BinContribution[] {
  const bins = reference.ranges.length;
  if (bins === 0 || bins !== current.ranges.length) return [];
  if (!(reference.total > 0 && current.total > 0)) return [];
  const r = flooredRanges(reference);
  const c = flooredRanges(current);
  const p = renormalisedRanges(r);
  const q = renormalisedRanges(c);
  const terms = reference.ranges.map((referenceCount, i) => {
    const currentCount = current.ranges[i] ?? { lower: 0, upper: 0 };
    return {
      index: i,
      reference: referenceCount,
      current: currentCount,
      referenceShare: shareOf(referenceCount, reference.total),
      currentShare: shareOf(currentCount, current.total),
      psi: termBracket(at(c, i), at(r, i), psiTerm),
      jensenShannon: termBracket(at(q, i), at(p, i), jensenShannonTerm),
    };
  });
  const psiTotal = terms.reduce((sum, term) => sum + term.psi.value, 0);
  const jsTotal = terms.reduce((sum, term) => sum + term.jensenShannon.value, 0);
  return terms.map((term) => ({
    ...term,
    psiShare: psiTotal > 0 ? term.psi.value / psiTotal : 0,
    jensenShannonShare: jsTotal > 0 ? term.jensenShannon.value / jsTotal : 0,
  }));
}

/** The bins ordered by how much they add to PSI, largest first (ties by position). */
export function movedMost(contributions: readonly BinContribution[]): BinContribution[] {
  return [...contributions].sort((a, b) => b.psi.value - a.psi.value || a.index - b.index);
}

/** A proportion known within [lower, upper], and the value the point estimate uses. */
interface ProportionRange {
  lower: number;
  upper: number;
  value: number;
}

const psiTerm = (x: number, y: number) => (x - y) * Math.log(x / y);
const jensenShannonTerm = (x: number, y: number) => {
  const m = (x + y) / 2;
  return (x * Math.log(x / m) + y * Math.log(y / m)) / 2 / Math.LN2;
};

function at(ranges: readonly ProportionRange[], i: number): ProportionRange {
  return ranges[i] ?? { lower: PROPORTION_FLOOR, upper: PROPORTION_FLOOR, value: PROPORTION_FLOOR };
}

/** A count's share of its sample, bracketed; the point value at the middle of the count's range. */
function shareOf(count: CountRange, total: number): Bracket {
  const upper = Math.min(count.upper, total);
  return {
    value: (count.lower + upper) / 2 / total,
    lower: count.lower / total,
    upper: upper / total,
  };
}

/** max(count / n, 1e-4) per bin, within the count's range (cells.ts); the point value at its middle. */
function flooredRanges(counts: BinCounts): ProportionRange[] {
  return flooredProportionRanges(counts).map((bounds, i) => {
    const range = counts.ranges[i] ?? { lower: 0, upper: 0 };
    const middle = (range.lower + Math.min(range.upper, counts.total)) / 2 / counts.total;
    return { ...bounds, value: Math.max(middle, PROPORTION_FLOOR) };
  });
}

/**
 * The floored proportions divided by their sum, as Jensen-Shannon compares them. Each rises
 * with its own proportion and falls with the others', so its least value has its own at the
 * lowest and every other at the highest, and the reverse for its greatest.
 */
function renormalisedRanges(ranges: readonly ProportionRange[]): ProportionRange[] {
  const sumLower = ranges.reduce((sum, range) => sum + range.lower, 0);
  const sumUpper = ranges.reduce((sum, range) => sum + range.upper, 0);
  const sumValue = ranges.reduce((sum, range) => sum + range.value, 0);
  if (ranges.every((range) => range.lower === range.upper)) {
    return ranges.map((range) => {
      const value = range.value / sumValue;
      return { lower: value, upper: value, value };
    });
  }
  return ranges.map((range) => ({
    lower: range.lower / (sumUpper - range.upper + range.lower),
    upper: range.upper / (sumLower - range.lower + range.upper),
    value: range.value / sumValue,
  }));
}

/**
 * Bounds of a term over the box x ∈ [x.lower, x.upper], y ∈ [y.lower, y.upper] (cells.ts's
 * boxBounds: the maximum at a corner, the minimum 0 where the ranges overlap), and the point
 * value clamped inside them.
 */
function termBracket(
  x: ProportionRange,
  y: ProportionRange,
  term: (x: number, y: number) => number,
): Bracket {
  const value = term(x.value, y.value);
  if (x.lower === x.upper && y.lower === y.upper) return { value, lower: value, upper: value };
  const { lower, upper } = boxBounds(x, y, term);
  return { value: Math.min(Math.max(value, lower), upper), lower, upper };
}
