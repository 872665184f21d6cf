import { kolmogorovSf, kolmogorovSfLowerBound } from '../stats/kolmogorov.js';
import { bracketOf, exactBracket, ksEffectiveSize, type Bracket } from './cells.js';

/**
 * KS p-value brackets for a backtest's many windows, at a fraction of ksPValueBracket's cost.
 *
 * ksPValueBracket evaluates the Kolmogorov distribution (Durbin's matrix, the Pomeranz
 * recursion, long Smirnov sums) at both ends of every D bracket: about half of a replayed
 * window's CPU. Here the distribution is evaluated only at fixed knots, x_k = k·step/√n for
 * the effective size n, and each value is kept: windows of a backtest have nearly the same
 * sizes and their D values sit in the same few knots, so after the first windows nearly
 * every bracket is two cache look-ups. The survival function decreases in x, so with the
 * knot at or below D's lower end and the one at or above its upper end,
 * [sf_lower(knot ≥ D_upper), sf(knot ≤ D_lower)] contains the bracket ksPValueBracket would
 * give, and so the exact p-value: proven, only wider. A relative slack of SLACK on each end
 * covers the computed function's rounding and its small steps where scipy's algorithm
 * changes, so a status this bracket decides is the one the narrower bracket decides.
 *
 * A verdict these brackets leave undecided (or that fires, so its values are listed) is
 * recomputed through ksPValueBracket by the caller (evaluateWindow's `ksKnots`).
 */
export interface KsKnots {
  bracket(d: Bracket, n: number, m: number): Bracket;
  /** Distribution evaluations spent so far (each knot once per effective size and end). */
  readonly evaluations: number;
}

/** Knots per unit of √n·x: a p-value bracket is at most one knot wider on each side. */
export const DEFAULT_KNOTS_PER_UNIT = 32;

const SLACK = 1e-9;

export function createKsKnots(knotsPerUnit = DEFAULT_KNOTS_PER_UNIT): KsKnots {
  const upper = new Map<number, Map<number, number>>();
  const lower = new Map<number, Map<number, number>>();
  let evaluations = 0;
  const valueAt = (
    cache: Map<number, Map<number, number>>,
    sf: (n: number, x: number) => number,
    n: number,
    k: number,
    x: number,
  ): number => {
    let byKnot = cache.get(n);
    if (!byKnot) cache.set(n, (byKnot = new Map()));
    let value = byKnot.get(k);
    if (value === undefined) {
      value = sf(n, x);
      evaluations += 1;
      byKnot.set(k, value);
    }
    return value;
  };
  return {
    get evaluations() {
      return evaluations;
    },
    bracket(d, n, m) {
      const effective = ksEffectiveSize(n, m);
      if (effective === 0) return exactBracket(NaN);
      const scale = Math.sqrt(effective) * knotsPerUnit;
      const knot = (k: number) => k / scale;
      // the knot at or below D's lower end, the one at or above its upper end (exactly so,
      // whatever the rounding of k / scale)
      let below = Math.floor(d.lower * scale);
      while (below > 0 && knot(below) > d.lower) below -= 1;
      let above = Math.ceil(d.upper * scale);
      while (knot(above) < d.upper) above += 1;
      const pUpper = valueAt(upper, kolmogorovSf, effective, below, Math.max(0, knot(below)));
      const pLower = valueAt(lower, kolmogorovSfLowerBound, effective, above, knot(above));
      return bracketOf(Math.max(0, pLower * (1 - SLACK)), Math.min(1, pUpper * (1 + SLACK)));
    },
  };
}
