import {
  atOrAbove,
  binCountRanges,
  distanceBrackets,
  exactBinCounts,
  type DistanceBrackets,
  type SortedCells,
  outsideRange,
  type CountRange,
} from './cells.js';
import {
  categoricalFeatureDrift,
  emptyQuality,
  numericFeatureDrift,
  worstFirst,
  type DataQualityCounts,
  type DriftCriteria,
  type FeatureDrift,
  type NumericComparison,
  type NumericFeatureDrift,
} from './featureDrift.js';
import type { ProfileFeatureStats, ProfileSlice, ReferenceProfile } from './profile.js';
import {
  ALL_SLICE_ID,
  emptyFeatureSample,
  finiteCount,
  presentValues,
  sortedNumbers,
  type FeatureSample,
  type Samples,
  type SliceSample,
} from './samples.js';

/**
 * A window's summaries against a reference profile: every feature's drift per slice, with
 * brackets where cells leave values inexact, and the data-quality counts per slice.
 */
export interface ComparedFeature {
  name: string;
  kind: 'numeric' | 'categorical';
  /** A declared valid range; otherwise the baseline's finite min and max. */
  range?: { min: number; max: number };
  /** The events' score as a numeric feature (a regression's prediction): read from the score cells. */
  fromScore?: boolean;
}

/**
 * A feature's sample in a slice. The score's cells are numeric cells like a feature's (count,
 * sum, min, max per bucket of width 1/128), so a prediction read from them gets the same
 * brackets; an event without a finite score counts as a null of it.
 */
function featureSampleOf(slice: SliceSample | undefined, feature: ComparedFeature): FeatureSample {
  if (!slice) return emptyFeatureSample();
  if (!feature.fromScore) return slice.features.get(feature.name) ?? emptyFeatureSample();
  return { ...emptyFeatureSample(), numbers: slice.score };
}

export interface SliceQualityCounts {
  key: string;
  value: string;
  rows: number;
  scored: number;
  predictedPositives: CountRange;
  wrongType: Record<string, number>;
  nonFinite: Record<string, number>;
  outOfRange: Record<string, CountRange>;
}

export interface WindowComparison {
  drift: FeatureDrift[];
  quality: SliceQualityCounts[];
  events: number;
  lastEvent: number | null;
}

export function compareWithProfile(
  input: {
    features: readonly ComparedFeature[];
    threshold: number | null;
    criteria: DriftCriteria;
    /** How a numeric feature's drift entry is made (a backtest records what it compared). */
    numericDrift?: (comparison: NumericComparison, criteria: DriftCriteria) => NumericFeatureDrift;
    /**
     * How a numeric (feature, slice) pair's KS and Wasserstein brackets are made: the exact
     * sweep (distanceBrackets) by default, a backtest's cheaper proven ones (replayDistances.ts).
     */
    distances?: (
      reference: SortedCells,
      current: SortedCells,
      feature: string,
    ) => DistanceBrackets | null;
  },
  profile: ReferenceProfile,
  reference: Samples,
  window: Samples,
): WindowComparison {
  const numericDrift = input.numericDrift ?? numericFeatureDrift;
  const distances = input.distances ?? distanceBrackets;
  const drift: FeatureDrift[] = [];
  const quality: SliceQualityCounts[] = [];
  const allRanges = rangesFrom(input.features, profile.slices.get(ALL_SLICE_ID));
  for (const [id, slice] of window.slices) {
    const label = slice.key === '' ? 'all' : `${slice.key}=${slice.value}`;
    const profileSlice = profile.slices.get(id);
    const referenceSlice = reference.slices.get(id);
    for (const feature of input.features) {
      const stats = profileSlice?.features.get(feature.name);
      const current = featureSampleOf(slice, feature);
      const referenceSample = featureSampleOf(referenceSlice, feature);
      const counts = {
        reference: referenceQuality(stats, feature.kind),
        current: currentQuality(slice, current, feature.kind),
      };
      if (feature.kind === 'numeric') {
        const brackets = distances(
          sortedNumbers(referenceSample),
          sortedNumbers(current),
          feature.name,
        );
        drift.push(
          numericDrift(
            {
              name: feature.name,
              slice: label,
              reference: {
                quality: counts.reference,
                quantiles: stats?.quantiles ?? [],
                stddevPop: stats?.stddevPop ?? Number.NaN,
                min: stats?.min ?? null,
                max: stats?.max ?? null,
              },
              current: { quality: counts.current },
              binCounts: {
                reference: exactBinCounts(stats?.binCounts ?? [0]),
                current: binCountRanges(stats?.edges ?? [], current.numbers),
              },
              ks: brackets?.ks ?? null,
              wasserstein: brackets?.wasserstein ?? null,
            },
            input.criteria,
          ),
        );
      } else {
        drift.push(
          categoricalFeatureDrift(
            {
              name: feature.name,
              slice: label,
              reference: referenceSample.strings,
              current: current.strings,
              quality: counts,
            },
            input.criteria,
          ),
        );
      }
    }
    quality.push(sliceQuality(slice, input, allRanges));
  }
  const all = window.slices.get(ALL_SLICE_ID);
  return {
    drift: drift.sort(worstFirst),
    quality,
    events: all?.events ?? 0,
    lastEvent: all?.lastEvent ?? null,
  };
}

