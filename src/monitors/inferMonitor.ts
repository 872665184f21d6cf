import type { ColumnProfile, FileProfile } from '../baselines/columnProfile.js';
import type { ColumnKind } from '../baselines/tabularFile.js';
import { InputError } from '../errors.js';
import { defaultsOf, type Metric } from './checks/registry.js';
import { MODEL_TASKS, type ModelTask } from './modelTask.js';

/**
 * A monitor inferred from a training file's columns, every choice with the reason a person
 * reads on stdout and in the YAML's comments: which columns are features (and of which
 * kind), the model's score and label, the slices, and which checks with which thresholds.
 * Pure: `driftwatch init` profiles the file, calls this, renders and validates the result.
 */

export { MODEL_TASKS, type ModelTask };

/**
 * What monitor files can describe today. Issue 19 adds a `task:` key (multiclass and
 * regression); when it lands, widen this list and write the key in the renderer.
 */
export const SUPPORTED_TASKS: readonly ModelTask[] = ['binary'];

export function unsupportedTaskMessage(task: ModelTask): string | null {
  if (SUPPORTED_TASKS.includes(task)) return null;
  return `${task} models are not supported yet: monitor files describe binary classifiers (a score in [0, 1] and 0/1 labels) until a \`task:\` key lands (issue 19); leave --task out for a binary model`;
}

/** The YAML field names a model's events use outside `features`: never features themselves. */
const EVENT_FIELDS = new Set(['event_id', 'prediction_id', 'ts', 'model', 'model_version']);

/** Monitors read the baseline's score and label from the columns so named (as events name them). */
export const SCORE_COLUMN = 'score';
export const LABEL_COLUMN = 'label';

/** Names teams slice by: a text column with few values and such a name is a slice. */
const SLICE_NAME =
  /(^|_)(country|countries|region|channel|segment|platform|device|device_type|os|market|locale|language|tenant|site|source|cohort|geo|state|store|brand|partner|environment|env)($|_)/i;
/** Names of a score under another name, and of a label under another name. */
const SCORE_LIKE_NAME =
  /(^|_)(prob|proba|probability|pred|prediction|propensity|yhat|y_hat|y_score)($|_)/i;
const LABEL_LIKE_NAME =
  /^(target|y|outcome|ground_truth|truth|actual|class|labels?_.*|.*_(label|target))$/i;

/** At most this many values for an inferred slice (the monitor's max_slice_values). */
export const MAX_SLICE_VALUES = 20;
/** A categorical feature with more distinct values than this is left out unless asked for. */
export const MAX_CATEGORIES = 1000;
/** A column needs this many rows before "every value is different" says id. */
const MIN_ROWS_FOR_ID = 100;

export interface InitChoices {
  model: string;
  task: ModelTask;
  /** undefined: infer; null: none (--score none). */
  score?: string | null;
  label?: string | null;
  /** undefined: infer; []: none. */
  slices?: string[];
  /** undefined: infer; otherwise exactly these, a kind given overriding the inferred one. */
  features?: { name: string; kind?: ColumnKind }[];
}

export type ColumnRole = 'feature' | 'score' | 'label' | 'slice' | 'left out';

export interface ColumnDecision {
  column: string;
  role: ColumnRole;
  kind?: ColumnKind;
  /** Why, with the evidence: "all 20,000 values parse as numbers". */
  reason: string;
  /** The flag that changes this choice. */
  override: string;
}

export type CheckValue = number | string | string[];

export interface DraftCheck {
  metric: Metric;
  /** The check's fields after `metric`, in the order written. */
  fields: [string, CheckValue][];
  /** What it alarms on, in words, for the YAML comment. */
  comment: string;
}

export interface MonitorDraft {
  model: string;
  task: ModelTask;
  features: { name: string; kind: ColumnKind; reason: string }[];
  score: string | null;
  label: string | null;
  slices: { name: string; reason: string }[];
  threshold: number | null;
  decisions: ColumnDecision[];
  checks: DraftCheck[];
  /** Things to tell the person beyond the column table (a score under another name...). */
  notes: string[];
  /** Baseline rows, for the YAML's header. */
  rows: number;
}

