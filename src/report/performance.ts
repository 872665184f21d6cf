import { InputError } from '../errors.js';
import {
  binaryQualityOfSortedCounts,
  type BinaryQualityOptions,
} from '../stats/classificationQuality.js';
import {
  estimateBinaryOfScoreCounts,
  estimateMulticlassFromSums,
  emptyMulticlassCbpe,
  calibrateClasses,
  addMulticlassCbpeCount,
  type Estimate,
} from '../stats/cbpe.js';
import {
  fitIsotonicFromHistogram,
  fitIsotonicOfSortedCounts,
  type IsotonicCalibration,
} from '../stats/isotonic.js';
import {
  emptyMulticlassConfusion,
  multiclassAuroc,
  multiclassMetrics,
  updateMulticlassConfusion,
  type MulticlassScores,
} from '../stats/multiclass.js';
import { regressionMetrics, type RegressionSums } from '../stats/regression.js';
import { labelledRows, type ScoreHistogram } from '../stats/scoreHistogram.js';

/**
 * The report's `performance` section: a model's quality on each side (baseline, current) and
 * slice, with scikit-learn's names, from the exact aggregates the store hands over
 * (src/store/performanceQueries.ts), and for a current file without labels the CBPE estimate
 * (docs/TASKS.md) with its band. Pure: the rows come in as arguments; every metric is
 * computed by src/stats, this module only fills the accumulators and names the results.
 */
export type ModelTask = 'binary' | 'multiclass' | 'regression';

export type Side = 'baseline' | 'current';

/** A number, or null where scikit-learn refuses it (JSON has no NaN). */
export type MetricValue = number | null;

export interface EstimatedMetric {
  value: MetricValue;
  /** The sampling error's standard deviation given the window's scores. */
  sigma: MetricValue;
  /** value ± 3σ clipped to [0, 1]: where the realized value should lie. */
  band: [MetricValue, MetricValue];
}

export interface ReliabilityPoint {
  /** Fraction of positives among the bin's rows (calibration_curve's prob_true). */
  prob_true: number;
  /** Mean score of the bin's rows (prob_pred). */
  prob_pred: number;
  count: number;
}

export interface PerClassPerformance {
  class: string;
  precision: number;
  recall: number;
  f1: number;
  support: number;
  /** One-vs-rest AUROC of the class's score column, with --class-scores. */
  roc_auc?: MetricValue;
}

export interface PerformanceEntry {
  side: Side;
  slice: string;
  task: ModelTask;
  /** Rows measured: labelled rows for `metrics`, scored rows for `estimated`. */
  n: number;
  /** Realized metrics, from the labels. */
  metrics?: Record<string, MetricValue>;
  /** CBPE's estimate, for a current file without labels. */
  estimated?: Record<string, EstimatedMetric>;
  /** binary: the confusion counts at the threshold. */
  confusion?: { tp: number; fp: number; fn: number; tn: number };
  /** binary: the reliability curve over `bins` equal-width bins (ece is in metrics). */
  calibration?: { bins: number; reliability: ReliabilityPoint[] };
  /** multiclass: the classes in order, per class quality, rows labels × columns predictions. */
  classes?: string[];
  per_class?: PerClassPerformance[];
  confusion_matrix?: number[][];
}

// ---- what the flags ask for -------------------------------------------------------------

/** The model columns a report measures, checked against each other (not yet the files). */
export interface PerformanceRequest {
  task: ModelTask;
  label: string;
  /** binary: the score column (0..1); predicted 1 at or above the threshold. */
  score?: string;
  /** multiclass and regression: the prediction column. */
  prediction?: string;
  /** multiclass: the prefix naming one score column per class (p_ → p_cat, p_dog). */
  classScores?: string;
  threshold: number;
  calibrationBins: number;
}

export interface TaskFlags {
  task?: string;
  score?: string;
  prediction?: string;
  label?: string;
  classScores?: string;
  threshold: number;
  calibrationBins: number;
}

export const MODEL_TASKS: readonly ModelTask[] = ['binary', 'multiclass', 'regression'];

/** The model flags each task takes (--label is every task's). */
const TASK_FLAGS: Record<ModelTask, readonly string[]> = {
  binary: ['--score'],
  multiclass: ['--prediction', '--class-scores'],
  regression: ['--prediction'],
};

