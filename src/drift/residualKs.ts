import { sortFloat64 } from '../stats/sortFloat64.js';
import { sortedDistances } from '../stats/sortedSample.js';

/**
 * A regression's residuals (label − prediction) of the label window against the baseline's:
 * KS's D over every residual of both (exact), and how many residuals each side has.
 */
export interface ResidualDrift {
  slice: string;
  statistic: number;
  nReference: number;
  nCurrent: number;
}

/** One slice's residuals, in no order (src/store/regressionQueries.ts reads them). */
export interface SliceResiduals {
  slice: string;
  residuals: Float64Array;
}

/**
 * A baseline's residuals sorted once per slice: a stored baseline version never changes, so
 * a monitor keeps them sorted and each label window only sorts its own. Sorted in place:
 * queryResiduals made each array for this alone.
 */
export function sortResiduals(slices: readonly SliceResiduals[]): SliceResiduals[] {
  return slices.map(({ slice, residuals }) => ({
    slice,
    residuals: sortFloat64(residuals),
  }));
}

/**
 * KS's D between the sorted baseline residuals and a label window's, per slice id of
 * either side: exact (|i·m − j·n| / (n·m) at the largest gap of the two ECDFs, ties moving
 * both at once, −0 equal to 0), NaN where a side has none. The window's residuals are sorted
 * in place.
 */
export function residualKs(
  sortedReference: readonly SliceResiduals[],
  current: readonly SliceResiduals[],
): ResidualDrift[] {
  const referenceOf = new Map(sortedReference.map((side) => [side.slice, side.residuals]));
  const currentOf = new Map(current.map((side) => [side.slice, side.residuals]));
  const slices = [...new Set([...referenceOf.keys(), ...currentOf.keys()])];
  return slices.map((slice) => {
    const reference = referenceOf.get(slice) ?? new Float64Array(0);
    const window = sortFloat64(currentOf.get(slice) ?? new Float64Array(0));
    const both = reference.length > 0 && window.length > 0;
    return {
      slice,
      statistic: both ? sortedDistances(reference, window).ks : NaN,
      nReference: reference.length,
      nCurrent: window.length,
    };
  });
}
