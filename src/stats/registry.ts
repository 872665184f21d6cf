/**
 * One record per statistic and check: what it applies to, what kind of number it yields,
 * its default thresholds, whether it is a p-value test (and so takes part in the false
 * discovery rate correction), and what a monitor computes it from. Monitor files,
 * validation, the judge and the report read these facts here, nowhere else.
 */

export type StatisticName =
  | 'psi'
  | 'jensen_shannon'
  | 'ks'
  | 'wasserstein'
  | 'wasserstein_normed'
  | 'chi2'
  | 'null_rate'
  | 'non_finite'
  | 'out_of_range'
  | 'wrong_type'
  | 'new_categories'
  | 'schema'
  | 'duplicate_ids'
  | 'volume'
  | 'freshness'
  | 'positive_rate'
  | 'actual_positive_rate'
  | 'auroc';

/**
 * - numeric / categorical: a feature of that kind; any: a feature of either kind;
 * - classification: the model's scores; labels: scores with their late labels;
 * - window: the window as a whole (its events, its schema).
 */
export type AppliesTo = 'numeric' | 'categorical' | 'classification' | 'labels' | 'window' | 'any';

/**
 * - 'distance': larger means more drift; alarm at or above warn / critical.
 * - 'p_value': a test; alarm below pValue when the effect reaches minEffect.
 * - 'score': a quality score, larger is better; alarm below warn / critical.
 * - 'rate': a share of rows; alarm above maxRate (or maxIncrease over the baseline's).
 * - 'shift': a change of a proportion; alarm beyond maxShift.
 * - 'ratio': events against the expected; alarm outside [minRatio, maxRatio].
 * - 'delay': time since the last event; alarm beyond maxDelay.
 * - 'count': how many of something; alarm when any.
 */
export type Yields =
  'distance' | 'p_value' | 'score' | 'rate' | 'shift' | 'ratio' | 'delay' | 'count';

export type DefaultThresholds =
  | { kind: 'distance'; warn: number | null; critical: number | null }
  | { kind: 'p_value'; pValue: number; minEffect: number }
  | { kind: 'score'; warn: number | null; critical: number | null }
  | { kind: 'rate'; maxRate: number; maxIncrease: number | null }
  | { kind: 'shift'; maxShift: number; pValue: number | null }
  | { kind: 'ratio'; minRatio: number; maxRatio: number | null; trailingMs: number }
  | { kind: 'delay'; maxDelayMs: number | null }
  | { kind: 'count' };

export interface StatisticInfo {
  name: StatisticName;
  appliesTo: readonly AppliesTo[];
  yields: Yields;
  defaults: DefaultThresholds;
  /** A p-value test: Benjamini-Hochberg adjusts it with the run's other tests. */
  test: boolean;
  /** What a monitor run computes it from: the window summaries, or raw rows (bounded). */
  computedFrom: 'summaries' | 'raw';
  /** Can be judged in a monitor file's `checks` (wasserstein alone is in feature units). */
  checkable: boolean;
  description: string;
}

const distance = (warn: number | null, critical: number | null): DefaultThresholds => ({
  kind: 'distance',
  warn,
  critical,
});
const test = (pValue: number, minEffect: number): DefaultThresholds => ({
  kind: 'p_value',
  pValue,
  minEffect,
});
const rate = (maxRate: number, maxIncrease: number | null = null): DefaultThresholds => ({
  kind: 'rate',
  maxRate,
  maxIncrease,
});

function record(
  name: StatisticName,
  appliesTo: readonly AppliesTo[],
  defaults: DefaultThresholds,
  description: string,
  options: { test?: boolean; raw?: boolean; checkable?: boolean; yields?: Yields } = {},
): StatisticInfo {
  return {
    name,
    appliesTo,
    yields: options.yields ?? defaults.kind,
    defaults,
    test: options.test ?? false,
    computedFrom: options.raw ? 'raw' : 'summaries',
    checkable: options.checkable ?? true,
    description,
  };
}

const DAY = 86_400_000;

