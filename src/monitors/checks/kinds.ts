import type { CheckStatus } from '../checkResult.js';
import { DEFAULT_CALIBRATION_BINS } from '../../stats/classificationQuality.js';
import { parseDuration } from '../duration.js';

/**
 * Judge kinds: how a measured value is held against a check's thresholds. A kind owns the
 * threshold fields a monitor file gives (their JSON Schema, their defaults, the plan they
 * become), the rule that turns a value (and its bracket) into a status, and how the
 * thresholds are stored beside the verdict. Statistics differ in what they measure
 * (measures.ts); the few ways of judging a number are here, once. Pure.
 */

export type Severity = 'warn' | 'critical';

/** [lower, upper]: a proven bracket containing the exact value. */
export type Bracket = readonly [number, number];

/** A JSON Schema fragment: the check part of the monitor schema is generated from these. */
export type JsonSchema = Readonly<Record<string, unknown>>;

/** A check as the monitor file spells it, once the schema has validated its fields. */
export interface RawCheck {
  id?: string;
  metric: string;
  features?: 'all' | string[];
  readonly [field: string]: unknown;
}

/**
 * What a statistic measured for one subject (a feature in a slice, a slice, the window),
 * before any threshold. `value: null` means there is nothing to judge: insufficient data,
 * or no data when `status` says so.
 */
export interface Measurement {
  value: number | null;
  /** The bracket containing the exact value when the value is not exact (from summaries). */
  bracket?: Bracket | null;
  pValue?: number | null;
  pValueBracket?: Bracket | null;
  /** The effect size a significant test must also reach (KS D, a Jensen-Shannon distance). */
  effect?: number | null;
  effectBracket?: Bracket | null;
  /** An estimated value's sampling-error band (CBPE), or the estimate's band a realized value is held against. */
  band?: Bracket | null;
  /** Beside a realized value: what was estimated for it (estimation_error). */
  estimate?: number | null;
  nReference: number;
  nCurrent: number;
  details: Record<string, unknown>;
  /** Without a value: silence (no_data) rather than insufficient data. */
  status?: 'no_data';
}

export interface Judged {
  status: CheckStatus;
  /** A bracket straddles a threshold: the status is its worst end until computed exactly. */
  undecided: boolean;
  /** What the kind adds to the verdict's details (the limits it judged against). */
  details?: Record<string, unknown>;
}

export interface Thresholds {
  warnThreshold: number | null;
  criticalThreshold: number | null;
}

/** How an alert line states a value against its threshold (alerts/render/text.ts). */
export type RenderSpec =
  | { kind: 'at_or_above' }
  | { kind: 'above' }
  | { kind: 'below' }
  | { kind: 'signed' }
  | { kind: 'count' }
  | { kind: 'test'; statistic: string }
  | { kind: 'estimate' };

/** The thresholds a statistic suggests (drafts, the report) and a plan falls back on. */
export type DefaultThresholds =
  | { kind: 'distance'; warn: number | null; critical: number | null }
  | { kind: 'p_value'; pValue: number; minEffect: number }
  | { kind: 'score'; warn: number | null; critical: number | null }
  | { kind: 'rate'; maxRate: number; maxIncrease: number | null }
  | { kind: 'shift'; maxShift: number; pValue: number | null }
  | { kind: 'ratio'; minRatio: number; maxRatio: number | null; trailingMs: number }
  | { kind: 'delay'; maxDelayMs: number | null }
  | { kind: 'count' }
  | { kind: 'tolerance'; tolerance: number };

export type DefaultsKind = DefaultThresholds['kind'];
type DefaultsOf<K extends DefaultsKind> = Extract<DefaultThresholds, { kind: K }>;

/** A problem in a check's threshold fields that JSON Schema cannot express. */
export interface FieldProblem {
  field: string;
  message: string;
}

export interface PlanContext {
  /** The monitor's window length: what a freshness check allows by default. */
  windowMs: number;
}

/**
 * One way of judging. Methods (not function-valued properties), so that a kind of any
 * params can be looked up through the erased registry type.
 */
