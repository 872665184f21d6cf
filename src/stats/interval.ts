/**
 * Intervals that contain an exact value. A statistic computed from summaries is either exact
 * (lower = upper) or carries the interval proven to contain the value the raw events would
 * give. The shapes match src/drift/cells.ts' Bracket, so the wiring can pass them through.
 *
 * The bounds are proven in exact arithmetic; computed in float64 they can miss the exact
 * value's float64 rendering by rounding (a few ulps of the sums involved), which the tests
 * allow for with a relative 1e-12.
 */
export interface Interval {
  lower: number;
  upper: number;
}

/** An interval with the value reported for it: the exact value, or the interval's midpoint. */
export interface Bracket extends Interval {
  value: number;
}

export function exact(value: number): Interval {
  return { lower: value, upper: value };
}

export function bracketOf(interval: Interval): Bracket {
  const { lower, upper } = interval;
  if (lower === upper || Number.isNaN(lower) || Number.isNaN(upper))
    return { value: lower === upper ? lower : NaN, lower, upper };
  const value = Math.min(Math.max(lower / 2 + upper / 2, lower), upper);
  return { value, lower, upper };
}

export function add(a: Interval, b: Interval): Interval {
  return { lower: a.lower + b.lower, upper: a.upper + b.upper };
}

export function midpoint(interval: Interval): number {
  return interval.lower === interval.upper
    ? interval.lower
    : interval.lower / 2 + interval.upper / 2;
}

/** The least and greatest of x(m − x) for x in [lower, upper] (concave: ends and centre). */
export function productWithComplementRange(interval: Interval, m: number): Interval {
  const atLower = interval.lower * (m - interval.lower);
  const atUpper = interval.upper * (m - interval.upper);
  const centre = m / 2;
  const highest =
    interval.lower <= centre && centre <= interval.upper
      ? centre * centre
      : Math.max(atLower, atUpper);
  return { lower: Math.min(atLower, atUpper), upper: highest };
}

export function clampInterval(interval: Interval, low: number, high: number): Interval {
  return {
    lower: Math.min(Math.max(interval.lower, low), high),
    upper: Math.min(Math.max(interval.upper, low), high),
  };
}