const MODEL_NAME = /^[a-z0-9][a-z0-9_.-]*$/;

/** The defaults a new monitor starts from (each explained in the YAML beside it). */
export const DRAFT_DEFAULTS = {
  threshold: 0.5,
  window: '1h',
  schedule: '0 * * * *',
  minSamples: 100,
  labelDelay: '1d',
  labelMinCount: 200,
  /** out_of_range's share: see outOfRangeCheck. */
  outOfRangeMaxRate: 0.01,
} as const;

export function inferMonitor(profile: FileProfile, choices: InitChoices): MonitorDraft {
  if (!MODEL_NAME.test(choices.model)) {
    throw new InputError(
      { file: '--model' },
      `"${choices.model}": a model name is lower-case letters, digits, _ . - (starting with a letter or digit), as events carry it in their model field`,
    );
  }
  const unsupported = unsupportedTaskMessage(choices.task);
  if (unsupported) throw new InputError({ file: '--task' }, unsupported);
  const byName = new Map(profile.columns.map((column) => [column.name, column]));
  const known = (flag: string, name: string): ColumnProfile => {
    const column = byName.get(name);
    if (!column) {
      throw new InputError(
        { file: flag, column: name },
        `no such column in ${profile.file}; its columns: ${profile.columns.map((c) => c.name).join(', ')}`,
      );
    }
    return column;
  };
  const decisions = new Map<string, ColumnDecision>();
  const notes: string[] = [];

  const score = chooseScore(profile, choices, known, decisions);
  const label = chooseLabel(profile, choices, known, decisions);
  const slices = chooseSlices(profile, choices, known, decisions);
  const features = chooseFeatures(profile, choices, known, decisions, notes);
  if (features.length === 0) {
    throw new InputError(
      { file: profile.file },
      'no column is left to monitor as a feature (a monitor needs at least one): name some with --features',
    );
  }
  if (score === null && choices.score === undefined) {
    notes.push(
      `no column named ${SCORE_COLUMN} in the baseline: the monitor watches the features only (positive_rate and auroc need the model's score, which monitors read from a column named ${SCORE_COLUMN})`,
    );
  }
  const threshold = score === null ? null : DRAFT_DEFAULTS.threshold;
  return {
    model: choices.model,
    task: choices.task,
    features,
    score,
    label,
    slices,
    threshold,
    decisions: profile.columns.map(
      (column) =>
        decisions.get(column.name) ?? {
          column: column.name,
          role: 'left out',
          reason: 'not named in --features',
          override: '--features',
        },
    ),
    checks: binaryChecks(features, { score: score !== null, label: label !== null }),
    notes,
    rows: profile.rows,
  };
}

type Known = (flag: string, name: string) => ColumnProfile;

function chooseScore(
  profile: FileProfile,
  choices: InitChoices,
  known: Known,
  decisions: Map<string, ColumnDecision>,
): string | null {
  const override = `--score ${SCORE_COLUMN} | none`;
  if (choices.score === null) {
    const named = profile.columns.find((column) => column.name === SCORE_COLUMN);
    if (named) {
      decisions.set(named.name, {
        column: named.name,
        role: 'left out',
        reason: 'not the score (--score none); --features to monitor it as a feature',
        override: '--features',
      });
    }
    return null;
  }
  if (choices.score !== undefined) {
    const column = known('--score', choices.score);
    if (column.name !== SCORE_COLUMN)
      throw renameError('--score', column.name, SCORE_COLUMN, 'score');
  }
  const column = profile.columns.find((candidate) => candidate.name === SCORE_COLUMN);
  if (!column) return null;
  const problem = notAProbability(column);
  if (problem) {
    if (choices.score !== undefined) {
      throw new InputError(
        { file: '--score', column: column.name },
        `not a binary score: ${problem}`,
      );
    }
    decisions.set(column.name, {
      column: column.name,
      role: 'left out',
      reason: `named ${SCORE_COLUMN}, but not a binary model's score: ${problem}; --features to monitor it as a feature`,
      override: '--features',
    });
    return null;
  }
  decisions.set(column.name, {
    column: column.name,
    role: 'score',
    reason: `named ${SCORE_COLUMN}; ${describeRange(column)} (a probability, as events send it in "score")`,
    override,
  });
  return column.name;
}