export interface JudgeKind<P extends object> {
  name: string;
  /** The kind of DefaultThresholds its statistics carry. */
  defaults: DefaultsKind;
  /** Its YAML fields, as JSON Schema properties, in the order a reader meets them. */
  fields: Readonly<Record<string, JsonSchema>>;
  /** JSON Schema keywords over those fields (required, anyOf). */
  rules?: JsonSchema;
  /** A p-value test: Benjamini-Hochberg adjusts it with the run's other tests. */
  test: boolean;
  render: RenderSpec;
  plan(raw: RawCheck, defaults: DefaultThresholds, context: PlanContext): P;
  problems?(raw: RawCheck, where: string, title: string): FieldProblem[];
  thresholds(params: P): Thresholds;
  /** The most severe status it can give: what a "no data" verdict of it alerts at. */
  severity(params: P): Severity;
  /** Only called with a value: a measurement without one is insufficient (or no) data. */
  judge(measured: Measurement & { value: number }, params: P): Judged;
}

// ---- shared pieces ----

const SEVERITY_RANK: Record<CheckStatus, number> = {
  critical: 4,
  warn: 3,
  no_data: 2,
  ok: 1,
  insufficient_data: 0,
  awaiting_data: 0,
};

/** Statuses at the two ends of what the brackets allow: decided when they agree, else the worse. */
export function settle(
  a: CheckStatus,
  b: CheckStatus,
): { status: CheckStatus; undecided: boolean } {
  if (a === b) return { status: a, undecided: false };
  return { status: SEVERITY_RANK[a] >= SEVERITY_RANK[b] ? a : b, undecided: true };
}

/** A status monotone in the value, judged at both ends of its bracket. */
function judgeEnds(
  measured: { value: number; bracket?: Bracket | null },
  statusOf: (value: number) => CheckStatus,
): Judged {
  const [lower, upper] = measured.bracket ?? [measured.value, measured.value];
  return settle(statusOf(lower), statusOf(upper));
}

function bySeverity(breached: boolean, severity: Severity): CheckStatus {
  return breached ? severity : 'ok';
}

function defaultsAs<K extends DefaultsKind>(defaults: DefaultThresholds, kind: K): DefaultsOf<K> {
  if (defaults.kind !== kind)
    throw new RangeError(`${kind} thresholds cannot take ${defaults.kind} defaults`);
  return defaults as DefaultsOf<K>;
}

function numberField(raw: RawCheck, name: string): number | undefined {
  const value = raw[name];
  return typeof value === 'number' ? value : undefined;
}

function durationField(raw: RawCheck, name: string): number | undefined {
  const value = raw[name];
  return typeof value === 'string' ? parseDuration(value) : undefined;
}

function severityField(raw: RawCheck): Severity {
  return raw.severity === 'warn' ? 'warn' : 'critical';
}

const NON_NEGATIVE: JsonSchema = { type: 'number', minimum: 0 };
const SHARE: JsonSchema = { type: 'number', minimum: 0, maximum: 1 };
const P_VALUE: JsonSchema = { type: 'number', exclusiveMinimum: 0, maximum: 1 };
const SEVERITY: JsonSchema = { $ref: '#/$defs/severity' };
const NO_THRESHOLDS: Thresholds = { warnThreshold: null, criticalThreshold: null };

/** "an AUROC", "an F1", "a precision": by the sound of the name's first letter. */
function article(name: string): string {
  const vowelSound = /^[A-Z]{2}|^[A-Z]\d/.test(name) ? /^[AEFHILMNORSX]/ : /^[aeiouAEIOU]/;
  return vowelSound.test(name) ? 'an' : 'a';
}

// ---- the kinds ----

export interface DistanceParams {
  warn: number | null;
  critical: number | null;
}

