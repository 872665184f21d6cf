/**
 * The check result: one check on one feature in one slice of one evaluated window, the row
 * of the drift history. This table is its one definition. Every shape the record takes is
 * derived from it: the TypeScript types below, the store's row both ways (store/results.ts),
 * the API's schema (api/schemas.ts), the export's columns (exports/sections.ts), the facts an
 * alert keeps and notifies (alerts/), and the JSON the API and the CLI exchange (here).
 *
 * A new field is one entry here (and, when it is stored, a migration adding its column).
 * Nullable fields start out null (NULL_FIELDS), so code that does not set a new field still
 * builds a whole record.
 */

/**
 * `no_data`: the window had no events where events were expected (silence is a finding).
 * `awaiting_data`: the window had no events and the model has never sent one (before the
 * monitor's `expect_data_from`, if it declares one): shown, never paged.
 */
export const CHECK_STATUSES = [
  'ok',
  'warn',
  'critical',
  'insufficient_data',
  'no_data',
  'awaiting_data',
] as const;
export type CheckStatus = (typeof CHECK_STATUSES)[number];

export const CORRECTIONS = ['none', 'benjamini-hochberg'] as const;
export type Correction = (typeof CORRECTIONS)[number];

/**
 * How a field's value is spelled: in TypeScript (`time` is a Date), in JSON (`time` is RFC
 * 3339 text, `json` an object) and in ClickHouse (`json` is a String column of JSON text).
 */
export type FieldType = 'string' | 'integer' | 'number' | 'time' | 'json' | 'enum';

export interface FieldSpec {
  /** Its column in ClickHouse (monitor_results), and its name in JSON, the API and exports. */
  column: string;
  type: FieldType;
  /** For `enum`: the values it may take; a stored value outside them reads as `fallback`. */
  values?: readonly string[];
  fallback?: string;
  nullable: boolean;
  /**
   * Who sets it: the judge's verdict (monitors/judge.ts), the run that stores the verdicts
   * (monitors/evaluateWindow.ts), or the store as the row is written (a column default).
   */
  setBy: 'verdict' | 'run' | 'store';
  /** A column of the compliance export's drift history. */
  exported: boolean;
  /** Kept with an alert as the facts of the verdict it last saw, and shown in its notices. */
  alert: boolean;
  description: string;
}

interface FieldOptions {
  nullable?: boolean;
  exported?: boolean;
  alert?: boolean;
  values?: readonly string[];
  fallback?: string;
}

/** One entry of the table, its literal types kept so that the types below can be derived. */
function field<
  const C extends string,
  const T extends FieldType,
  const S extends FieldSpec['setBy'],
  const O extends FieldOptions = Record<never, never>,
>(column: C, type: T, setBy: S, description: string, options?: O) {
  return {
    column,
    type,
    setBy,
    description,
    nullable: options?.nullable ?? false,
    exported: options?.exported ?? true,
    alert: options?.alert ?? false,
    ...(options?.values ? { values: options.values, fallback: options.fallback } : {}),
  } as {
    column: C;
    type: T;
    setBy: S;
    description: string;
    nullable: O extends { nullable: true } ? true : false;
    exported: boolean;
    alert: O extends { alert: true } ? true : false;
    values: O extends { values: infer V } ? V : undefined;
    fallback?: string;
  };
}

const measured = { nullable: true, alert: true } as const;

