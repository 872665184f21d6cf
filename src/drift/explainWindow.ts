import {
  attributeToSlices,
  ksWeights,
  psiWeights,
  rankFeatures,
  rateWeights,
  type FeatureRank,
  type KeyAttribution,
  type LinearStatistic,
  type SliceParts,
} from './attribution.js';
import { binContributions, type BinContribution } from './binContributions.js';
import {
  atOrAbove,
  binCountRanges,
  exactBinCounts,
  type BinCounts,
  type Bracket,
  type Cell,
  type CountRange,
} from './cells.js';
import type { DriftCriteria } from './featureDrift.js';
import { countAtOrBelow, ksLocation, type KsLocation } from './ksLocation.js';
import type { ProfileSlice, ReferenceProfile } from './profile.js';
import {
  ALL_SLICE_ID,
  emptyFeatureSample,
  finiteCount,
  presentValues,
  sliceId,
  type FeatureSample,
  type Samples,
  type SliceSample,
} from './samples.js';
import { sliceKeyName } from './slices.js';
import { compareWithProfile, type ComparedFeature } from './windowDrift.js';

/**
 * Why a check said what it said about one window, from the same summaries (cells) and
 * reference profile the check was judged on. Pure: the monitors read the samples
 * (monitors/explainResult.ts); every number here is computed from them, bracketed where
 * the cells leave it inexact.
 * - the feature's distribution in the check's slice, baseline beside window: each bin's
 *   counts and its part of PSI and Jensen-Shannon (binContributions.ts), new and vanished
 *   categories, and where the two CDFs differ most (ksLocation.ts);
 * - drift attribution: the whole window's statistic split into the slices of each slice key
 *   (attribution.ts), so a model-level shift names the slice that explains it;
 * - the features of the check's slice ranked by their PSI in the window.
 */
export interface ExplainedCheck {
  metric: string;
  /** Empty for checks of the whole window (positive_rate, volume, schema...). */
  feature: string;
  slice: { key: string; value: string };
}

export interface ExplanationContext {
  features: readonly ComparedFeature[];
  threshold: number | null;
  criteria: DriftCriteria;
}

export interface FeatureDistribution {
  kind: 'numeric' | 'categorical';
  /** Numeric: the inner edges, bin i holding [edges[i − 1], edges[i]) with open outer bins. */
  edges: number[] | null;
  /** Categorical: bin i is categories[i]. */
  categories: string[] | null;
  bins: BinContribution[];
  /** The sums of the bins' terms: PSI, and Jensen-Shannon's distance (the root of its sum). */
  psi: Bracket;
  jensenShannon: Bracket;
  /** Categories in the window that the baseline never had, and the reverse, largest first. */
  newCategories: { category: string; count: number }[];
  vanishedCategories: { category: string; count: number }[];
  /** Numeric features: where the CDFs differ most (KS's D). */
  ks: KsLocation | null;
  sizes: { reference: number; current: number };
}

export type AttributedStatistic = 'psi' | 'ks' | 'null_rate' | 'positive_rate';

export interface SliceAttribution {
  /** What is split into slices: PSI of the feature, KS's D at its location, or a rate's shift. */
  statistic: AttributedStatistic;
  /** The whole window's ("all") value of it. */
  value: number;
  keys: KeyAttribution[];
}

export interface WindowExplanation {
  distribution: FeatureDistribution | null;
  attribution: SliceAttribution | null;
  features: FeatureRank[];
  /** What could not be explained and why, in plain words. */
  notes: string[];
}

const DISTRIBUTION_METRICS = new Set([
  'psi',
  'jensen_shannon',
  'wasserstein_normed',
  'ks',
  'chi2',
  'new_categories',
]);

export function explainWindow(
  check: ExplainedCheck,
  context: ExplanationContext,
  profile: ReferenceProfile,
  reference: Samples,
  window: Samples,
): WindowExplanation {
  const notes: string[] = [];
  const id = check.slice.key === '' ? ALL_SLICE_ID : sliceId(check.slice.key, check.slice.value);
  const label = check.slice.key === '' ? 'all' : `${check.slice.key}=${check.slice.value}`;
  const feature = context.features.find((candidate) => candidate.name === check.feature);
  const comparison = compareWithProfile(context, profile, reference, window);
  let distribution: FeatureDistribution | null = null;
  if (feature) {
    distribution = distributionOf(
      feature,
      profile.slices.get(id),
      featureOf(reference.slices.get(id), feature.name),
      featureOf(window.slices.get(id), feature.name),
    );
    if (!distribution) notes.push(`no values of ${feature.name} in slice ${label} to compare`);
  }
  const attribution = attributionOf(check, context, feature, profile, reference, window, notes);
  return {
    distribution,
    attribution,
    features: rankFeatures(comparison.drift, label),
    notes,
  };
}

function featureOf(slice: SliceSample | undefined, name: string): FeatureSample {
  return slice?.features.get(name) ?? emptyFeatureSample();
}

