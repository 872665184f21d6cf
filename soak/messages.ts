import { createHash } from 'node:crypto';
import { createRandom, type Random } from '../src/demo/random.js';

/**
 * What the soak producer puts on the wire: good predictions and labels for one model, and
 * one hostile message in every hundred, of each class issue 7 lists, with the outcome the
 * service must give it. Pure: the producer process and the tests use the same functions.
 */
export const SOAK_MODEL = 'soak';

/** How the service must treat a message of a class: a dead-letter reason, or stored. */
export type Expectation = { reason: string } | 'stored';

export interface InjectedClass {
  name: string;
  expect: Expectation;
  /** The message, unique by `id` (so its SHA-256 identifies it among the dead letters). */
  payload(id: string, nowIso: string): string | Buffer;
}

const CATEGORIES = ['grocery', 'travel', 'electronics', 'gaming', 'fuel'];
const CATEGORY_WEIGHTS = [5, 2, 2, 1, 1];
const COUNTRIES = ['US', 'GB', 'DE'];

/** One prediction's fields, drawn from the distribution the baseline is drawn from. */
export interface PredictionFields {
  amount: number;
  device_score: number;
  merchant_category: string;
  country: string;
  score: number;
}

export function drawPrediction(random: Random): PredictionFields {
  return {
    amount: Math.round(Math.exp(random.normal(3, 0.8)) * 100) / 100,
    device_score: Math.round(random.uniform() * 10_000) / 10_000,
    merchant_category: random.pick(CATEGORIES, CATEGORY_WEIGHTS),
    country: random.pick(COUNTRIES),
    score: Math.round(random.uniform() * 10_000) / 10_000,
  };
}

/** A valid prediction; `amount` and `score` are written as given (`1e309` included). */
export function predictionText(
  id: string,
  ts: string,
  fields: PredictionFields,
  overrides: { amount?: string; score?: string; extra?: string } = {},
): string {
  return (
    `{"event_id":"${id}","model":"${SOAK_MODEL}","model_version":"v1","ts":"${ts}",` +
    `"prediction_id":"p-${id}","features":{"amount":${overrides.amount ?? fields.amount},` +
    `"device_score":${fields.device_score},"merchant_category":"${fields.merchant_category}"},` +
    `"score":${overrides.score ?? fields.score},"attributes":{"country":"${fields.country}"}` +
    `${overrides.extra ?? ''}}`
  );
}

export function labelText(predictionId: string, label: number, ts: string): string {
  return `{"model":"${SOAK_MODEL}","prediction_id":"${predictionId}","label":${label},"ts":"${ts}"}`;
}

const FIXED: PredictionFields = {
  amount: 12.5,
  device_score: 0.5,
  merchant_category: 'grocery',
  country: 'US',
  score: 0.5,
};

/**
 * The event size limit the soak gives the service (`DRIFTWATCH_MAX_EVENT_BYTES`): lower
 * than the default 1 MiB so that its too-large messages do not fill the mock broker's
 * 5 MiB per partition; above the 20 KB of a message nested 10,000 deep.
 */
export const SOAK_MAX_EVENT_BYTES = 32 * 1024;