// The order here is the order of the API's objects and of the export's columns.
export const CHECK_RESULT_FIELDS = {
  model: field('model', 'string', 'run', 'the monitored model'),
  monitor: field('monitor', 'string', 'run', 'the monitor (one per model)'),
  windowStart: field('window_start', 'time', 'run', 'start of the evaluated window'),
  windowEnd: field('window_end', 'time', 'run', 'end of the evaluated window'),
  checkId: field(
    'check_id',
    'string',
    'verdict',
    'the check of the monitor file that produced the result',
  ),
  metric: field(
    'metric',
    'string',
    'verdict',
    'the method: psi, ks, chi2, jensen_shannon, wasserstein_normed, null_rate, auroc...',
  ),
  feature: field(
    'feature',
    'string',
    'verdict',
    'the feature judged (empty for model-level checks: positive_rate, auroc, schema...)',
  ),
  sliceKey: field(
    'slice_key',
    'string',
    'verdict',
    'the slice attribute(s) (empty for the whole window)',
  ),
  sliceValue: field(
    'slice_value',
    'string',
    'verdict',
    'the slice value ("all" for the whole window)',
  ),
  status: field(
    'status',
    'enum',
    'verdict',
    'the decision: ok, warn, critical, insufficient_data (or no_data; awaiting_data before a model has sent its first event)',
    { values: CHECK_STATUSES, fallback: 'insufficient_data', alert: true },
  ),
  value: field('value', 'number', 'verdict', 'the statistic measured', measured),
  valueLower: field(
    'value_lower',
    'number',
    'verdict',
    'with value_upper: a proven bracket containing the exact value, when value was computed from window summaries; null when value is exact',
    measured,
  ),
  valueUpper: field('value_upper', 'number', 'verdict', 'the upper end of that bracket', measured),
  bandLower: field(
    'band_lower',
    'number',
    'verdict',
    'with band_upper: the sampling-error band of an estimated value (CBPE: the estimate ± 3 standard errors of the labels’ randomness, around its bracket), or for estimation_error the estimate’s band the realized value was held against; else null',
    measured,
  ),
  bandUpper: field('band_upper', 'number', 'verdict', 'the upper end of that band', measured),
  estimatedValue: field(
    'estimated_value',
    'number',
    'verdict',
    'for estimation_error: CBPE’s estimate for the label window, beside the realized value in value; else null',
    measured,
  ),
  pValue: field(
    'p_value',
    'number',
    'verdict',
    'the p-value of a statistical test, else null',
    measured,
  ),
  pValueLower: field(
    'p_value_lower',
    'number',
    'verdict',
    'a bracket on the p-value, when the statistic is bracketed',
    { nullable: true },
  ),
  pValueUpper: field('p_value_upper', 'number', 'verdict', 'the upper end of that bracket', {
    nullable: true,
  }),
  adjustedPValue: field(
    'adjusted_p_value',
    'number',
    'verdict',
    'the p-value after the correction for multiple tests, else null',
    measured,
  ),
  correction: field(
    'correction',
    'enum',
    'run',
    'the correction applied: none or benjamini-hochberg',
    { values: CORRECTIONS, fallback: 'none' },
  ),
  warnThreshold: field(
    'warn_threshold',
    'number',
    'verdict',
    'the warn threshold in force',
    measured,
  ),
  criticalThreshold: field(
    'critical_threshold',
    'number',
    'verdict',
    'the critical threshold (or p-value limit) in force',
    measured,
  ),
  nReference: field('n_reference', 'integer', 'verdict', 'sample size on the baseline side', {
    alert: true,
  }),
  nCurrent: field('n_current', 'integer', 'verdict', 'sample size in the window', { alert: true }),
  baseline: field('baseline', 'string', 'run', 'the baseline compared against (its name)'),
  baselineVersion: field('baseline_version', 'integer', 'run', 'the version of that baseline'),
  monitorHash: field(
    'monitor_hash',
    'string',
    'run',
    'SHA-256 of the monitor file text (see monitor_files)',
  ),
  details: field(
    'details',
    'json',
    'verdict',
    'what else the check measured (histograms, rates, effect sizes, label window)',
  ),
  evaluatedAt: field('evaluated_at', 'time', 'store', 'when the result was computed'),
} satisfies Record<string, FieldSpec>;

type Fields = typeof CHECK_RESULT_FIELDS;
export type FieldName = keyof Fields;

/** The fields in table order, each with its name. */
export const FIELD_LIST = Object.entries(CHECK_RESULT_FIELDS) as [FieldName, FieldSpec][];

