import { statisticInfo } from '../stats/index.js';

/**
 * What the evaluator needs to run a monitor, independent of how the YAML spells it:
 * definitions are turned into a plan once, so the evaluator and its tests never parse.
 */
export type Severity = 'warn' | 'critical';

export interface PlannedFeature {
  name: string;
  kind: 'numeric' | 'categorical';
  /** A declared valid range; otherwise the baseline's own min and max are used. */
  range?: { min: number; max: number };
}

export type BaselinePlan =
  | { kind: 'file'; path: string }
  | { kind: 'range'; from: Date; to: Date }
  | { kind: 'trailing'; durationMs: number };

interface CheckBase {
  id: string;
}

export type DistanceMetric = 'psi' | 'jensen_shannon' | 'wasserstein_normed';

export type CheckPlan =
  | (CheckBase & {
      metric: DistanceMetric;
      features: string[];
      warn: number | null;
      critical: number | null;
    })
  | (CheckBase & {
      metric: 'ks' | 'chi2';
      features: string[];
      pValue: number;
      /** Effect size that must also be reached: KS D, or Jensen-Shannon distance for chi2. */
      minStatistic: number;
      severity: Severity;
    })
  | (CheckBase & {
      metric: 'null_rate';
      features: string[];
      maxIncrease: number;
      severity: Severity;
    })
  | (CheckBase & {
      metric: 'out_of_range' | 'wrong_type' | 'non_finite';
      features: string[];
      maxRate: number;
      severity: Severity;
    })
  | (CheckBase & { metric: 'new_categories'; features: string[]; severity: Severity })
  | (CheckBase & { metric: 'schema'; severity: Severity })
  | (CheckBase & { metric: 'duplicate_ids'; maxRate: number; severity: Severity })
  | (CheckBase & {
      metric: 'volume';
      /** Alarm when events / expected falls below minRatio or rises above maxRatio. */
      minRatio: number;
      maxRatio: number | null;
      /** The expected events per window: the mean over this trailing period. */
      trailingMs: number;
      severity: Severity;
    })
  | (CheckBase & {
      metric: 'freshness';
      /** Alarm when the last event is older than this at the window's end. */
      maxDelayMs: number;
      severity: Severity;
    })
  | (CheckBase & { metric: 'positive_rate'; maxShift: number; pValue: number; severity: Severity })
  | (CheckBase & { metric: 'actual_positive_rate'; maxShift: number; severity: Severity })
  | (CheckBase & { metric: 'auroc'; min: number; warn: number | null });

export type Metric = CheckPlan['metric'];

export interface MonitorPlan {
  /** The monitor's name: its model. */
  monitor: string;
  model: string;
  /** sha256 of the monitor file, kept with every result. */
  hash: string;
  baseline: BaselinePlan;
  features: PlannedFeature[];
  /** Each slice key is a list of attribute names (more than one: a crossed slice). */
  slices: string[][];
  maxSliceValues: number;
  minSamples: number;
  threshold: number | null;
  labels: { delayMs: number; minCount: number } | null;
  falseDiscoveryRate: 'none' | 'benjamini-hochberg';
  windowMs: number;
  schedule: string;
  checks: CheckPlan[];
}

/** p-value checks take part in the false-discovery-rate correction (src/stats registry). */
export function isTestMetric(metric: Metric): boolean {
  return statisticInfo(metric).test;
}