function referenceQuality(
  stats: ProfileFeatureStats | undefined,
  kind: 'numeric' | 'categorical',
): DataQualityCounts {
  if (!stats) return emptyQuality();
  return {
    rows: stats.rows,
    nulls: stats.nulls,
    non_finite: kind === 'numeric' ? stats.nonFinite : 0,
    wrong_type: stats.wrongType,
  };
}

function currentQuality(
  slice: SliceSample,
  sample: FeatureSample,
  kind: 'numeric' | 'categorical',
): DataQualityCounts {
  const absent = Math.max(0, slice.events - presentValues(sample));
  const numbers = finiteCount(sample);
  const nonFinite = sample.posInf + sample.negInf + sample.nan;
  const strings = [...sample.strings.values()].reduce((s, c) => s + c, 0);
  return {
    rows: slice.events,
    nulls: sample.nulls + absent,
    non_finite: kind === 'numeric' ? nonFinite : 0,
    wrong_type: kind === 'numeric' ? strings : numbers + nonFinite,
  };
}

/** Valid ranges per numeric feature: declared, else the baseline's finite min and max. */
export function rangesFrom(
  features: readonly ComparedFeature[],
  all: ProfileSlice | undefined,
): Map<string, { min: number; max: number }> {
  const ranges = new Map<string, { min: number; max: number }>();
  for (const feature of features) {
    if (feature.kind !== 'numeric') continue;
    if (feature.range) {
      ranges.set(feature.name, feature.range);
      continue;
    }
    const stats = all?.features.get(feature.name);
    if (stats && stats.min !== null && stats.max !== null)
      ranges.set(feature.name, { min: stats.min, max: stats.max });
  }
  return ranges;
}

function sliceQuality(
  slice: SliceSample,
  input: { features: readonly ComparedFeature[]; threshold: number | null },
  ranges: Map<string, { min: number; max: number }>,
): SliceQualityCounts {
  const wrongType: Record<string, number> = {};
  const nonFinite: Record<string, number> = {};
  const outOfRange: Record<string, CountRange> = {};
  for (const feature of input.features) {
    const sample = featureSampleOf(slice, feature);
    const counts = currentQuality(slice, sample, feature.kind);
    wrongType[feature.name] = counts.wrong_type;
    nonFinite[feature.name] = counts.non_finite;
    const range = ranges.get(feature.name);
    outOfRange[feature.name] = range
      ? outsideRange(sample.numbers, range.min, range.max)
      : { lower: 0, upper: 0 };
  }
  return {
    key: slice.key,
    value: slice.value,
    rows: slice.events,
    scored: slice.score.reduce((s, c) => s + c.count, 0),
    predictedPositives:
      input.threshold === null ? { lower: 0, upper: 0 } : atOrAbove(slice.score, input.threshold),
    wrongType,
    nonFinite,
    outOfRange,
  };
}