function chooseLabel(
  profile: FileProfile,
  choices: InitChoices,
  known: Known,
  decisions: Map<string, ColumnDecision>,
): string | null {
  const override = `--label ${LABEL_COLUMN} | none`;
  if (choices.label === null) {
    const named = profile.columns.find((column) => column.name === LABEL_COLUMN);
    if (named) {
      decisions.set(named.name, {
        column: named.name,
        role: 'left out',
        reason: 'not the label (--label none); --features to monitor it as a feature',
        override: '--features',
      });
    }
    return null;
  }
  if (choices.label !== undefined) {
    const column = known('--label', choices.label);
    if (column.name !== LABEL_COLUMN)
      throw renameError('--label', column.name, LABEL_COLUMN, 'label');
  }
  const column = profile.columns.find((candidate) => candidate.name === LABEL_COLUMN);
  if (!column) return null;
  const values = column.listedValues ?? [];
  const binary = values.length > 0 && values.every((value) => value === '0' || value === '1');
  if (!binary) {
    const problem = `its values are ${describeValues(column)}, where a binary label is 0 or 1`;
    if (choices.label !== undefined) {
      throw new InputError(
        { file: '--label', column: column.name },
        `not a binary label: ${problem}`,
      );
    }
    decisions.set(column.name, {
      column: column.name,
      role: 'left out',
      reason: `named ${LABEL_COLUMN}, but ${problem}; --features to monitor it as a feature`,
      override: '--features',
    });
    return null;
  }
  decisions.set(column.name, {
    column: column.name,
    role: 'label',
    reason: `named ${LABEL_COLUMN}; values ${values.join(' and ')} (events send labels later, by prediction_id)`,
    override,
  });
  return column.name;
}

function chooseSlices(
  profile: FileProfile,
  choices: InitChoices,
  known: Known,
  decisions: Map<string, ColumnDecision>,
): { name: string; reason: string }[] {
  const override = '--slices a,b | none';
  if (choices.slices !== undefined) {
    return choices.slices.map((name) => {
      const column = known('--slices', name);
      const taken = decisions.get(name);
      if (taken && taken.role !== 'left out') {
        throw new InputError(
          { file: '--slices', column: name },
          `already the model's ${taken.role}`,
        );
      }
      const reason = `chosen with --slices (${describeValues(column)})`;
      decisions.set(name, { column: name, role: 'slice', kind: 'categorical', reason, override });
      return { name, reason };
    });
  }
  const slices: { name: string; reason: string }[] = [];
  for (const column of profile.columns) {
    if (decisions.has(column.name) || column.kind !== 'categorical') continue;
    if (!SLICE_NAME.test(column.name) || column.allTimes) continue;
    if (column.distinct < 2 || column.distinct > MAX_SLICE_VALUES) continue;
    const reason = `text with ${column.distinct} values (${describeValues(column)}), named like a slice`;
    decisions.set(column.name, {
      column: column.name,
      role: 'slice',
      kind: 'categorical',
      reason,
      override,
    });
    slices.push({ name: column.name, reason });
  }
  return slices;
}

