/**
 * Test support for the model-task statistics (imported only by *.test.ts): the shape of the
 * scikit-learn oracle cases in test/fixtures/task-cases.json (written by
 * test/oracles/generate_task_cases.py), its parser, a seeded random source and the cell
 * builders the bracket properties use. null in the fixture marks a value sklearn refuses
 * (it raises): ours is NaN there. Pure: the test files read the fixture themselves.
 */
import type { ValueCell } from './cellSums.js';
import { expectClose } from './oracle.testing.js';

export interface CalibrationExpectation {
  n_bins: number;
  bin_edges: number[];
  bin_counts: number[];
  prob_true: number[];
  prob_pred: number[];
  ece: number;
}

export interface BinaryTaskCase {
  name: string;
  note: string;
  threshold: number;
  scores: number[];
  labels: number[];
  expected: {
    roc_auc: number | null;
    accuracy: number;
    precision: number;
    recall: number;
    f1: number;
    log_loss: number;
    brier_score: number;
    confusion: { tp: number; fp: number; fn: number; tn: number };
    calibration: CalibrationExpectation;
  };
}

export interface MulticlassTaskCase {
  name: string;
  note: string;
  labels: string[];
  predictions: string[];
  class_scores: Record<string, number[]> | null;
  expected: {
    classes: string[];
    accuracy: number;
    f1_macro: number;
    f1_weighted: number;
    precision_macro: number;
    recall_macro: number;
    precision_per_class: number[];
    recall_per_class: number[];
    f1_per_class: number[];
    support: number[];
    confusion_matrix: number[][];
    roc_auc_ovr?: number | null;
    roc_auc_per_class?: (number | null)[];
  };
}

export interface RegressionTaskCase {
  name: string;
  note: string;
  labels: number[];
  predictions: number[];
  expected: { mae: number; mse: number; rmse: number; mape: number; r2: number };
}

export interface IsotonicTaskCase {
  name: string;
  note: string;
  x: number[];
  y: number[];
  points: number[];
  expected: { x_thresholds: number[]; y_thresholds: number[]; predictions: number[] };
}

export interface ExpectedConfusionCase {
  tp: number;
  fp: number;
  fn: number;
  tn: number;
  accuracy: number;
  precision: number;
  recall: number;
  f1: number;
  roc_auc: number | null;
}

export interface CbpeBinaryCase {
  name: string;
  note: string;
  threshold: number;
  reference: { scores: number[]; labels: number[] };
  calibrator: { x_thresholds: number[]; y_thresholds: number[] };
  windows: {
    scores: number[];
    expected: ExpectedConfusionCase & { calibrated: number[]; roc_auc_nannyml?: number };
  }[];
}

export interface CbpeMulticlassCase {
  name: string;
  note: string;
  classes: string[];
  reference: { labels: string[]; class_scores: Record<string, number[]> };
  calibrators: Record<string, { x_thresholds: number[]; y_thresholds: number[] }>;
  windows: {
    predictions: string[];
    class_scores: Record<string, number[]>;
    expected: {
      calibrated: Record<string, number[]>;
      per_class: ExpectedConfusionCase[];
      accuracy: number;
      precision_macro: number;
      recall_macro: number;
      f1_macro: number;
      roc_auc_ovr: number | null;
    };
  }[];
}

export interface TaskCases {
  generator: string;
  seed: number;
  binary: BinaryTaskCase[];
  multiclass: MulticlassTaskCase[];
  regression: RegressionTaskCase[];
  isotonic: IsotonicTaskCase[];
  cbpe_binary: CbpeBinaryCase[];
  cbpe_multiclass: CbpeMulticlassCase[];
}

export function parseTaskCases(json: string): TaskCases {
  const parsed = JSON.parse(json) as Partial<TaskCases>;
  for (const key of [
    'binary',
    'multiclass',
    'regression',
    'isotonic',
    'cbpe_binary',
    'cbpe_multiclass',
  ] as const)
    if (!Array.isArray(parsed[key]) || parsed[key].length === 0)
      throw new Error(`task oracle fixture without ${key}[]`);
  return parsed as TaskCases;
}

/** expectClose, with null (sklearn raises) meaning ours must be NaN. */
export function expectCloseOrUndefined(
  actual: number,
  expected: number | null | undefined,
  label: string,
  relative = 1e-9,
): void {
  if (expected === null || expected === undefined) {
    if (!Number.isNaN(actual)) throw new Error(`${label}: expected undefined (NaN), got ${actual}`);
    return;
  }
  expectClose(actual, expected, label, relative);
}

/** Throws unless lower ≤ value ≤ upper, allowing the float64 rounding of the sums (1e-12). */
export function expectWithin(
  value: number,
  interval: { lower: number; upper: number },
  label: string,
): void {
  const slack = 1e-12 * Math.max(1, Math.abs(value));
  if (!(interval.lower - slack <= value && value <= interval.upper + slack))
    throw new Error(`${label}: ${value} outside [${interval.lower}, ${interval.upper}]`);
}

/** A seeded uniform source on [0, 1) (mulberry32): reproducible simulations. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Cells of the values grouped by a key (a bucketing), each with its count, sum, min, max. */
export function cellsByKey(values: readonly number[], key: (value: number) => number): ValueCell[] {
  const groups = new Map<number, ValueCell>();
  for (const value of values) {
    const k = key(value);
    const cell = groups.get(k);
    if (cell === undefined) groups.set(k, { count: 1, sum: value, min: value, max: value });
    else {
      cell.count += 1;
      cell.sum += value;
      cell.min = Math.min(cell.min, value);
      cell.max = Math.max(cell.max, value);
    }
  }
  return [...groups.values()];
}

/** The summaries' score cells: width 1/128 on [0, 1), split at the threshold (migration 0006). */
export function summaryScoreKey(threshold: number): (score: number) => number {
  return (score) =>
    Math.floor(Math.min(Math.max(score, -1e9), 1e9) * 128) * 2 + (score >= threshold ? 1 : 0);
}
