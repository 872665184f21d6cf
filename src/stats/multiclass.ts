import { aurocFromScoreHistogram, type ScoreHistogramRow } from './auroc.js';
import { aurocBracketFromCells, labelledScoreCells } from './aurocCells.js';
import type { ValueCell } from './cellSums.js';
import { f1Of, ratioOrZero } from './classificationQuality.js';
import { bracketOf, type Bracket } from './interval.js';

/**
 * A multiclass classifier's quality once labels arrive (DESIGN.md, "Model tasks";
 * scikit-learn 1.2's names). Labels and predictions are class names; the classes are those
 * seen in labels, predictions or score columns, sorted, and every macro average runs over
 * all of them (sklearn with labels=classes), undefined terms 0 (zero_division=0).
 *
 * Accumulators (empty / update / merge):
 * - MulticlassConfusion: counts per (label, predicted class). Accuracy, per-class precision,
 *   recall, F1 and support, their macro and weighted averages and the confusion matrix are
 *   exact from it.
 * - MulticlassScores: per class, the positives (label = that class) and negatives at each
 *   distinct value of that class's score column: roc_auc_ovr exact. From score cells per
 *   (class column, label is / is not that class) it is bracketed (multiclassAurocFromCells).
 */
export interface MulticlassConfusion {
  /** label → predicted class → events. */
  counts: Map<string, Map<string, number>>;
}

export function emptyMulticlassConfusion(): MulticlassConfusion {
  return { counts: new Map() };
}

/** Adds `count` events (default one) labelled `label` and predicted `predicted`. */
export function updateMulticlassConfusion(
  confusion: MulticlassConfusion,
  label: string,
  predicted: string,
  count = 1,
): void {
  if (!(Number.isInteger(count) && count >= 0))
    throw new RangeError(`multiclass: count ${count} is not a whole number >= 0`);
  addCount(confusion, label, predicted, count);
}

export function mergeMulticlassConfusion(
  a: MulticlassConfusion,
  b: MulticlassConfusion,
): MulticlassConfusion {
  const merged = emptyMulticlassConfusion();
  for (const source of [a, b])
    for (const [label, row] of source.counts)
      for (const [predicted, count] of row) addCount(merged, label, predicted, count);
  return merged;
}

function addCount(c: MulticlassConfusion, label: string, predicted: string, count: number): void {
  const row = c.counts.get(label) ?? new Map<string, number>();
  row.set(predicted, (row.get(predicted) ?? 0) + count);
  c.counts.set(label, row);
}

export interface PerClassQuality {
  class: string;
  precision: number;
  recall: number;
  f1: number;
  /** Events whose label is this class. */
  support: number;
}

export interface MulticlassMetrics {
  classes: string[];
  accuracy: number;
  f1_macro: number;
  f1_weighted: number;
  precision_macro: number;
  recall_macro: number;
  per_class: PerClassQuality[];
  /** Rows are labels, columns predictions, both in the order of `classes`. */
  confusion_matrix: number[][];
}

/** Sorted classes of the labels, predictions and any extra (score column) classes. */
export function classesOf(confusion: MulticlassConfusion, extra: Iterable<string> = []): string[] {
  const classes = new Set<string>(extra);
  for (const [label, row] of confusion.counts) {
    classes.add(label);
    for (const predicted of row.keys()) classes.add(predicted);
  }
  return [...classes].sort();
}

export function multiclassMetrics(
  confusion: MulticlassConfusion,
  /** Classes only the score columns know (they count in the macro averages). */
  scoreClasses: Iterable<string> = [],
): MulticlassMetrics {
  const classes = classesOf(confusion, scoreClasses);
  const matrix = classes.map((label) =>
    classes.map((predicted) => confusion.counts.get(label)?.get(predicted) ?? 0),
  );
  let n = 0;
  let correct = 0;
  matrix.forEach((row, i) => {
    row.forEach((count) => (n += count));
    correct += row[i] ?? 0;
  });
  const perClass = classes.map((name, j): PerClassQuality => {
    const tp = matrix[j]?.[j] ?? 0;
    const support = (matrix[j] ?? []).reduce((total, count) => total + count, 0);
    const predicted = matrix.reduce((total, row) => total + (row[j] ?? 0), 0);
    const precision = ratioOrZero(tp, predicted);
    const recall = ratioOrZero(tp, support);
    return { class: name, precision, recall, f1: f1Of(precision, recall), support };
  });
  return {
    classes,
    accuracy: correct / n,
    f1_macro: mean(perClass.map((c) => c.f1)),
    f1_weighted: weightedMean(
      perClass.map((c) => c.f1),
      perClass.map((c) => c.support),
    ),
    precision_macro: mean(perClass.map((c) => c.precision)),
    recall_macro: mean(perClass.map((c) => c.recall)),
    per_class: perClass,
    confusion_matrix: matrix,
  };
}