function chooseFeatures(
  profile: FileProfile,
  choices: InitChoices,
  known: Known,
  decisions: Map<string, ColumnDecision>,
  notes: string[],
): { name: string; kind: ColumnKind; reason: string }[] {
  if (choices.features !== undefined) {
    return choices.features.map(({ name, kind }) => {
      const column = known('--features', name);
      const taken = decisions.get(name);
      if (taken && taken.role !== 'left out') {
        throw new InputError(
          { file: '--features', column: name },
          `already the model's ${taken.role}: a column is one thing`,
        );
      }
      if (kind === 'numeric' && column.kind !== 'numeric') {
        throw new InputError(
          { file: '--features', column: name },
          `cannot be numeric: ${kindEvidence(column, profile.rows)}`,
        );
      }
      const chosen = kind ?? column.kind;
      const reason =
        kind !== undefined && kind !== column.kind
          ? `chosen with --features as ${kind} (${kindEvidence(column, profile.rows)})`
          : `chosen with --features; ${kindEvidence(column, profile.rows)}`;
      decisions.set(name, {
        column: name,
        role: 'feature',
        kind: chosen,
        reason,
        override: '--features',
      });
      return { name, kind: chosen, reason };
    });
  }
  const features: { name: string; kind: ColumnKind; reason: string }[] = [];
  for (const column of profile.columns) {
    if (decisions.has(column.name)) continue;
    const leftOut = whyLeftOut(column, profile.rows);
    if (leftOut) {
      decisions.set(column.name, {
        column: column.name,
        role: 'left out',
        reason: `${leftOut}; --features to keep it`,
        override: '--features',
      });
      continue;
    }
    const reason = kindEvidence(column, profile.rows);
    decisions.set(column.name, {
      column: column.name,
      role: 'feature',
      kind: column.kind,
      reason,
      override: '--features',
    });
    features.push({ name: column.name, kind: column.kind, reason });
    if (
      column.kind === 'numeric' &&
      SCORE_LIKE_NAME.test(column.name) &&
      notAProbability(column) === null
    ) {
      notes.push(
        `${column.name} looks like a model score (named so; ${describeRange(column)}): if it is this model's score, rename the column to ${SCORE_COLUMN} (monitors read the baseline's score from that column, as events send it in "score") and run init again; kept as a feature meanwhile`,
      );
    }
    if (LABEL_LIKE_NAME.test(column.name) && isZeroOne(column)) {
      notes.push(
        `${column.name} looks like a label (named so; values 0 and 1): if it is this model's label, rename the column to ${LABEL_COLUMN} (monitors read the baseline's labels from that column) and run init again; kept as a feature meanwhile`,
      );
    }
  }
  return features;
}

/** Why a column is not a feature by default, or null when it is one. */
function whyLeftOut(column: ColumnProfile, rows: number): string | null {
  if (EVENT_FIELDS.has(column.name)) {
    return `an event field (events carry ${column.name} beside their features, not among them)`;
  }
  if (column.values === 0) return 'no values in the baseline (every row is empty)';
  if (column.allTimes)
    return `a time column (every value parses as a date or time, e.g. ${exampleOf(column)})`;
  const idLike =
    rows >= MIN_ROWS_FOR_ID &&
    column.values === rows &&
    column.distinct === rows &&
    (column.kind === 'categorical' || column.numbers?.integral === true);
  if (idLike) {
    return `id-like: every one of its ${count(rows)} values is different${column.kind === 'numeric' ? ' (whole numbers)' : ''}`;
  }
  if (column.kind === 'categorical' && column.distinct > MAX_CATEGORIES) {
    return `${count(column.distinct)} distinct values: more than ${count(MAX_CATEGORIES)}, too many for a categorical feature (PSI and chi-square need values that repeat)`;
  }
  return null;
}

/** Why a column has its kind, in the file's own terms. */
export function kindEvidence(column: ColumnProfile, rows: number): string {
  const empty = column.values < rows ? `; ${count(rows - column.values)} empty` : '';
  if (column.evidence.source === 'typed') {
    const values =
      column.kind === 'numeric'
        ? describeRange(column)
        : `${count(column.distinct)} distinct values${listing(column)}`;
    return `${column.kind}: a ${column.evidence.format} column of type ${column.evidence.type}; ${values}${empty}`;
  }
  if (column.kind === 'numeric') {
    return `numeric: all ${count(column.values)} ${column.values === 1 ? 'value parses' : 'values parse'} as numbers${empty}; ${describeRange(column)}`;
  }
  const { numberValues, textExample } = column.evidence;
  if (column.values === 0) return 'categorical: no values to tell the kind by';
  const text =
    numberValues === 0
      ? 'text'
      : `text: ${count(column.values - numberValues)} of ${count(column.values)} values are not numbers`;
  const example = textExample === undefined ? '' : ` (e.g. ${JSON.stringify(textExample)})`;
  return `categorical: ${text}${example}; ${count(column.distinct)} distinct values${listing(column)}${empty}`;
}

function listing(column: ColumnProfile): string {
  const values = column.listedValues;
  return values && values.length <= 5 ? `: ${values.join(', ')}` : '';
}

