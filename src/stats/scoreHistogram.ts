import { mergeAllSorted, sortFloat64 } from './sortFloat64.js';

/**
 * A binary model's scores as a histogram of distinct scores, ascending, with their rows
 * labelled 1, labelled 0 and unlabelled: what every binary metric (AUROC, the confusion
 * counts, log loss, Brier, ECE) and CBPE read, in one linear sweep each.
 *
 * Built from the raw rows with one radix sort (sortFloat64) of each group's scores and a
 * merge, not from a GROUP BY score: a million distinct scores as a million row objects and a
 * Map entry each cost seconds of allocation and garbage collection; as typed arrays they cost
 * the sort (about 40 ms a million).
 */
export interface ScoreHistogram {
  /** Distinct finite scores, strictly ascending (−0 and +0 are one score). */
  score: Float64Array;
  positives: Float64Array;
  negatives: Float64Array;
  unlabelled: Float64Array;
}

/** A row's label: 1, 0, or no label yet. */
export const UNLABELLED = -1;

export interface ScoredRows {
  /** Each row's group, 0 ≤ group < groups (its slice). */
  group: Uint32Array;
  /** Each row's score: finite (the caller leaves out the rest). */
  score: Float64Array;
  /** Each row's label: 1, 0 or UNLABELLED. */
  label: Int8Array;
}

/**
 * The histogram of each group and of all rows together ("all"). One pass places each row's
 * score by group and label, one radix sort orders each of those arrays, and the histogram of
 * all rows merges the groups' sorted arrays (no second sort).
 */
export function scoreHistograms(
  rows: ScoredRows,
  groups: number,
): { groups: ScoreHistogram[]; all: ScoreHistogram } {
  const placed = placeByGroupAndLabel(rows, groups);
  const scratch = new Float64Array(Math.max(0, ...placed.flat().map((a) => a.length)));
  for (const arrays of placed) for (const values of arrays) sortFloat64(values, scratch);
  const perGroup = placed.map((arrays) => histogramOfSorted(...arrays));
  const merged = (k: number) => mergeAllSorted(placed.map((arrays) => arrays[k]!));
  return { groups: perGroup, all: histogramOfSorted(merged(0), merged(1), merged(2)) };
}

type LabelArrays = [positives: Float64Array, negatives: Float64Array, unlabelled: Float64Array];

/** Per group: its positives', negatives' and unlabelled rows' scores (unsorted). */
function placeByGroupAndLabel(rows: ScoredRows, groups: number): LabelArrays[] {
  const n = rows.score.length;
  const counts = new Uint32Array(groups * 3);
  for (let i = 0; i < n; i += 1) counts[rows.group[i]! * 3 + labelSlot(rows.label[i]!)]! += 1;
  const placed = Array.from({ length: groups }, (_, g): LabelArrays => [
    new Float64Array(counts[g * 3]!),
    new Float64Array(counts[g * 3 + 1]!),
    new Float64Array(counts[g * 3 + 2]!),
  ]);
  const filled = new Uint32Array(groups * 3);
  for (let i = 0; i < n; i += 1) {
    const slot = rows.group[i]! * 3 + labelSlot(rows.label[i]!);
    placed[rows.group[i]!]![slot % 3]![filled[slot]!] = rows.score[i]!;
    filled[slot]! += 1;
  }
  return placed;
}

function labelSlot(label: number): number {
  return label === 1 ? 0 : label === 0 ? 1 : 2;
}

/** The distinct scores of three ascending arrays with how many times each holds them. */
export function histogramOfSorted(
  positives: Float64Array,
  negatives: Float64Array,
  unlabelled: Float64Array,
): ScoreHistogram {
  const total = positives.length + negatives.length + unlabelled.length;
  const out = {
    score: new Float64Array(total),
    positives: new Float64Array(total),
    negatives: new Float64Array(total),
    unlabelled: new Float64Array(total),
  };
  let i = 0;
  let j = 0;
  let k = 0;
  let distinct = 0;
  while (i < positives.length || j < negatives.length || k < unlabelled.length) {
    const score = Math.min(
      i < positives.length ? positives[i]! : Infinity,
      j < negatives.length ? negatives[j]! : Infinity,
      k < unlabelled.length ? unlabelled[k]! : Infinity,
    );
    const i0 = i;
    const j0 = j;
    const k0 = k;
    while (i < positives.length && positives[i] === score) i += 1;
    while (j < negatives.length && negatives[j] === score) j += 1;
    while (k < unlabelled.length && unlabelled[k] === score) k += 1;
    out.score[distinct] = score;
    out.positives[distinct] = i - i0;
    out.negatives[distinct] = j - j0;
    out.unlabelled[distinct] = k - k0;
    distinct += 1;
  }
  return {
    score: out.score.subarray(0, distinct),
    positives: out.positives.subarray(0, distinct),
    negatives: out.negatives.subarray(0, distinct),
    unlabelled: out.unlabelled.subarray(0, distinct),
  };
}

/** The histogram's labelled rows (0: no label has arrived). */
export function labelledRows(histogram: ScoreHistogram): number {
  let n = 0;
  for (let r = 0; r < histogram.score.length; r += 1)
    n += histogram.positives[r]! + histogram.negatives[r]!;
  return n;
}
