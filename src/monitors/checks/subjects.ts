import type {
  CategoricalFeatureDrift,
  FeatureDrift,
  NumericFeatureDrift,
} from '../../drift/featureDrift.js';
import type { ConfusionCounts } from '../../stats/classificationQuality.js';
import type {
  ClassScoreBinCounts,
  ClassificationAggregates,
  MulticlassAggregates,
  RegressionAggregates,
  ResidualDrift,
  SliceId,
  SliceQuality,
  WindowAggregates,
  WindowEstimate,
} from '../windowAggregates.js';
import { emptyRegression } from '../../stats/regression.js';

/**
 * What a check's verdicts are about, one verdict each: a feature in a slice (its drift
 * entry, or its data-quality counts), a slice, a labelled slice, or the window as a whole.
 * A subject hands its measure the aggregate it reads and says where the verdict belongs.
 */
export interface Located<S> {
  item: S;
  /** Empty for checks that are not about one feature. */
  feature: string;
  slice: SliceId;
}

/** The part of a check a subject reads: the features it selects, if it is about features. */
export interface CheckScope {
  id: string;
  features?: readonly string[];
}

export interface Subject<S> {
  name: string;
  of(check: CheckScope, aggregates: WindowAggregates): Located<S>[];
}

export const ALL: SliceId = { key: '', value: 'all' };

export function parseSliceLabel(label: string): SliceId {
  if (label === 'all') return { ...ALL };
  const at = label.indexOf('=');
  return { key: label.slice(0, at), value: label.slice(at + 1) };
}

function driftOf<S extends FeatureDrift>(
  name: string,
  keep: (entry: FeatureDrift) => entry is S,
): Subject<S> {
  return {
    name,
    of(check, aggregates) {
      const wanted = new Set(check.features ?? []);
      return aggregates.drift
        .filter((entry): entry is S => wanted.has(entry.name) && keep(entry))
        .map((entry) => ({
          item: entry,
          feature: entry.name,
          slice: parseSliceLabel(entry.slice),
        }));
    },
  };
}

/** Each selected feature's drift entry per slice, of either kind. */
export const featureDrift = driftOf('feature drift', (_entry): _entry is FeatureDrift => true);

/** Each selected numeric feature's drift entry per slice. */
export const numericDrift = driftOf(
  'numeric feature drift',
  (entry): entry is NumericFeatureDrift => entry.kind === 'numeric',
);

/** Each selected categorical feature's drift entry per slice. */
export const categoricalDrift = driftOf(
  'categorical feature drift',
  (entry): entry is CategoricalFeatureDrift => entry.kind === 'categorical',
);

export interface FeatureInSlice {
  slice: SliceQuality;
  feature: string;
}

/** Each selected feature's data-quality counts per slice. */
export const featureQuality: Subject<FeatureInSlice> = {
  name: 'feature quality',
  of: (check, aggregates) =>
    aggregates.quality.flatMap((slice) =>
      (check.features ?? []).map((feature) => ({ item: { slice, feature }, feature, slice })),
    ),
};

/** Each slice's counts (rows, scores, duplicates). */
export const sliceQuality: Subject<SliceQuality> = {
  name: 'slice',
  of: (_check, aggregates) =>
    aggregates.quality.map((slice) => ({ item: slice, feature: '', slice })),
};

export type LabelledSlice = ClassificationAggregates & SliceId;

/** Each slice's labelled predictions of the label window; "all" even when it had none. */
export const labelledSlices: Subject<LabelledSlice> = {
  name: 'labelled slice',
  of: (_check, aggregates) =>
    withAllSlice(aggregates.classification ?? []).map((slice) => ({
      item: slice,
      feature: '',
      slice,
    })),
};

export type RegressionSlice = RegressionAggregates & SliceId;

/** Per slice of the label window, a regression's predictions with their numeric labels. */
export const regressionSlices: Subject<RegressionSlice> = {
  name: 'labelled slice',
  of: (_check, aggregates) => {
    const slices = aggregates.regression ?? [];
    // a label window with no predictions still owes a verdict for "all": insufficient data
    const all = slices.some((slice) => slice.key === '' && slice.value === 'all')
      ? []
      : [{ slice: 'all', ...ALL, ...emptyRegression(), n: 0 }];
    return [...all, ...slices].map((slice) => ({ item: slice, feature: '', slice }));
  },
};

export type MulticlassSlice = MulticlassAggregates & SliceId;

/** Per slice of the label window, a multiclass model's predictions with their labels. */
export const multiclassSlices: Subject<MulticlassSlice> = {
  name: 'labelled slice',
  of: (_check, aggregates) => {
    const slices = aggregates.multiclass ?? [];
    // a label window with no predictions still owes a verdict for "all": insufficient data
    const all = slices.some((slice) => slice.key === '' && slice.value === 'all')
      ? []
      : [{ slice: 'all', ...ALL, n: 0, scored: 0, confusion: [], classScores: [] }];
    return [...all, ...slices].map((slice) => ({ item: slice, feature: '', slice }));
  },
};

/** A binary label window's slice, or a multiclass one's: what `accuracy` judges. */
export type AccuracySlice = LabelledSlice | MulticlassSlice;

export function isMulticlassSlice(slice: AccuracySlice): slice is MulticlassSlice {
  return 'confusion' in slice;
}

/**
 * The labelled slices of whichever task the monitor has: a multiclass monitor's window has the
 * multiclass aggregate (and no binary one), a binary monitor's the binary one.
 */
