/**
 * How events fall into slices: a slice key is one attribute or several crossed, and its
 * values are the baseline's most frequent ones kept as themselves, the rest folded into
 * "other" and an absent attribute reading "(missing)". The store's SQL and the folding of
 * summary cells (samples.ts) spell slices the same way from here.
 */

/** A slice key (its attributes; more than one is crossed) and the values kept as themselves. */
export interface ProfileSliceKey {
  attributes: readonly string[];
  kept: readonly string[];
}

export const MISSING_SLICE_VALUE = '(missing)';
export const OTHER_SLICE_VALUE = 'other';

export function sliceKeyName(attributes: readonly string[]): string {
  return attributes.join('×');
}