/** Every class of issue 7's list that is one message, with its expected outcome. */
export const INJECTED_CLASSES: readonly InjectedClass[] = [
  {
    name: 'not JSON',
    expect: { reason: 'not_json' },
    payload: (id, now) => predictionText(id, now, FIXED).slice(0, 40),
  },
  {
    name: 'not UTF-8',
    expect: { reason: 'not_utf8' },
    payload: (id, now) =>
      Buffer.concat([
        Buffer.from(predictionText(id, now, FIXED).slice(0, -1)),
        Buffer.from([0xff, 0x7d]),
      ]),
  },
  {
    name: 'too large (36 KiB)',
    expect: { reason: 'too_large' },
    payload: (id, now) =>
      predictionText(id, now, FIXED, {
        extra: `,"pad":"${'x'.repeat(SOAK_MAX_EVENT_BYTES + 4096)}"`,
      }),
  },
  {
    name: 'missing field (no ts)',
    expect: { reason: 'invalid' },
    payload: (id, now) => predictionText(id, now, FIXED).replace(`"ts":"${now}",`, ''),
  },
  {
    name: 'invalid field (score "high")',
    expect: { reason: 'invalid' },
    payload: (id, now) => predictionText(id, now, FIXED, { score: '"high"' }),
  },
  {
    name: 'lone surrogate',
    expect: { reason: 'invalid_text' },
    payload: (id, now) => predictionText(`${id}\\ud800`, now, FIXED),
  },
  {
    name: 'leap-second timestamp',
    expect: { reason: 'invalid_timestamp' },
    payload: (id) => predictionText(id, '2026-12-31T23:59:60Z', FIXED),
  },
  {
    name: 'nesting 10,000 deep',
    expect: { reason: 'too_deep' },
    payload: (id, now) =>
      predictionText(id, now, FIXED, {
        extra: `,"extra":${'['.repeat(10_000)}${']'.repeat(10_000)}`,
      }),
  },
  {
    name: 'year 0000',
    expect: { reason: 'ts_out_of_range' },
    payload: (id) => predictionText(id, '0000-11-22T23:30:00Z', FIXED),
  },
  {
    name: 'year 1899',
    expect: { reason: 'ts_out_of_range' },
    payload: (id) => predictionText(id, '1899-06-01T00:00:00Z', FIXED),
  },
  {
    name: 'year 9999',
    expect: { reason: 'ts_out_of_range' },
    payload: (id) => predictionText(id, '9999-06-01T00:00:00Z', FIXED),
  },
  {
    name: 'score 1e309',
    expect: { reason: 'non_finite' },
    payload: (id, now) => predictionText(id, now, FIXED, { score: '1e309' }),
  },
  {
    name: 'feature 1e309 (stored as inf)',
    expect: 'stored',
    payload: (id, now) => predictionText(id, now, FIXED, { amount: '1e309' }),
  },
];

/** The class that is a batch, not a message: 120 valid events, one per month from 2016. */
export const MONTHS_CLASS = 'a batch spanning 120 months';
export const MONTHS_PER_BATCH = 120;

export function monthsBatch(batch: number): { id: string; payload: string }[] {
  return Array.from({ length: MONTHS_PER_BATCH }, (_, i) => {
    const id = `m-${batch}-${i}`;
    const ts = new Date(Date.UTC(2016, i, 15, 12, 0, 0)).toISOString();
    return { id, payload: predictionText(id, ts, FIXED) };
  });
}

export function sha256(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex');
}

/** A reproducible stream of good predictions (and the baseline drawn alike). */
export function createPredictionSource(seed: number): () => PredictionFields {
  const random = createRandom(seed);
  return () => drawPrediction(random);
}

/** The monitor's training baseline: the same distribution as the live events. */
export function baselineCsv(rows: number, seed = 7): string {
  const random = createRandom(seed);
  const lines = ['amount,device_score,merchant_category,country,score,label'];
  for (let i = 0; i < rows; i += 1) {
    const p = drawPrediction(random);
    const label = random.uniform() < p.score ? 1 : 0;
    lines.push(
      `${p.amount},${p.device_score},${p.merchant_category},${p.country},${p.score},${label}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** Runs every minute over the last two minutes of the same events. */
export const MONITOR_YAML = `# The soak's monitor: every minute, on the events the soak produces.
model: ${SOAK_MODEL}
baseline: { file: ../baselines/soak.csv }
features:
  amount: numeric
  device_score: { kind: numeric, range: [0, 1] }
  merchant_category: categorical
prediction: { threshold: 0.5 }
slices: [country]
schedule: '* * * * *'
window: 2m
min_samples: 50
labels: { delay: 2m, min_count: 20 }
checks:
  - { metric: psi, features: all, warn: 0.1, critical: 0.25 }
  - { metric: ks, features: [amount], p_value: 0.01, min_statistic: 0.1 }
  - { metric: chi2, features: [merchant_category], p_value: 0.01, min_statistic: 0.1 }
  - { metric: null_rate, features: all, max_increase: 0.05 }
  - { metric: out_of_range, features: [device_score], max_rate: 0.001 }
  - { metric: wrong_type, features: all, max_rate: 0 }
  - { metric: duplicate_ids, max_rate: 0.001, severity: warn }
  - { metric: positive_rate, max_shift: 0.05, p_value: 0.01 }
  - { metric: auroc, min: 0.6 }
`;
