import type { Samples } from '../drift/samples.js';
import { estimateBinaryFromCells } from '../stats/cbpe.js';
import type { IsotonicCalibration } from '../stats/isotonic.js';
import type { SliceEstimate } from './windowAggregates.js';

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
