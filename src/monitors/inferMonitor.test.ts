import { describe, expect, it } from 'vitest';
import type { ColumnProfile, FileProfile } from '../baselines/columnProfile.js';
import { InputError } from '../errors.js';
import { defaultsOf } from './checks/registry.js';
import { inferMonitor, type InitChoices } from './inferMonitor.js';

const ROWS = 10_000;

/** A numeric CSV column: every value a number. */
function numeric(
  name: string,
  min: number,
  max: number,
  options: { values?: number; distinct?: number; integral?: boolean; listed?: string[] } = {},
): ColumnProfile {
  const values = options.values ?? ROWS;
  return {
    name,
    kind: 'numeric',
    values,
    distinct: options.distinct ?? 5000,
    evidence: { source: 'csv', numberValues: values },
    numbers: { min, max, integral: options.integral ?? false, nonFinite: 0 },
    ...(options.listed ? { listedValues: options.listed } : {}),
    allTimes: false,
  };
}

/** A text CSV column with these distinct values (or only a count of them). */
function text(
  name: string,
  listed: string[] | number,
  options: { values?: number; allTimes?: boolean } = {},
): ColumnProfile {
  const values = options.values ?? ROWS;
  return {
    name,
    kind: 'categorical',
    values,
    distinct: typeof listed === 'number' ? listed : listed.length,
    evidence: {
      source: 'csv',
      numberValues: 0,
      textExample: typeof listed === 'number' ? 'x' : listed[0],
    },
    ...(typeof listed === 'number' ? {} : { listedValues: listed }),
    allTimes: options.allTimes ?? false,
  };
}

function profile(columns: ColumnProfile[]): FileProfile {
  return { file: 'train.csv', format: 'CSVWithNames', rows: ROWS, columns };
}

const FRAUD = profile([
  numeric('amount', 1.06, 758.28),
  numeric('device_score', 0, 1, { values: 9_815 }),
  text('merchant_category', ['electronics', 'grocery', 'travel']),
  text('channel', ['android', 'ios', 'web']),
  text('country', ['BR', 'DE', 'FR', 'GB', 'US']),
  numeric('score', 0.0007, 0.9756),
  numeric('label', 0, 1, { distinct: 2, integral: true, listed: ['0', '1'] }),
]);

const binary = (choices: Partial<InitChoices> = {}): InitChoices => ({
  model: 'fraud-detector',
  task: 'binary',
  ...choices,
});