/** Larger means more drift: warn at or above warn, critical at or above critical. */
export const distanceKind: JudgeKind<DistanceParams> = {
  name: 'distance',
  defaults: 'distance',
  fields: { warn: NON_NEGATIVE, critical: NON_NEGATIVE },
  rules: { anyOf: [{ required: ['warn'] }, { required: ['critical'] }] },
  test: false,
  render: { kind: 'at_or_above' },
  plan: (raw) => ({
    warn: numberField(raw, 'warn') ?? null,
    critical: numberField(raw, 'critical') ?? null,
  }),
  problems(raw, where) {
    const warn = numberField(raw, 'warn');
    const critical = numberField(raw, 'critical');
    return warn !== undefined && critical !== undefined && warn > critical
      ? [{ field: 'warn', message: `${where}.warn: must not be above critical (${critical})` }]
      : [];
  },
  thresholds: (p) => ({ warnThreshold: p.warn, criticalThreshold: p.critical }),
  severity: (p) => (p.critical !== null ? 'critical' : 'warn'),
  judge: (measured, p) =>
    judgeEnds(measured, (v) =>
      p.critical !== null && v >= p.critical
        ? 'critical'
        : p.warn !== null && v >= p.warn
          ? 'warn'
          : 'ok',
    ),
};

export interface CalibrationParams extends DistanceParams {
  /** Equal-width bins on [0, 1] the calibration error is measured over. */
  bins: number;
}

/**
 * A calibration error: a distance (larger is worse) measured over `bins` equal-width score
 * bins, the report's 16 unless the check says (sklearn's calibration_curve n_bins).
 */
export const calibrationKind: JudgeKind<CalibrationParams> = {
  ...distanceKind,
  name: 'calibration',
  fields: {
    ...distanceKind.fields,
    bins: {
      description:
        'Equal-width score bins on [0, 1] (sklearn calibration_curve’s n_bins); 16 by default.',
      type: 'integer',
      minimum: 1,
      maximum: 100,
    },
  },
  plan: (raw, defaults, context) => ({
    ...distanceKind.plan(raw, defaults, context),
    bins: numberField(raw, 'bins') ?? DEFAULT_CALIBRATION_BINS,
  }),
};

export interface TestParams {
  pValue: number;
  /** Effect size that must also be reached: KS D, or Jensen-Shannon distance for chi2. */
  minStatistic: number;
  severity: Severity;
}

/**
 * A significance test: breached when p is below the limit and the effect reaches its
 * minimum (on large samples every p is tiny). Breaching is more likely with a smaller p and
 * a larger effect, so the bracket corners (high p, low effect) and (low p, high effect) decide.
 */
export const pValueKind: JudgeKind<TestParams> = {
  name: 'p_value',
  defaults: 'p_value',
  fields: { p_value: P_VALUE, min_statistic: NON_NEGATIVE, severity: SEVERITY },
  test: true,
  render: { kind: 'test', statistic: 'statistic' },
  plan(raw, defaults) {
    const d = defaultsAs(defaults, 'p_value');
    return {
      pValue: numberField(raw, 'p_value') ?? d.pValue,
      minStatistic: numberField(raw, 'min_statistic') ?? d.minEffect,
      severity: severityField(raw),
    };
  },
  thresholds: (p) => ({ warnThreshold: null, criticalThreshold: p.pValue }),
  severity: (p) => p.severity,
  judge(measured, p) {
    const effect = measured.effect ?? null;
    const pValue = measured.pValue ?? null;
    const details = {
      effect,
      ...(measured.effectBracket ? { effect_bracket: measured.effectBracket } : {}),
      min_effect: p.minStatistic,
    };
    if (pValue === null || effect === null)
      return { status: 'insufficient_data', undecided: false, details };
    const statusOf = (pv: number, e: number) =>
      bySeverity(pv < p.pValue && e >= p.minStatistic, p.severity);
    const best = statusOf(
      measured.pValueBracket?.[1] ?? pValue,
      measured.effectBracket?.[0] ?? effect,
    );
    const worst = statusOf(
      measured.pValueBracket?.[0] ?? pValue,
      measured.effectBracket?.[1] ?? effect,
    );
    return { ...settle(best, worst), details };
  },
};

export interface RateParams {
  maxRate: number;
  severity: Severity;
}