const TASK_COLUMNS: Record<ModelTask, string> = {
  binary:
    'a binary model is measured by its --score column (0..1), --threshold and its 0/1 --label column',
  multiclass:
    'a multiclass model is measured by its --prediction column (the predicted class), its --label column and, for AUROC and CBPE, --class-scores PREFIX',
  regression:
    'a regression is measured by its --prediction column and its --label column (numbers)',
};

/**
 * The performance request the flags make, or undefined when they name no model (a drift-only
 * report). A flag that does not fit the task is an error naming it, never ignored.
 */
export function performanceRequest(flags: TaskFlags): PerformanceRequest | undefined {
  const task = (flags.task ?? 'binary') as ModelTask;
  if (!MODEL_TASKS.includes(task))
    throw new InputError(
      { file: '--task' },
      `expected one of ${MODEL_TASKS.join(', ')}, got "${flags.task}"`,
    );
  const given = {
    '--score': flags.score,
    '--prediction': flags.prediction,
    '--class-scores': flags.classScores,
  };
  for (const [flag, value] of Object.entries(given))
    if (value !== undefined && !TASK_FLAGS[task].includes(flag))
      throw new InputError(
        { file: flag },
        `not for --task ${task}${flags.task === undefined ? ' (the default)' : ''}: ${TASK_COLUMNS[task]}`,
      );
  if (task === 'binary') {
    if (flags.task === undefined && flags.score === undefined && flags.label === undefined)
      return undefined;
    if (flags.score === undefined || flags.label === undefined)
      throw new InputError(
        { file: flags.score === undefined ? '--score' : '--label' },
        `--score and --label go together: ${TASK_COLUMNS.binary}`,
      );
  } else {
    for (const [flag, value] of [
      ['--prediction', flags.prediction],
      ['--label', flags.label],
    ] as const)
      if (value === undefined)
        throw new InputError({ file: flag }, `--task ${task} needs it: ${TASK_COLUMNS[task]}`);
  }
  if (flags.label === undefined) throw new InputError({ file: '--label' }, TASK_COLUMNS[task]);
  if (!(Number.isInteger(flags.calibrationBins) && flags.calibrationBins >= 1))
    throw new InputError(
      { file: '--calibration-bins' },
      `expected a positive integer, got ${flags.calibrationBins}`,
    );
  return {
    task,
    label: flags.label,
    ...(flags.score !== undefined ? { score: flags.score } : {}),
    ...(flags.prediction !== undefined ? { prediction: flags.prediction } : {}),
    ...(flags.classScores !== undefined ? { classScores: flags.classScores } : {}),
    threshold: flags.threshold,
    calibrationBins: flags.calibrationBins,
  };
}

// ---- the rows the store hands over ------------------------------------------------------

export interface RegressionSumsRow extends RegressionSums {
  slice: string;
}

export interface ConfusionRow {
  slice: string;
  label: string;
  predicted: string;
  count: number;
}

/** One class's score column: rows labelled that class (positives) and others, per score. */
export interface ClassScoreRow {
  slice: string;
  score: number;
  positives: number;
  negatives: number;
}

export interface ClassScoresRow {
  slice: string;
  predicted: string;
  /** One score per class, in class order. */
  scores: number[];
  count: number;
}

// ---- binary -----------------------------------------------------------------------------

/** A side's score histogram per raw slice value, all rows' under ALL_SLICES. */
export type SliceHistograms = ReadonlyMap<string, ScoreHistogram>;

/** Realized binary metrics per slice that has labelled rows. */
export function binaryEntries(
  side: Side,
  histograms: SliceHistograms,
  options: BinaryQualityOptions,
): PerformanceEntry[] {
  return [...histograms].flatMap(([slice, histogram]) => {
    const n = labelledRows(histogram);
    if (n === 0) return [];
    // one sweep of the distinct scores in ascending order: the store's counts, not events
    const m = binaryQualityOfSortedCounts(histogram, options);
    return [
      {
        side,
        slice,
        task: 'binary' as const,
        n,
        metrics: numbers({
          roc_auc: m.roc_auc,
          accuracy: m.accuracy,
          precision: m.precision,
          recall: m.recall,
          f1: m.f1,
          log_loss: m.log_loss,
          brier_score: m.brier_score,
          ece: m.ece,
        }),
        confusion: m.confusion,
        calibration: {
          bins: m.calibration_bins,
          reliability: m.reliability.map((point) => ({
            prob_true: point.prob_true,
            prob_pred: point.prob_pred,
            count: point.count,
          })),
        },
      },
    ];
  });
}