function distributionOf(
  feature: ComparedFeature,
  profileSlice: ProfileSlice | undefined,
  reference: FeatureSample,
  current: FeatureSample,
): FeatureDistribution | null {
  if (feature.kind === 'categorical') {
    const categories = [
      ...new Set([...reference.strings.keys(), ...current.strings.keys()]),
    ].sort();
    const referenceCounts = categories.map((category) => reference.strings.get(category) ?? 0);
    const currentCounts = categories.map((category) => current.strings.get(category) ?? 0);
    const bins = binContributions(exactBinCounts(referenceCounts), exactBinCounts(currentCounts));
    if (bins.length === 0) return null;
    return {
      kind: 'categorical',
      edges: null,
      categories,
      bins,
      ...sums(bins),
      newCategories: onlyIn(current.strings, reference.strings),
      vanishedCategories: onlyIn(reference.strings, current.strings),
      ks: null,
      sizes: { reference: sumOf(referenceCounts), current: sumOf(currentCounts) },
    };
  }
  const stats = profileSlice?.features.get(feature.name);
  if (!stats) return null;
  const referenceCounts = exactBinCounts(stats.binCounts);
  const currentCounts = binCountRanges(stats.edges, current.numbers);
  const bins = binContributions(referenceCounts, currentCounts);
  if (bins.length === 0) return null;
  return {
    kind: 'numeric',
    edges: stats.edges,
    categories: null,
    bins,
    ...sums(bins),
    newCategories: [],
    vanishedCategories: [],
    ks: ksLocation(reference.numbers, current.numbers),
    sizes: { reference: referenceCounts.total, current: currentCounts.total },
  };
}

function sums(bins: readonly BinContribution[]): { psi: Bracket; jensenShannon: Bracket } {
  const add = (pick: (bin: BinContribution) => Bracket) =>
    bins.reduce(
      (total, bin) => ({
        value: total.value + pick(bin).value,
        lower: total.lower + pick(bin).lower,
        upper: total.upper + pick(bin).upper,
      }),
      { value: 0, lower: 0, upper: 0 },
    );
  const divergence = add((bin) => bin.jensenShannon);
  const root = (x: number) => Math.sqrt(Math.max(x, 0));
  return {
    psi: add((bin) => bin.psi),
    jensenShannon: {
      value: root(divergence.value),
      lower: root(divergence.lower),
      upper: root(divergence.upper),
    },
  };
}

function onlyIn(
  counts: ReadonlyMap<string, number>,
  other: ReadonlyMap<string, number>,
): { category: string; count: number }[] {
  return [...counts]
    .filter(([category, count]) => count > 0 && !((other.get(category) ?? 0) > 0))
    .map(([category, count]) => ({ category, count }))
    .sort((a, b) => b.count - a.count || a.category.localeCompare(b.category));
}

function sumOf(values: readonly number[]): number {
  return values.reduce((sum, value) => sum + value, 0);
}

/** One slice of a slice key, as each source has it (absent where it had no events). */
interface SliceSources {
  value: string;
  reference?: SliceSample;
  current?: SliceSample;
  profile?: ProfileSlice;
}

/** Every slice of the window or the baseline, by key (the baseline's too: a vanished slice counts). */
function slicesByKey(
  profile: ReferenceProfile,
  reference: Samples,
  window: Samples,
): { key: string; slices: SliceSources[] }[] {
  return profile.sliceKeys.map((sliceKey) => {
    const key = sliceKeyName(sliceKey.attributes);
    const values = new Set<string>();
    for (const slices of [reference.slices, window.slices, profile.slices])
      for (const slice of slices.values()) if (slice.key === key) values.add(slice.value);
    return {
      key,
      slices: [...values].sort().map((value) => ({
        value,
        reference: reference.slices.get(sliceId(key, value)),
        current: window.slices.get(sliceId(key, value)),
        profile: profile.slices.get(sliceId(key, value)),
      })),
    };
  });
}