export const STATISTICS: Readonly<Record<StatisticName, StatisticInfo>> = {
  psi: record(
    'psi',
    ['numeric', 'categorical'],
    distance(0.1, 0.25),
    'Population Stability Index over reference-decile bins or categories',
  ),
  jensen_shannon: record(
    'jensen_shannon',
    ['numeric', 'categorical'],
    distance(null, 0.1),
    'Jensen-Shannon distance, base 2, over the same bins as PSI',
  ),
  ks: record(
    'ks',
    ['numeric'],
    test(0.01, 0.1),
    'two-sample Kolmogorov-Smirnov test (asymptotic p-value); the effect is D',
    { test: true },
  ),
  // in the feature's own units: no threshold fits every feature
  wasserstein: record(
    'wasserstein',
    ['numeric'],
    distance(null, null),
    'Wasserstein-1 (earth mover’s) distance',
    { checkable: false },
  ),
  wasserstein_normed: record(
    'wasserstein_normed',
    ['numeric'],
    distance(null, 0.1),
    'Wasserstein-1 over the reference population standard deviation',
  ),
  chi2: record(
    'chi2',
    ['categorical'],
    test(0.01, 0.1),
    'chi-square test of homogeneity over the categories seen; the effect is the Jensen-Shannon distance',
    { test: true },
  ),
  null_rate: record(
    'null_rate',
    ['any'],
    rate(0, 0.05),
    'increase in the share of null or absent values over the baseline’s',
  ),
  non_finite: record(
    'non_finite',
    ['numeric'],
    rate(0),
    'share of NaN, +inf or −inf values (left out of every distribution statistic)',
  ),
  out_of_range: record(
    'out_of_range',
    ['numeric'],
    rate(0),
    'share of finite values outside the declared range, else the baseline’s min and max',
  ),
  wrong_type: record(
    'wrong_type',
    ['any'],
    rate(0),
    'share of values of the other type: text for a numeric feature, a number for a categorical one',
  ),
  new_categories: record(
    'new_categories',
    ['categorical'],
    { kind: 'count' },
    'categories the baseline never had',
  ),
  schema: record(
    'schema',
    ['window'],
    { kind: 'count' },
    'features declared but absent from the window, and event fields the baseline never had',
  ),
  duplicate_ids: record(
    'duplicate_ids',
    ['window'],
    rate(0),
    'share of events whose prediction id another event of the window has',
    { raw: true },
  ),
  volume: record(
    'volume',
    ['window'],
    { kind: 'ratio', minRatio: 0.5, maxRatio: null, trailingMs: 7 * DAY },
    'events in the window against the trailing mean per window',
  ),
  freshness: record(
    'freshness',
    ['window'],
    { kind: 'delay', maxDelayMs: null },
    'time from the last event to the window’s end (by default a window length is too long)',
  ),
  positive_rate: record(
    'positive_rate',
    ['classification'],
    { kind: 'shift', maxShift: 0.05, pValue: 0.01 },
    'predicted positive rate against the baseline’s: two-proportion z-test',
    { test: true },
  ),
  actual_positive_rate: record(
    'actual_positive_rate',
    ['labels'],
    { kind: 'shift', maxShift: 0.05, pValue: null },
    'share of label 1 against the baseline’s, once labels are due',
    { raw: true },
  ),
  auroc: record(
    'auroc',
    ['labels'],
    { kind: 'score', warn: null, critical: 0.5 },
    'area under the ROC curve, ties counting half, once labels are due',
    { raw: true },
  ),
};

export const STATISTIC_NAMES = Object.keys(STATISTICS) as StatisticName[];

export function isStatisticName(name: string): name is StatisticName {
  return Object.hasOwn(STATISTICS, name);
}

export function statisticInfo(name: StatisticName): StatisticInfo {
  return STATISTICS[name];
}

/** The statistics that apply to a feature or model output of this kind. */
export function statisticsFor(kind: Exclude<AppliesTo, 'any'>): StatisticInfo[] {
  return STATISTIC_NAMES.map((name) => STATISTICS[name]).filter(
    (info) =>
      info.appliesTo.includes(kind) ||
      (info.appliesTo.includes('any') && (kind === 'numeric' || kind === 'categorical')),
  );
}

/** The one feature kind a statistic is limited to, if any (validation reads this). */
export function featureKindOf(name: StatisticName): 'numeric' | 'categorical' | null {
  const kinds = STATISTICS[name].appliesTo.filter(
    (kind): kind is 'numeric' | 'categorical' => kind === 'numeric' || kind === 'categorical',
  );
  return kinds.length === 1 ? (kinds[0] ?? null) : null;
}

/** Whether a statistic is about features (checks select features for it). */
export function isFeatureStatistic(name: StatisticName): boolean {
  return STATISTICS[name].appliesTo.some(
    (kind) => kind === 'numeric' || kind === 'categorical' || kind === 'any',
  );
}

export function defaultsOf<K extends DefaultThresholds['kind']>(
  name: StatisticName,
  kind: K,
): Extract<DefaultThresholds, { kind: K }> {
  const defaults = STATISTICS[name].defaults;
  if (defaults.kind !== kind)
    throw new RangeError(`${name} has ${defaults.kind} defaults, not ${kind}`);
  return defaults as Extract<DefaultThresholds, { kind: K }>;
}