/** A field's value in TypeScript (Json false) or in JSON (Json true: times as text, enums as any text). */
type ValueOf<F, Json extends boolean> = F extends { type: 'string' }
  ? string
  : F extends { type: 'integer' | 'number' }
    ? number
    : F extends { type: 'time' }
      ? Json extends true
        ? string
        : Date
      : F extends { type: 'json' }
        ? Record<string, unknown>
        : Json extends true
          ? string
          : F extends { values: readonly (infer V)[] }
            ? V
            : never;
type Spelled<F, Json extends boolean> = F extends { nullable: true }
  ? ValueOf<F, Json> | null
  : ValueOf<F, Json>;

type NamesWhere<Condition> = {
  [K in FieldName]: Fields[K] extends Condition ? K : never;
}[FieldName];

export type VerdictField = NamesWhere<{ setBy: 'verdict' }>;
export type RunField = NamesWhere<{ setBy: 'run' }>;
export type StoreField = NamesWhere<{ setBy: 'store' }>;
export type AlertField = NamesWhere<{ alert: true }>;
export type NullableField = NamesWhere<{ nullable: true }>;

/** A check result as the monitors make it (the store adds evaluatedAt as it writes). */
export type CheckResult = { [K in VerdictField | RunField]: Spelled<Fields[K], false> };

/**
 * The statuses that alert nobody by themselves: an alert sees "ok" as clear and the others as
 * nothing (alerts/lifecycle.ts, observationOf); a backtest shows no result of these.
 */
export const QUIET_STATUSES = ['ok', 'insufficient_data', 'awaiting_data'] as const;
export type QuietStatus = (typeof QUIET_STATUSES)[number];

/**
 * What a backtest keeps of a result it shows nobody (a decided verdict of a quiet status):
 * its check's identity and its status, all the alert planner (alerts/alertPlan.ts) and a
 * window's summary read of it. The full record is built only for what is shown or can alert.
 */
export type ResultStatus = Pick<
  CheckResult,
  'checkId' | 'metric' | 'feature' | 'sliceKey' | 'sliceValue'
> & {
  status: QuietStatus;
};

/** A backtest's result: whole where it can alert or is shown, else its status (ResultStatus). */
export type KeptResult = CheckResult | ResultStatus;

/** A whole record, not a status (a ResultStatus has no window). */
export function isWholeResult(result: KeptResult): result is CheckResult {
  return 'windowEnd' in result;
}

export function isQuietStatus(status: CheckStatus): status is QuietStatus {
  return status === 'ok' || status === 'insufficient_data' || status === 'awaiting_data';
}

/** A check result as stored. */
export type StoredCheckResult = CheckResult & { [K in StoreField]: Spelled<Fields[K], false> };

/** The same in JSON, as the API, the CLI's JSON and exports spell it: snake_case, RFC 3339. */
export type CheckResultJson = {
  [K in FieldName as Fields[K]['column']]: Spelled<Fields[K], true>;
};

/** What the judge's verdict says of a check (the run adds where and against what). */
export type VerdictFields = Pick<CheckResult, VerdictField>;

/** What an alert keeps of the verdict it last saw. */
export type AlertFields = Pick<CheckResult, AlertField>;

/** The same in a notification's JSON (snake_case). */
export type AlertFieldsJson = {
  [K in AlertField as Fields[K]['column']]: Spelled<Fields[K], true>;
};

function namesWhere(test: (spec: FieldSpec) => boolean): FieldName[] {
  return FIELD_LIST.filter(([, spec]) => test(spec)).map(([name]) => name);
}

export const VERDICT_FIELDS = namesWhere((spec) => spec.setBy === 'verdict') as VerdictField[];
export const ALERT_FIELDS = namesWhere((spec) => spec.alert) as AlertField[];
export const EXPORTED_FIELDS = FIELD_LIST.filter(([, spec]) => spec.exported);

/** Every nullable field, null: what a result says of what its check does not measure. */
export const NULL_FIELDS = Object.freeze(
  Object.fromEntries(namesWhere((spec) => spec.nullable).map((name) => [name, null])),
) as { readonly [K in NullableField]: null };