function inputError(run: () => unknown): InputError {
  try {
    run();
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error('expected an InputError');
}

describe('inferMonitor: a monitor from the columns of a training file', () => {
  it('finds the features and their kinds, the score, the label and the slices, each with its reason', () => {
    const draft = inferMonitor(FRAUD, binary());
    expect(draft.features.map((f) => [f.name, f.kind])).toEqual([
      ['amount', 'numeric'],
      ['device_score', 'numeric'],
      ['merchant_category', 'categorical'],
    ]);
    expect(draft.score).toBe('score');
    expect(draft.label).toBe('label');
    expect(draft.threshold).toBe(0.5);
    expect(draft.slices.map((s) => s.name)).toEqual(['channel', 'country']);
    const reasons = Object.fromEntries(draft.decisions.map((d) => [d.column, d.reason]));
    expect(reasons.amount).toBe('numeric: all 10,000 values parse as numbers; from 1.06 to 758.28');
    expect(reasons.device_score).toBe(
      'numeric: all 9,815 values parse as numbers; 185 empty; from 0 to 1',
    );
    expect(reasons.merchant_category).toBe(
      'categorical: text (e.g. "electronics"); 3 distinct values: electronics, grocery, travel',
    );
    expect(reasons.channel).toBe('text with 3 values (android, ios, web), named like a slice');
    expect(reasons.score).toMatch(/^named score; from 0\.0007 to 0\.9756/);
    expect(reasons.label).toMatch(/^named label; values 0 and 1/);
    // device_score is in [0, 1] but not named like a score: a feature, without a note
    expect(draft.notes).toEqual([]);
  });

  it("takes its checks' thresholds from the statistics registry", () => {
    const draft = inferMonitor(FRAUD, binary());
    const check = (metric: string) =>
      Object.fromEntries(draft.checks.find((c) => c.metric === metric)?.fields ?? []);
    expect(draft.checks.map((c) => c.metric)).toEqual([
      'psi',
      'ks',
      'chi2',
      'new_categories',
      'null_rate',
      'non_finite',
      'out_of_range',
      'wrong_type',
      'schema',
      'duplicate_ids',
      'volume',
      'freshness',
      'positive_rate',
      'actual_positive_rate',
      'auroc',
    ]);
    const psi = defaultsOf('psi', 'distance');
    expect(check('psi')).toEqual({ features: 'all', warn: psi.warn, critical: psi.critical });
    const ks = defaultsOf('ks', 'p_value');
    expect(check('ks')).toEqual({
      features: 'all',
      p_value: ks.pValue,
      min_statistic: ks.minEffect,
    });
    expect(check('null_rate')).toEqual({
      features: 'all',
      max_increase: defaultsOf('null_rate', 'rate').maxIncrease,
    });
    expect(check('volume')).toEqual({ min_ratio: 0.5, trailing: '7d' });
    expect(check('auroc')).toEqual({ min: defaultsOf('auroc', 'score').critical });
    // the one deliberate departure, said in its comment
    expect(check('out_of_range')).toEqual({ features: 'all', max_rate: 0.01 });
    expect(draft.checks.find((c) => c.metric === 'out_of_range')?.comment).toMatch(
      /not the registry's 0/,
    );
  });

  it('leaves out ids, timestamps, event fields, empty and overly varied columns, saying why', () => {
    const draft = inferMonitor(
      profile([
        text('request_id', ROWS),
        numeric('customer_number', 1, ROWS, { distinct: ROWS, integral: true }),
        text('created_at', 9_000, { allTimes: true }),
        text('prediction_id', ROWS),
        text('notes', [], { values: 0 }),
        text('free_text', 4_000),
        numeric('amount', 1, 100),
      ]),
      binary(),
    );
    expect(draft.features.map((f) => f.name)).toEqual(['amount']);
    const reasons = Object.fromEntries(
      draft.decisions.filter((d) => d.role === 'left out').map((d) => [d.column, d.reason]),
    );
    expect(reasons).toEqual({
      request_id: 'id-like: every one of its 10,000 values is different; --features to keep it',
      customer_number:
        'id-like: every one of its 10,000 values is different (whole numbers); --features to keep it',
      created_at:
        'a time column (every value parses as a date or time, e.g. "x"); --features to keep it',
      prediction_id:
        'an event field (events carry prediction_id beside their features, not among them); --features to keep it',
      notes: 'no values in the baseline (every row is empty); --features to keep it',
      free_text:
        '4,000 distinct values: more than 1,000, too many for a categorical feature (PSI and chi-square need values that repeat); --features to keep it',
    });
    // no score, no label: the model-output checks are not written, and that is said
    expect(draft.checks.map((c) => c.metric)).not.toContain('positive_rate');
    expect(draft.checks.map((c) => c.metric)).not.toContain('auroc');
    expect(draft.notes[0]).toMatch(/no column named score/);
  });

  it('keeps a score or a label under another name as a feature, and says how to use it', () => {
    const draft = inferMonitor(
      profile([
        numeric('amount', 1, 100),
        numeric('fraud_prob', 0.01, 0.97),
        numeric('is_fraud_label', 0, 1, { distinct: 2, integral: true, listed: ['0', '1'] }),
      ]),
      binary(),
    );
    expect(draft.features.map((f) => f.name)).toEqual(['amount', 'fraud_prob', 'is_fraud_label']);
    expect(draft.score).toBeNull();
    expect(draft.notes.join('\n')).toMatch(
      /fraud_prob looks like a model score .* rename the column to score/,
    );
    expect(draft.notes.join('\n')).toMatch(
      /is_fraud_label looks like a label .* rename the column to label/,
    );
    const error = inputError(() => inferMonitor(FRAUD, binary({ score: 'amount' })));
    expect(error.message).toMatch(
      /^--score: column "amount": monitors read the baseline's score from a column named score/,
    );
  });

  it('does not take a "score" outside [0, 1] or a "label" that is not 0/1 for the model\'s', () => {
    const draft = inferMonitor(
      profile([
        numeric('amount', 1, 100),
        numeric('score', -3.5, 12),
        text('label', ['no', 'yes']),
      ]),
      binary(),
    );
    expect(draft.score).toBeNull();
    expect(draft.label).toBeNull();
    const reasons = Object.fromEntries(draft.decisions.map((d) => [d.column, [d.role, d.reason]]));
    expect(reasons.score).toEqual([
      'left out',
      "named score, but not a binary model's score: its values run from -3.5 to 12, where a score is a probability in [0, 1]; --features to monitor it as a feature",
    ]);
    expect(reasons.label).toEqual([
      'left out',
      'named label, but its values are no, yes, where a binary label is 0 or 1; --features to monitor it as a feature',
    ]);
  });

  it('follows the flags: --features with kinds, --slices, --score none, --label none', () => {
    const draft = inferMonitor(
      FRAUD,
      binary({
        features: [{ name: 'amount' }, { name: 'device_score', kind: 'categorical' }],
        slices: ['merchant_category'],
        score: null,
        label: null,
      }),
    );
    expect(draft.features.map((f) => [f.name, f.kind])).toEqual([
      ['amount', 'numeric'],
      ['device_score', 'categorical'],
    ]);
    expect(draft.slices.map((s) => s.name)).toEqual(['merchant_category']);
    expect(draft.score).toBeNull();
    expect(draft.label).toBeNull();
    expect(draft.threshold).toBeNull();
    const roles = Object.fromEntries(draft.decisions.map((d) => [d.column, d.role]));
    expect(roles).toEqual({
      amount: 'feature',
      device_score: 'feature',
      merchant_category: 'slice',
      channel: 'left out',
      country: 'left out',
      score: 'left out',
      label: 'left out',
    });
    expect(inferMonitor(FRAUD, binary({ slices: [] })).slices).toEqual([]);
  });

  it('refuses what cannot be, naming the flag and the column', () => {
    expect(inputError(() => inferMonitor(FRAUD, binary({ slices: ['nope'] }))).message).toBe(
      '--slices: column "nope": no such column in train.csv; its columns: amount, device_score, merchant_category, channel, country, score, label',
    );
    expect(
      inputError(() =>
        inferMonitor(FRAUD, binary({ features: [{ name: 'merchant_category', kind: 'numeric' }] })),
      ).message,
    ).toMatch(/^--features: column "merchant_category": cannot be numeric: categorical: text/);
    expect(
      inputError(() => inferMonitor(FRAUD, binary({ features: [{ name: 'score' }] }))).message,
    ).toBe('--features: column "score": already the model\'s score: a column is one thing');
    expect(inputError(() => inferMonitor(FRAUD, binary({ model: 'Fraud Model' }))).message).toMatch(
      /^--model: "Fraud Model": a model name is lower-case letters/,
    );
    expect(
      inputError(() => inferMonitor(profile([text('request_id', ROWS)]), binary())).message,
    ).toMatch(/no column is left to monitor as a feature/);
  });

  it('refuses multiclass and regression until monitor files can say so, in one message', () => {
    for (const task of ['multiclass', 'regression'] as const) {
      expect(inputError(() => inferMonitor(FRAUD, binary({ task }))).message).toBe(
        `--task: ${task} models are not supported yet: monitor files describe binary classifiers (a score in [0, 1] and 0/1 labels) until a \`task:\` key lands (issue 19); leave --task out for a binary model`,
      );
    }
  });
});