/** A share of rows: breached strictly above max_rate. */
export const rateKind: JudgeKind<RateParams> = {
  name: 'rate',
  defaults: 'rate',
  fields: { max_rate: SHARE, severity: SEVERITY },
  test: false,
  render: { kind: 'above' },
  plan: (raw, defaults) => ({
    maxRate: numberField(raw, 'max_rate') ?? defaultsAs(defaults, 'rate').maxRate,
    severity: severityField(raw),
  }),
  thresholds: (p) => ({ warnThreshold: null, criticalThreshold: p.maxRate }),
  severity: (p) => p.severity,
  judge: (measured, p) => judgeEnds(measured, (v) => bySeverity(v > p.maxRate, p.severity)),
};

export interface RateIncreaseParams {
  maxIncrease: number;
  severity: Severity;
}

/** A share's rise over the baseline's: breached strictly above max_increase (required). */
export const rateIncreaseKind: JudgeKind<RateIncreaseParams> = {
  name: 'rate_increase',
  defaults: 'rate',
  fields: { max_increase: SHARE, severity: SEVERITY },
  rules: { required: ['max_increase'] },
  test: false,
  render: { kind: 'signed' },
  plan: (raw, defaults) => ({
    maxIncrease: numberField(raw, 'max_increase') ?? defaultsAs(defaults, 'rate').maxIncrease ?? 0,
    severity: severityField(raw),
  }),
  thresholds: (p) => ({ warnThreshold: null, criticalThreshold: p.maxIncrease }),
  severity: (p) => p.severity,
  judge: (measured, p) => judgeEnds(measured, (v) => bySeverity(v > p.maxIncrease, p.severity)),
};

export interface CountParams {
  severity: Severity;
}

/** How many of something (new categories, schema changes): breached when any. */
export const countKind: JudgeKind<CountParams> = {
  name: 'count',
  defaults: 'count',
  fields: { severity: SEVERITY },
  test: false,
  render: { kind: 'count' },
  plan: (raw) => ({ severity: severityField(raw) }),
  thresholds: () => NO_THRESHOLDS,
  severity: (p) => p.severity,
  judge: (measured, p) => judgeEnds(measured, (v) => bySeverity(v > 0, p.severity)),
};

export interface RatioParams {
  /** Alarm when the ratio falls below minRatio or rises above maxRatio. */
  minRatio: number;
  maxRatio: number | null;
  /** The expected per window: the mean over this trailing period. */
  trailingMs: number;
  severity: Severity;
}

/** Measured against the expected: breached outside [min_ratio, max_ratio]. */
export const ratioKind: JudgeKind<RatioParams> = {
  name: 'ratio',
  defaults: 'ratio',
  fields: {
    min_ratio: {
      description:
        'Alarm when the window has fewer events than this share of the expected (the trailing mean per window); 0.5 by default.',
      type: 'number',
      minimum: 0,
    },
    max_ratio: {
      description: 'Alarm when the window has more events than this multiple of the expected.',
      type: 'number',
      exclusiveMinimum: 0,
    },
    trailing: {
      description: 'The period whose mean events per window is expected, e.g. 7d (the default).',
      $ref: '#/$defs/duration',
    },
    severity: SEVERITY,
  },
  test: false,
  render: { kind: 'above' },
  plan(raw, defaults) {
    const d = defaultsAs(defaults, 'ratio');
    return {
      minRatio: numberField(raw, 'min_ratio') ?? d.minRatio,
      maxRatio: numberField(raw, 'max_ratio') ?? d.maxRatio,
      trailingMs: durationField(raw, 'trailing') ?? d.trailingMs,
      severity: severityField(raw),
    };
  },
  thresholds: (p) => ({ warnThreshold: p.maxRatio, criticalThreshold: p.minRatio }),
  severity: (p) => p.severity,
  judge(measured, p) {
    const outside = (v: number) => v < p.minRatio || (p.maxRatio !== null && v > p.maxRatio);
    const [lower, upper] = measured.bracket ?? [measured.value, measured.value];
    // two-sided: the best case is the bracket's point nearest the allowed range, the worst
    // either end outside it
    const best = Math.min(Math.max(lower, p.minRatio), upper);
    return settle(
      bySeverity(outside(best), p.severity),
      bySeverity(outside(lower) || outside(upper), p.severity),
    );
  },
};