/** The named fields of a record (a record's verdict part, an alert's facts). */
export function pickFields<T extends Partial<StoredCheckResult>, K extends keyof T & FieldName>(
  record: T,
  names: readonly K[],
): Pick<T, K> {
  // a loop, not Object.fromEntries over mapped pairs: a backtest picks a verdict's 21 fields
  // for each of a window's thousand results, and the pairs were most of its garbage
  const picked: Partial<Pick<T, K>> = {};
  for (const name of names) picked[name] = record[name];
  return picked as Pick<T, K>;
}

/** A JSON value as its field's TypeScript value; absent nullable fields (older writers) read null. */
export function fieldFromJson(spec: FieldSpec, value: unknown): unknown {
  if (value === undefined || value === null) return spec.nullable ? null : defaultOf(spec);
  switch (spec.type) {
    case 'time':
      return new Date(String(value));
    case 'integer':
    case 'number':
      return Number(value);
    case 'string':
      return String(value);
    case 'enum':
      return enumValue(spec, String(value));
    case 'json':
      return typeof value === 'object' && !Array.isArray(value) ? value : { value };
  }
}

/** A field's TypeScript value in JSON (times as RFC 3339). */
export function fieldToJson(spec: FieldSpec, value: unknown): unknown {
  if (value === null || value === undefined) return spec.nullable ? null : value;
  return spec.type === 'time' ? (value as Date).toISOString() : value;
}

/** A stored enum value, or its field's fallback when it is none of the values. */
export function enumValue(spec: FieldSpec, value: string): string {
  return spec.values?.includes(value) ? value : (spec.fallback ?? value);
}

function defaultOf(spec: FieldSpec): unknown {
  switch (spec.type) {
    case 'integer':
    case 'number':
      return 0;
    case 'json':
      return {};
    case 'enum':
      return spec.fallback ?? '';
    case 'time':
      return new Date(0);
    case 'string':
      return '';
  }
}

/** A result as JSON; a result not (yet) stored is given `evaluatedAt`. */
export function checkResultToJson(
  result: CheckResult | StoredCheckResult,
  evaluatedAt = new Date(),
): CheckResultJson {
  const record: Partial<StoredCheckResult> = { evaluatedAt, ...result };
  return Object.fromEntries(
    FIELD_LIST.map(([name, spec]) => [spec.column, fieldToJson(spec, record[name])]),
  ) as CheckResultJson;
}

/**
 * The inverse of checkResultToJson: a result read from the API, as the rest of the code uses
 * it (what the store added as it wrote, evaluated_at, is left out).
 */
export function checkResultFromJson(json: CheckResultJson): CheckResult {
  const row = json as Record<string, unknown>;
  return Object.fromEntries(
    FIELD_LIST.filter(([, spec]) => spec.setBy !== 'store').map(([name, spec]) => [
      name,
      fieldFromJson(spec, row[spec.column]),
    ]),
  ) as CheckResult;
}

/** An alert's facts in a notification's JSON; without facts, each field empty (null, '' or 0). */
export function alertFieldsToJson(facts: AlertFields | null): AlertFieldsJson {
  return Object.fromEntries(
    ALERT_FIELDS.map((name) => {
      const spec: FieldSpec = CHECK_RESULT_FIELDS[name];
      return [spec.column, facts ? fieldToJson(spec, facts[name]) : emptyJson(spec)];
    }),
  ) as AlertFieldsJson;
}

/** An alert's facts read back from JSON kept by an earlier version: what it lacks reads null. */
export function alertFieldsFrom(kept: Record<string, unknown>): AlertFields {
  return Object.fromEntries(
    ALERT_FIELDS.map((name) => [name, fieldFromJson(CHECK_RESULT_FIELDS[name], kept[name])]),
  ) as AlertFields;
}

function emptyJson(spec: FieldSpec): unknown {
  if (spec.nullable) return null;
  if (spec.type === 'integer' || spec.type === 'number') return 0;
  return spec.type === 'json' ? {} : '';
}