function attributionOf(
  check: ExplainedCheck,
  context: ExplanationContext,
  feature: ComparedFeature | undefined,
  profile: ReferenceProfile,
  reference: Samples,
  window: Samples,
  notes: string[],
): SliceAttribution | null {
  if (profile.sliceKeys.length === 0) {
    notes.push('the monitor has no slices: no attribution');
    return null;
  }
  const allReference = reference.slices.get(ALL_SLICE_ID);
  const allWindow = window.slices.get(ALL_SLICE_ID);
  const allProfile = profile.slices.get(ALL_SLICE_ID);
  if (!allWindow || allWindow.events === 0) {
    notes.push('no events in the window: no attribution');
    return null;
  }
  const keys = slicesByKey(profile, reference, window);
  const attribute = (
    statistic: AttributedStatistic,
    linear: LinearStatistic | null,
    parts: (slice: SliceSources) => Omit<SliceParts, 'key' | 'value'>,
  ): SliceAttribution | null => {
    if (!linear) {
      notes.push(`the whole window has no ${statistic} to attribute`);
      return null;
    }
    const sliceParts: SliceParts[] = keys.flatMap(({ key, slices }) =>
      slices.map((slice) => ({ key, value: slice.value, ...parts(slice) })),
    );
    return { statistic, value: linear.value, keys: attributeToSlices(linear, sliceParts) };
  };
  if (feature && DISTRIBUTION_METRICS.has(check.metric)) {
    const name = feature.name;
    if (check.metric === 'ks' && feature.kind === 'numeric') {
      const location = ksLocation(
        featureOf(allReference, name).numbers,
        featureOf(allWindow, name).numbers,
      );
      if (!location) return attribute('ks', null, NO_PARTS);
      const at = (sample: SliceSample | undefined) => [
        countAtOrBelow(featureOf(sample, name).numbers, location.x),
      ];
      const size = (sample: SliceSample | undefined) => finiteCount(featureOf(sample, name));
      return attribute('ks', ksWeights(location, location.sizes), (slice) => ({
        reference: at(slice.reference),
        current: at(slice.current),
        sizes: { reference: size(slice.reference), current: size(slice.current) },
      }));
    }
    if (feature.kind === 'categorical') {
      const categories = [
        ...new Set([
          ...featureOf(allReference, name).strings.keys(),
          ...featureOf(allWindow, name).strings.keys(),
        ]),
      ].sort();
      const counts = (sample: SliceSample | undefined) =>
        exactBinCounts(categories.map((c) => featureOf(sample, name).strings.get(c) ?? 0));
      return attribute('psi', psiWeights(counts(allReference), counts(allWindow)), (slice) =>
        partsOf(counts(slice.reference), counts(slice.current)),
      );
    }
    const stats = allProfile?.features.get(name);
    if (!stats) return attribute('psi', null, NO_PARTS);
    const ranges = (sample: SliceSample | undefined): BinCounts =>
      binCountRanges(stats.edges, featureOf(sample, name).numbers);
    return attribute(
      'psi',
      psiWeights(exactBinCounts(stats.binCounts), ranges(allWindow)),
      (slice) => partsOf(ranges(slice.reference), ranges(slice.current)),
    );
  }
  if (feature && check.metric === 'null_rate') {
    const referenceRows = allProfile?.features.get(feature.name)?.rows ?? 0;
    const referenceNulls = allProfile?.features.get(feature.name)?.nulls ?? 0;
    const currentRows = allWindow.events;
    const currentNulls = nullsOf(allWindow, feature.name);
    const linear = rateWeights(
      { reference: referenceRows, current: currentRows },
      referenceRows > 0 ? currentNulls / currentRows - referenceNulls / referenceRows : 0,
    );
    return attribute('null_rate', linear, (slice) => ({
      reference: [exact(slice.profile?.features.get(feature.name)?.nulls ?? 0)],
      current: [exact(slice.current ? nullsOf(slice.current, feature.name) : 0)],
      sizes: {
        reference: slice.profile?.features.get(feature.name)?.rows ?? 0,
        current: slice.current?.events ?? 0,
      },
    }));
  }
  if (check.metric === 'positive_rate' && context.threshold !== null) {
    const threshold = context.threshold;
    const scored = (cells: readonly Cell[]) => cells.reduce((sum, cell) => sum + cell.count, 0);
    const currentScored = scored(allWindow.score);
    const currentPositives = atOrAbove(allWindow.score, threshold);
    const referenceScored = allProfile?.scored ?? 0;
    const referencePositives = allProfile?.predictedPositives ?? 0;
    const linear = rateWeights(
      { reference: referenceScored, current: currentScored },
      currentScored > 0 && referenceScored > 0
        ? (currentPositives.lower + currentPositives.upper) / 2 / currentScored -
            referencePositives / referenceScored
        : 0,
    );
    return attribute('positive_rate', linear, (slice) => ({
      reference: [exact(slice.profile?.predictedPositives ?? 0)],
      current: [slice.current ? atOrAbove(slice.current.score, threshold) : exact(0)],
      sizes: {
        reference: slice.profile?.scored ?? 0,
        current: scored(slice.current?.score ?? []),
      },
    }));
  }
  notes.push(`no attribution for ${check.metric}: it is not a sum over the slices' events`);
  return null;
}

const NO_PARTS = () => ({
  reference: [],
  current: [],
  sizes: { reference: 0, current: 0 },
});

function partsOf(reference: BinCounts, current: BinCounts): Omit<SliceParts, 'key' | 'value'> {
  return {
    reference: reference.ranges,
    current: current.ranges,
    sizes: { reference: reference.total, current: current.total },
  };
}

function exact(count: number): CountRange {
  return { lower: count, upper: count };
}

/** Nulls and absences of a feature in a slice of the window, as its null rate counts them. */
function nullsOf(slice: SliceSample, feature: string): number {
  const sample = featureOf(slice, feature);
  return sample.nulls + Math.max(0, slice.events - presentValues(sample));
}