export interface DelayParams {
  /** Alarm when the last event is older than this at the window's end. */
  maxDelayMs: number;
  severity: Severity;
}

/** Seconds since something happened: breached beyond max_delay (a window length by default). */
export const delayKind: JudgeKind<DelayParams> = {
  name: 'delay',
  defaults: 'delay',
  fields: {
    max_delay: {
      description:
        "Alarm when the last event is older than this at the window's end, e.g. 15m (by default one window length).",
      $ref: '#/$defs/duration',
    },
    severity: SEVERITY,
  },
  test: false,
  render: { kind: 'above' },
  plan: (raw, defaults, context) => ({
    maxDelayMs:
      durationField(raw, 'max_delay') ??
      defaultsAs(defaults, 'delay').maxDelayMs ??
      context.windowMs,
    severity: severityField(raw),
  }),
  thresholds: (p) => ({ warnThreshold: null, criticalThreshold: p.maxDelayMs / 1000 }),
  severity: (p) => p.severity,
  judge: (measured, p) =>
    judgeEnds(measured, (seconds) => bySeverity(seconds * 1000 > p.maxDelayMs, p.severity)),
};

/** The smallest and largest |v| over a bracket of v. */
function magnitudes(measured: { value: number; bracket?: Bracket | null }): [number, number] {
  const [lower, upper] = measured.bracket ?? [measured.value, measured.value];
  const largest = Math.max(Math.abs(lower), Math.abs(upper));
  const smallest = lower <= 0 && upper >= 0 ? 0 : Math.min(Math.abs(lower), Math.abs(upper));
  return [smallest, largest];
}

export interface ShiftParams {
  maxShift: number;
  severity: Severity;
}

/** A change of a proportion either way: breached beyond max_shift (required). */
export const shiftKind: JudgeKind<ShiftParams> = {
  name: 'shift',
  defaults: 'shift',
  fields: { max_shift: SHARE, severity: SEVERITY },
  rules: { required: ['max_shift'] },
  test: false,
  render: { kind: 'signed' },
  plan: (raw, defaults) => ({
    maxShift: numberField(raw, 'max_shift') ?? defaultsAs(defaults, 'shift').maxShift,
    severity: severityField(raw),
  }),
  thresholds: (p) => ({ warnThreshold: null, criticalThreshold: p.maxShift }),
  severity: (p) => p.severity,
  judge(measured, p) {
    const [smallest, largest] = magnitudes(measured);
    const statusOf = (shift: number) => bySeverity(shift > p.maxShift, p.severity);
    return settle(statusOf(smallest), statusOf(largest));
  },
};

export interface TestedShiftParams extends ShiftParams {
  pValue: number;
}

/**
 * A change of a proportion that a test must also find significant: breached when |shift|
 * exceeds max_shift and p is below p_value. Breaching grows with |shift| and with a smaller
 * p, so (smallest |shift|, highest p) and (largest |shift|, lowest p) decide.
 */
export const testedShiftKind: JudgeKind<TestedShiftParams> = {
  name: 'tested_shift',
  defaults: 'shift',
  fields: { max_shift: SHARE, p_value: P_VALUE, severity: SEVERITY },
  rules: { required: ['max_shift'] },
  test: true,
  render: { kind: 'signed' },
  plan(raw, defaults) {
    const d = defaultsAs(defaults, 'shift');
    return {
      maxShift: numberField(raw, 'max_shift') ?? d.maxShift,
      pValue: numberField(raw, 'p_value') ?? d.pValue ?? 0.01,
      severity: severityField(raw),
    };
  },
  thresholds: (p) => ({ warnThreshold: null, criticalThreshold: p.maxShift }),
  severity: (p) => p.severity,
  judge(measured, p) {
    const details = { p_value_limit: p.pValue };
    const pValue = measured.pValue ?? null;
    if (pValue === null) return { status: 'insufficient_data', undecided: false, details };
    const [smallest, largest] = magnitudes(measured);
    const [pLow, pHigh] = measured.pValueBracket ?? [pValue, pValue];
    const statusOf = (shift: number, pv: number) =>
      bySeverity(shift > p.maxShift && pv < p.pValue, p.severity);
    return { ...settle(statusOf(smallest, pHigh), statusOf(largest, pLow)), details };
  },
};