/** True when some row of the side carries a label. */
export function hasLabels(rows: readonly { positives: number; negatives: number }[]): boolean {
  return rows.some((row) => row.positives + row.negatives > 0);
}

/** True when some slice of the side has a labelled row. */
export function hasLabelledRows(histograms: SliceHistograms): boolean {
  return [...histograms.values()].some((histogram) => labelledRows(histogram) > 0);
}

/**
 * The isotonic calibration CBPE needs, fitted on the labelled baseline's rows of one slice
 * (the whole population: NannyML fits one calibrator on the reference).
 */
export function binaryCalibration(histogram: ScoreHistogram): IsotonicCalibration {
  return fitIsotonicOfSortedCounts(histogram);
}

/** CBPE per slice of a current file without labels: every scored row counts. */
export function estimatedBinaryEntries(
  calibration: IsotonicCalibration,
  histograms: SliceHistograms,
  threshold: number,
): PerformanceEntry[] {
  return [...histograms].map(([slice, histogram]) => {
    const count = new Float64Array(histogram.score.length);
    for (let r = 0; r < count.length; r += 1)
      count[r] =
        (histogram.positives[r] ?? 0) +
        (histogram.negatives[r] ?? 0) +
        (histogram.unlabelled[r] ?? 0);
    const e = estimateBinaryOfScoreCounts(
      calibration,
      { score: histogram.score, count },
      threshold,
    );
    return {
      side: 'current' as const,
      slice,
      task: 'binary' as const,
      n: e.n,
      estimated: {
        accuracy: estimated(e.accuracy),
        precision: estimated(e.precision),
        recall: estimated(e.recall),
        f1: estimated(e.f1),
        roc_auc: estimated(e.roc_auc),
      },
    };
  });
}

// ---- regression -------------------------------------------------------------------------

export function regressionEntries(
  side: Side,
  rows: readonly RegressionSumsRow[],
): PerformanceEntry[] {
  return rows
    .filter((row) => row.count > 0)
    .map((row) => ({
      side,
      slice: row.slice,
      task: 'regression' as const,
      n: row.count,
      metrics: numbers({ ...regressionMetrics(row) }),
    }));
}

// ---- multiclass -------------------------------------------------------------------------

export interface MulticlassSideRows {
  confusion: readonly ConfusionRow[];
  /** Per class of --class-scores (in class order), its score column's rows. */
  classScores?: readonly { className: string; rows: readonly ClassScoreRow[] }[];
}

/** Realized multiclass metrics per slice that has labelled, predicted rows. */
export function multiclassEntries(side: Side, rows: MulticlassSideRows): PerformanceEntry[] {
  const scoreClasses = rows.classScores?.map((c) => c.className) ?? [];
  return [...bySlice(rows.confusion)].map(([slice, sliceRows]) => {
    const confusion = emptyMulticlassConfusion();
    for (const row of sliceRows)
      updateMulticlassConfusion(confusion, row.label, row.predicted, row.count);
    const m = multiclassMetrics(confusion, scoreClasses);
    let auroc: ReturnType<typeof multiclassAuroc> | undefined;
    if (rows.classScores) {
      // the accumulator's shape, filled with the store's counts per distinct score
      const scores: MulticlassScores = { columns: new Map() };
      for (const column of rows.classScores)
        scores.columns.set(
          column.className,
          new Map(
            column.rows
              .filter((row) => row.slice === slice)
              .map((row) => [row.score, { positives: row.positives, negatives: row.negatives }]),
          ),
        );
      auroc = multiclassAuroc(scores, m.classes);
    }
    const rocOf = (name: string) => auroc?.per_class.find((c) => c.class === name)?.roc_auc;
    return {
      side,
      slice,
      task: 'multiclass' as const,
      n: m.confusion_matrix.reduce((total, row) => total + row.reduce((a, b) => a + b, 0), 0),
      metrics: numbers({
        accuracy: m.accuracy,
        f1_macro: m.f1_macro,
        f1_weighted: m.f1_weighted,
        precision_macro: m.precision_macro,
        recall_macro: m.recall_macro,
        ...(auroc ? { roc_auc_ovr: auroc.roc_auc_ovr } : {}),
      }),
      classes: m.classes,
      per_class: m.per_class.map((c) => ({
        ...c,
        ...(auroc ? { roc_auc: finiteOrNull(rocOf(c.class) ?? NaN) } : {}),
      })),
      confusion_matrix: m.confusion_matrix,
    };
  });
}