// ---- one-vs-rest AUROC ------------------------------------------------------------------

export interface MulticlassScores {
  /** class column → its score → events labelled that class (positives) and others. */
  columns: Map<string, Map<number, { positives: number; negatives: number }>>;
}

export function emptyMulticlassScores(): MulticlassScores {
  return { columns: new Map() };
}

/** Adds one labelled event's class scores (one per class column). */
export function updateMulticlassScores(
  scores: MulticlassScores,
  label: string,
  classScores: ReadonlyMap<string, number>,
): void {
  for (const [name, score] of classScores) {
    if (!Number.isFinite(score))
      throw new RangeError(`multiclass scores: class ${name} has score ${score}`);
    addScore(scores, name, score, label === name ? 1 : 0, label === name ? 0 : 1);
  }
}

export function mergeMulticlassScores(a: MulticlassScores, b: MulticlassScores): MulticlassScores {
  const merged = emptyMulticlassScores();
  for (const source of [a, b])
    for (const [name, column] of source.columns)
      for (const [score, row] of column)
        addScore(merged, name, score, row.positives, row.negatives);
  return merged;
}

function addScore(
  scores: MulticlassScores,
  name: string,
  score: number,
  positives: number,
  negatives: number,
): void {
  const column =
    scores.columns.get(name) ?? new Map<number, { positives: number; negatives: number }>();
  const row = column.get(score) ?? { positives: 0, negatives: 0 };
  row.positives += positives;
  row.negatives += negatives;
  column.set(score, row);
  scores.columns.set(name, column);
}

export interface OvrAuroc {
  /** Unweighted mean over classes; NaN when a class's AUROC is (a class no label has). */
  roc_auc_ovr: number;
  per_class: { class: string; roc_auc: number }[];
}

/** Macro one-vs-rest AUROC over the given classes (each needs its score column). */
export function multiclassAuroc(scores: MulticlassScores, classes: readonly string[]): OvrAuroc {
  const perClass = classes.map((name) => {
    const column = scores.columns.get(name);
    const rows: ScoreHistogramRow[] = column
      ? [...column].map(([score, row]) => ({ score, ...row }))
      : [];
    return { class: name, roc_auc: aurocFromScoreHistogram(rows) };
  });
  return { roc_auc_ovr: mean(perClass.map((c) => c.roc_auc)), per_class: perClass };
}

/** Score cells of one class column, split by whether the label is that class. */
export interface ClassScoreCells {
  class: string;
  positives: readonly ValueCell[];
  negatives: readonly ValueCell[];
}

/**
 * roc_auc_ovr bracketed from score cells: each class's AUROC bracket (aurocCells), and the
 * mean of the lower bounds and of the upper bounds (a mean is increasing in every term).
 */
export function multiclassAurocFromCells(cells: readonly ClassScoreCells[]): {
  roc_auc_ovr: Bracket;
  per_class: { class: string; roc_auc: Bracket }[];
} {
  const perClass = cells.map((c) => ({
    class: c.class,
    roc_auc: aurocBracketFromCells(labelledScoreCells(c.positives, c.negatives)),
  }));
  return {
    roc_auc_ovr: bracketOf({
      lower: mean(perClass.map((c) => c.roc_auc.lower)),
      upper: mean(perClass.map((c) => c.roc_auc.upper)),
    }),
    per_class: perClass,
  };
}

function mean(values: readonly number[]): number {
  let total = 0;
  for (const value of values) total += value;
  return total / values.length;
}

/** numpy.average with weights: Σ v·w / Σ w. */
function weightedMean(values: readonly number[], weights: readonly number[]): number {
  let total = 0;
  let weight = 0;
  values.forEach((value, i) => {
    total += value * (weights[i] ?? 0);
    weight += weights[i] ?? 0;
  });
  return weight === 0 ? 0 : total / weight;
}