export interface ScoreParams {
  /** Critical below this. */
  min: number;
  /** Warn below this (at or above min). */
  warn: number | null;
}

/** A quality score, larger is better: critical below min, warn below warn. */
export const scoreKind: JudgeKind<ScoreParams> = {
  name: 'score',
  defaults: 'score',
  fields: { min: SHARE, warn: SHARE },
  rules: { required: ['min'] },
  test: false,
  render: { kind: 'below' },
  plan: (raw, defaults) => ({
    min: numberField(raw, 'min') ?? defaultsAs(defaults, 'score').critical ?? 0.5,
    warn: numberField(raw, 'warn') ?? null,
  }),
  problems(raw, where, title) {
    const warn = numberField(raw, 'warn');
    const min = numberField(raw, 'min');
    return warn !== undefined && min !== undefined && warn < min
      ? [
          {
            field: 'warn',
            message: `${where}.warn: ${article(title)} ${title} warning level must be at or above min (${min})`,
          },
        ]
      : [];
  },
  thresholds: (p) => ({ warnThreshold: p.warn, criticalThreshold: p.min }),
  severity: () => 'critical',
  judge: (measured, p) =>
    judgeEnds(measured, (v) =>
      v < p.min ? 'critical' : p.warn !== null && v < p.warn ? 'warn' : 'ok',
    ),
};

/** The performance metrics CBPE estimates for a binary model (scikit-learn's names). */
export const ESTIMATED_METRICS = ['roc_auc', 'accuracy', 'precision', 'recall', 'f1'] as const;
export type EstimatedMetric = (typeof ESTIMATED_METRICS)[number];

export interface EstimationErrorParams {
  /** Which estimate is held against its realized value. */
  estimate: EstimatedMetric;
  /** How far beyond the estimate's band the realized value may lie before it breaches. */
  tolerance: number;
  severity: Severity;
}

/**
 * An estimate held against its realized value once labels arrive: breached when the
 * realized value (the measured value) lies outside the estimate's band (the measurement's
 * band) by more than the tolerance. The band already contains the estimate's bracket, so
 * the verdict is exact.
 */
export const estimationErrorKind: JudgeKind<EstimationErrorParams> = {
  name: 'estimation_error',
  defaults: 'tolerance',
  fields: {
    estimate: {
      description:
        'The estimated metric held against its realized value: roc_auc (the default), accuracy, precision, recall or f1 (for a multiclass model the macro averages, AUROC one vs rest).',
      enum: [...ESTIMATED_METRICS],
    },
    tolerance: {
      description:
        "How far outside the estimate's band the realized value may lie before it breaches (0 by default).",
      type: 'number',
      minimum: 0,
    },
    severity: SEVERITY,
  },
  test: false,
  render: { kind: 'estimate' },
  plan(raw, defaults) {
    const named = raw.estimate;
    return {
      estimate: ESTIMATED_METRICS.find((metric) => metric === named) ?? 'roc_auc',
      tolerance: numberField(raw, 'tolerance') ?? defaultsAs(defaults, 'tolerance').tolerance,
      severity: severityField(raw),
    };
  },
  thresholds: (p) => ({ warnThreshold: null, criticalThreshold: p.tolerance }),
  severity: (p) => p.severity,
  judge(measured, p) {
    const details = { tolerance: p.tolerance };
    const band = measured.band ?? null;
    if (band === null) return { status: 'insufficient_data', undecided: false, details };
    const v = measured.value;
    const outside = v < band[0] - p.tolerance || v > band[1] + p.tolerance;
    return { status: bySeverity(outside, p.severity), undecided: false, details };
  },
};