/**
 * One isotonic calibration per class (label = that class against that class's score),
 * fitted on the labelled baseline's whole population.
 */
export function multiclassCalibrations(
  classScores: readonly { className: string; rows: readonly ClassScoreRow[] }[],
): IsotonicCalibration[] {
  return classScores.map((column) =>
    fitIsotonicFromHistogram(
      column.rows.map((row) => ({
        score: row.score,
        positives: row.positives,
        negatives: row.negatives,
      })),
    ),
  );
}

/** CBPE per slice of a multiclass current file without labels. */
export function estimatedMulticlassEntries(
  calibrations: readonly IsotonicCalibration[],
  classes: readonly string[],
  rows: readonly ClassScoresRow[],
): PerformanceEntry[] {
  return [...bySlice(rows)].map(([slice, sliceRows]) => {
    const sums = emptyMulticlassCbpe(classes);
    for (const row of sliceRows) {
      const calibrated = calibrateClasses(calibrations, row.scores);
      addMulticlassCbpeCount(sums, row.predicted, calibrated, row.scores, row.count);
    }
    const e = estimateMulticlassFromSums(sums);
    return {
      side: 'current' as const,
      slice,
      task: 'multiclass' as const,
      n: e.n,
      estimated: {
        accuracy: estimated(e.accuracy),
        precision_macro: estimated(e.precision_macro),
        recall_macro: estimated(e.recall_macro),
        f1_macro: estimated(e.f1_macro),
        roc_auc_ovr: estimated(e.roc_auc_ovr),
      },
      classes: [...classes],
    };
  });
}

// ---- shared -----------------------------------------------------------------------------

/** What CBPE assumes, said wherever an estimate is shown (docs/TASKS.md). */
export const CBPE_ASSUMPTIONS =
  "estimated by CBPE from the scores, calibrated on the labelled baseline: it assumes P(label | score) has not changed since the baseline (no concept drift) and that labels are independent given the scores; the band is ±3 standard errors of the labels' randomness, not of the calibration";

/** The metric names the entries carry, realized or estimated, in their first-seen order. */
export function metricNames(entries: readonly PerformanceEntry[]): string[] {
  const names = new Set<string>();
  for (const entry of entries)
    for (const name of Object.keys(entry.metrics ?? entry.estimated ?? {})) names.add(name);
  return [...names];
}

/**
 * Baseline before current, all rows first in each (keyed `allRows`, a key no slice value
 * takes: a slice may be named "all"), then slices in locale order.
 */
export function sortEntries(
  entries: readonly PerformanceEntry[],
  allRows: string,
): PerformanceEntry[] {
  const sideOrder = (side: Side) => (side === 'baseline' ? 0 : 1);
  return [...entries].sort(
    (a, b) => sideOrder(a.side) - sideOrder(b.side) || compareSliceKeys(a.slice, b.slice, allRows),
  );
}

/** All rows (keyed `allRows`) before any slice, slices in locale order. */
export function compareSliceKeys(a: string, b: string, allRows: string): number {
  if (a === b) return 0;
  return a === allRows ? -1 : b === allRows ? 1 : a.localeCompare(b);
}

function bySlice<T extends { slice: string }>(rows: readonly T[]): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const row of rows) {
    const group = groups.get(row.slice) ?? [];
    group.push(row);
    groups.set(row.slice, group);
  }
  return groups;
}

function finiteOrNull(value: number): MetricValue {
  return Number.isFinite(value) ? value : null;
}

function numbers(values: Record<string, number>): Record<string, MetricValue> {
  return Object.fromEntries(Object.entries(values).map(([key, v]) => [key, finiteOrNull(v)]));
}

function estimated(estimate: Estimate): EstimatedMetric {
  return {
    value: finiteOrNull(estimate.value),
    sigma: finiteOrNull(estimate.sigma),
    band: [finiteOrNull(estimate.band.lower), finiteOrNull(estimate.band.upper)],
  };
}