function describeValues(column: ColumnProfile): string {
  const values = column.listedValues;
  if (values && values.length <= 5) return values.length === 0 ? 'no values' : values.join(', ');
  return `${count(column.distinct)} distinct values`;
}

function describeRange(column: ColumnProfile): string {
  const numbers = column.numbers;
  if (!numbers || numbers.min === null || numbers.max === null) return 'no finite values';
  const nonFinite = numbers.nonFinite > 0 ? `; ${count(numbers.nonFinite)} NaN or infinite` : '';
  return numbers.min === numbers.max
    ? `a single value, ${numbers.min}${nonFinite}`
    : `from ${numbers.min} to ${numbers.max}${nonFinite}`;
}

function exampleOf(column: ColumnProfile): string {
  const listed = column.listedValues?.[0];
  const example =
    column.evidence.source === 'csv' ? (column.evidence.textExample ?? listed) : listed;
  return example === undefined ? '...' : JSON.stringify(example);
}

/** Why a column cannot be a binary model's score (a probability), or null when it can. */
function notAProbability(column: ColumnProfile): string | null {
  if (column.kind !== 'numeric') return 'it holds text, where a score is a number';
  const numbers = column.numbers;
  if (!numbers || numbers.min === null || numbers.max === null) return 'it has no finite values';
  if (numbers.nonFinite > 0) return `${count(numbers.nonFinite)} of its values are NaN or infinite`;
  if (numbers.min < 0 || numbers.max > 1) {
    return `its values run ${describeRange(column)}, where a score is a probability in [0, 1]`;
  }
  return null;
}

function isZeroOne(column: ColumnProfile): boolean {
  const values = column.listedValues ?? [];
  return values.length === 2 && values[0] === '0' && values[1] === '1';
}

function renameError(flag: string, column: string, expected: string, what: string): InputError {
  return new InputError(
    { file: flag, column },
    `monitors read the baseline's ${what} from a column named ${expected} (as events send it in "${what}"): rename the column to ${expected} in the baseline file, or pass ${flag} none`,
  );
}

const count = (n: number) => n.toLocaleString('en');

/** '7d' from 7 days in milliseconds: the largest whole unit, up to days. */
export function formatDuration(ms: number): string {
  const units: [string, number][] = [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ];
  for (const [unit, size] of units) if (ms % size === 0 && ms >= size) return `${ms / size}${unit}`;
  return `${Math.round(ms / 1000)}s`;
}

/**
 * The checks a new binary monitor starts with, thresholds from the statistics registry
 * (src/monitors/checks/registry.ts) — except out_of_range, see below.
 */
