import type { Samples } from '../drift/samples.js';
import {
  addMulticlassCbpeCount,
  calibrateClasses,
  emptyMulticlassCbpe,
  estimateBinaryFromCells,
  estimateMulticlassFromSums,
  type MulticlassCbpeSums,
} from '../stats/cbpe.js';
import { midpoint } from '../stats/interval.js';
import type { IsotonicCalibration } from '../stats/isotonic.js';
import type { SliceEstimate, SliceId } from './windowAggregates.js';

/**
 * CBPE per slice of a window from the score cells its summaries keep (cells of width 1/128
 * split at the threshold, so a month-long window costs what its cells cost, not its events):
 * exact expected confusion counts where no calibration knot falls inside a cell, a proven
 * bracket where one does (stats/cbpe.ts, estimateBinaryFromCells). Pure.
 */
export function estimateSlices(
  calibration: IsotonicCalibration,
  samples: Samples,
  threshold: number,
  bandWidth: number,
): SliceEstimate[] {
  return [...samples.slices.values()].map((slice) => ({
    key: slice.key,
    value: slice.value,
    ...estimateBinaryFromCells(calibration, slice.score, threshold, { bandWidth }),
  }));
}

/** One isotonic calibration per class, one vs rest, fitted on the labelled baseline. */
export interface ClassCalibrations {
  classes: readonly string[];
  calibrations: readonly IsotonicCalibration[];
}

/** Events of one slice sharing a predicted class and a class-score vector (in class order). */
export interface ClassScoreVector extends SliceId {
  predicted: string;
  scores: readonly number[];
  count: number;
}

/**
 * Multiclass CBPE per slice (NannyML's: each class's calibrated score divided by their sum,
 * then each class one vs rest with "predicted that class" as the predicted positive; the
 * math is src/stats/cbpe.ts's, the report's too) from the window's distinct (predicted
 * class, class scores) vectors: exact, so no bracket. A vector predicting a class the
 * baseline has no scores for cannot be estimated and is counted in `skipped`, beside the
 * store's own skipped events (`skipped`, per slice). Pure.
 */
export function estimateMulticlassSlices(
  calibrated: ClassCalibrations,
  vectors: readonly ClassScoreVector[],
  skipped: readonly (SliceId & { count: number })[],
  bandWidth: number,
): SliceEstimate[] {
  const slices = new Map<string, SliceId & { sums: MulticlassCbpeSums; skipped: number }>();
  const sliceOf = (id: SliceId) => {
    const name = `${id.key}\u0000${id.value}`;
    const found = slices.get(name);
    if (found) return found;
    const made = {
      key: id.key,
      value: id.value,
      sums: emptyMulticlassCbpe(calibrated.classes),
      skipped: 0,
    };
    slices.set(name, made);
    return made;
  };
  for (const vector of vectors) {
    const slice = sliceOf(vector);
    if (!calibrated.classes.includes(vector.predicted)) {
      slice.skipped += vector.count;
      continue;
    }
    const p = calibrateClasses(calibrated.calibrations, vector.scores);
    addMulticlassCbpeCount(slice.sums, vector.predicted, p, vector.scores, vector.count);
  }
  for (const row of skipped) sliceOf(row).skipped += row.count;
  return [...slices.values()].map(({ key, value, sums, skipped: left }) => {
    const e = estimateMulticlassFromSums(sums, { bandWidth });
    return {
      key,
      value,
      n: e.n,
      accuracy: e.accuracy,
      precision: e.precision_macro,
      recall: e.recall_macro,
      f1: e.f1_macro,
      roc_auc: e.roc_auc_ovr,
      multiclass: {
        classes: e.classes,
        per_class: e.per_class.map((c) => ({
          class: c.class,
          tp: midpoint(c.expected.tp),
          fp: midpoint(c.expected.fp),
          fn: midpoint(c.expected.fn),
          tn: midpoint(c.expected.tn),
        })),
        skipped: left,
      },
    };
  });
}