export const accuracySlices: Subject<AccuracySlice> = {
  name: 'labelled slice',
  of: (check, aggregates) =>
    aggregates.multiclass
      ? multiclassSlices.of(check, aggregates)
      : labelledSlices.of(check, aggregates),
};

export type ResidualSlice = ResidualDrift & SliceId;

/** Per slice of the label window, its residuals against the baseline's; "all" always. */
export const residualSlices: Subject<ResidualSlice> = {
  name: 'labelled slice',
  of: (_check, aggregates) => {
    const slices = aggregates.residuals ?? [];
    const all = slices.some((slice) => slice.key === '' && slice.value === 'all')
      ? []
      : [{ slice: 'all', ...ALL, statistic: Number.NaN, nReference: 0, nCurrent: 0 }];
    return [...all, ...slices].map((slice) => ({ item: slice, feature: '', slice }));
  },
};

/** Per slice, the window's predicted classes against the baseline's. */
export const predictedClassDrift: Subject<CategoricalFeatureDrift> = {
  name: 'predicted classes',
  of: (_check, aggregates) =>
    (aggregates.predictedClasses ?? []).map((entry) => ({
      item: entry,
      feature: '',
      slice: parseSliceLabel(entry.slice),
    })),
};

export type ClassScoreBins = ClassScoreBinCounts & SliceId;

/** Per slice and class, the window's class scores against the baseline's; the feature is `scores.<class>`. */
export const classScoreDrift: Subject<ClassScoreBins> = {
  name: 'class scores',
  of: (_check, aggregates) =>
    (aggregates.classScores ?? []).map((bins) => ({
      item: bins,
      feature: `scores.${bins.class}`,
      slice: bins,
    })),
};

/** A slice's CBPE estimate: null when the slice had no scores (or none was computed). */
export interface EstimatedSlice extends SliceId {
  estimate: WindowEstimate | null;
}

/** Each slice's performance estimated from the window's scores; "all" even when it had none. */
export const estimatedSlices: Subject<EstimatedSlice> = {
  name: 'estimated slice',
  of: (_check, aggregates) => {
    const estimates = aggregates.estimated?.window ?? [];
    const all = estimates.some((e) => e.key === '' && e.value === 'all')
      ? []
      : [{ ...ALL, estimate: null }];
    return [
      ...all,
      ...estimates.map(({ key, value, ...estimate }) => ({ key, value, estimate })),
    ].map((slice) => ({ item: slice, feature: '', slice: { key: slice.key, value: slice.value } }));
  },
};

/**
 * A labelled slice of the label window with what was estimated for it and its labels: a
 * binary model's confusion counts at the threshold, or a multiclass model's labelled slice.
 */
export interface EstimatedAndRealized extends SliceId {
  labelled: LabelledSlice;
  estimate: WindowEstimate | null;
  confusion: ConfusionCounts | null;
  /** A multiclass monitor's labelled predictions of the slice (its confusion pairs, class scores). */
  multiclass?: MulticlassSlice;
}

/** Each labelled slice of the label window, its estimate beside its labels; "all" always. */
export const estimatedAndRealizedSlices: Subject<EstimatedAndRealized> = {
  name: 'labelled slice',
  of: (check, aggregates) => {
    const same = (slice: SliceId) => (other: SliceId) =>
      other.key === slice.key && other.value === slice.value;
    const estimated = aggregates.estimated;
    if (aggregates.multiclass)
      return multiclassSlices.of(check, aggregates).map(({ item: multiclass, slice }) => {
        const labelled = multiclass.confusion.reduce((total, pair) => total + pair.count, 0);
        return {
          item: {
            ...slice,
            // the label counts tooFewLabels reads: labelled predictions with a predicted class
            labelled: {
              slice: multiclass.slice,
              ...slice,
              n: multiclass.n,
              labelled,
              positives: 0,
              negatives: 0,
              predictedPositives: 0,
              scored: multiclass.scored,
              pairsWon: 0,
            },
            estimate: estimated?.labelWindow?.find(same(slice)) ?? null,
            confusion: null,
            multiclass,
          },
          feature: '',
          slice,
        };
      });
    return withAllSlice(aggregates.classification ?? []).map((labelled) => {
      const found = estimated?.labelWindow?.find(same(labelled));
      const counts = estimated?.realized?.find(same(labelled));
      const slice = { key: labelled.key, value: labelled.value };
      return {
        item: {
          ...slice,
          labelled,
          estimate: found ?? null,
          confusion: counts ? { tp: counts.tp, fp: counts.fp, fn: counts.fn, tn: counts.tn } : null,
        },
        feature: '',
        slice,
      };
    });
  },
};

/** The window as a whole (its events, its schema, its activity). */
export const wholeWindow: Subject<WindowAggregates> = {
  name: 'window',
  of: (_check, aggregates) => [{ item: aggregates, feature: '', slice: ALL }],
};

/** A label window with no predictions still owes a verdict for "all": insufficient data. */
function withAllSlice(slices: LabelledSlice[]): LabelledSlice[] {
  if (slices.some((slice) => slice.key === '' && slice.value === 'all')) return slices;
  const empty = {
    n: 0,
    labelled: 0,
    positives: 0,
    negatives: 0,
    predictedPositives: 0,
    scored: 0,
    pairsWon: 0,
  };
  return [{ slice: 'all', ...ALL, ...empty }, ...slices];
}