function binaryChecks(
  features: readonly { kind: ColumnKind }[],
  has: { score: boolean; label: boolean },
): DraftCheck[] {
  const numeric = features.some((feature) => feature.kind === 'numeric');
  const categorical = features.some((feature) => feature.kind === 'categorical');
  const checks: DraftCheck[] = [];
  const psi = defaultsOf('psi', 'distance');
  checks.push({
    metric: 'psi',
    fields: [
      ['features', 'all'],
      ['warn', psi.warn ?? 0.1],
      ['critical', psi.critical ?? 0.25],
    ],
    comment: `population stability index of every feature: warn from ${psi.warn}, critical from ${psi.critical}`,
  });
  if (numeric) {
    const ks = defaultsOf('ks', 'p_value');
    checks.push({
      metric: 'ks',
      fields: [
        ['features', 'all'],
        ['p_value', ks.pValue],
        ['min_statistic', ks.minEffect],
      ],
      comment: `numeric features: Kolmogorov-Smirnov test at p < ${ks.pValue} and D >= ${ks.minEffect} (on many events every p-value is tiny; D says the shift matters)`,
    });
  }
  if (categorical) {
    const chi2 = defaultsOf('chi2', 'p_value');
    checks.push({
      metric: 'chi2',
      fields: [
        ['features', 'all'],
        ['p_value', chi2.pValue],
        ['min_statistic', chi2.minEffect],
      ],
      comment: `categorical features: chi-square test at p < ${chi2.pValue} and a Jensen-Shannon distance >= ${chi2.minEffect}`,
    });
    checks.push({
      metric: 'new_categories',
      fields: [
        ['features', 'all'],
        ['severity', 'warn'],
      ],
      comment: 'a category the baseline never had (a warning: new values are often legitimate)',
    });
  }
  const nullRate = defaultsOf('null_rate', 'rate');
  checks.push({
    metric: 'null_rate',
    fields: [
      ['features', 'all'],
      ['max_increase', nullRate.maxIncrease ?? 0.05],
    ],
    comment: `a feature's share of null or absent values rising more than ${percentPoints(nullRate.maxIncrease ?? 0.05)} over the baseline's`,
  });
  if (numeric) {
    checks.push({
      metric: 'non_finite',
      fields: [
        ['features', 'all'],
        ['max_rate', defaultsOf('non_finite', 'rate').maxRate],
      ],
      comment: 'any NaN or infinite value in a numeric feature: a broken upstream',
    });
    checks.push({
      metric: 'out_of_range',
      fields: [
        ['features', 'all'],
        ['max_rate', DRAFT_DEFAULTS.outOfRangeMaxRate],
      ],
      // The registry's 0 alarms on one value past the baseline's extremes, which a window of
      // n values holds about 2n/(N+1) of by chance (N baseline rows): it would cry wolf.
      comment: `more than ${percentPoints(DRAFT_DEFAULTS.outOfRangeMaxRate, '%')} of values outside the baseline's min and max (not the registry's ${defaultsOf('out_of_range', 'rate').maxRate}: by chance alone a window holds a few values past the extremes); declare a feature's valid range as { kind: numeric, range: [min, max] }`,
    });
  }
  checks.push({
    metric: 'wrong_type',
    fields: [
      ['features', 'all'],
      ['max_rate', defaultsOf('wrong_type', 'rate').maxRate],
    ],
    comment:
      'any value of the other type: text for a numeric feature, a number for a categorical one',
  });
  checks.push({
    metric: 'schema',
    fields: [['severity', 'warn']],
    comment: 'declared features absent from the window, or event features the baseline never had',
  });
  checks.push({
    metric: 'duplicate_ids',
    fields: [
      ['max_rate', defaultsOf('duplicate_ids', 'rate').maxRate],
      ['severity', 'warn'],
    ],
    comment: 'events of the window sharing a prediction_id (a producer sending twice)',
  });
  const volume = defaultsOf('volume', 'ratio');
  checks.push({
    metric: 'volume',
    fields: [
      ['min_ratio', volume.minRatio],
      ['trailing', formatDuration(volume.trailingMs)],
    ],
    comment: `fewer than ${volume.minRatio} times the events of an average window over the trailing ${formatDuration(volume.trailingMs)}`,
  });
  checks.push({
    metric: 'freshness',
    fields: [],
    comment: `no event for longer than a window (${DRAFT_DEFAULTS.window}) before the window's end: silence is a finding, never "ok"`,
  });
  if (has.score) {
    const shift = defaultsOf('positive_rate', 'shift');
    checks.push({
      metric: 'positive_rate',
      fields: [
        ['max_shift', shift.maxShift],
        ['p_value', shift.pValue ?? 0.01],
      ],
      comment: `the share of scores at or above the threshold moving more than ${percentPoints(shift.maxShift)} from the baseline's (z-test at p < ${shift.pValue ?? 0.01})`,
    });
  }
  if (has.label) {
    const actual = defaultsOf('actual_positive_rate', 'shift');
    checks.push({
      metric: 'actual_positive_rate',
      fields: [['max_shift', actual.maxShift]],
      comment: `the share of label 1 moving more than ${percentPoints(actual.maxShift)} from the baseline's, once labels are due`,
    });
  }
  if (has.score && has.label) {
    const auroc = defaultsOf('auroc', 'score');
    checks.push({
      metric: 'auroc',
      fields: [['min', auroc.critical ?? 0.5]],
      comment: `AUROC once labels are due, critical below ${auroc.critical ?? 0.5} (a coin's): raise it to what the model must keep`,
    });
  }
  return checks;
}

function percentPoints(rate: number, unit = ' points'): string {
  return `${Number((rate * 100).toFixed(4))}${unit}`;
}
