import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createRandom, type Random } from './random.js';

/**
 * The monitor files (and, beside them, the baselines) these models are made for: the
 * package's own monitors/, from src/demo or dist/demo alike, so the demo runs the same
 * wherever it is started — in a checkout, or from an installed package in any directory.
 */
export const DEMO_MONITORS_DIR = fileURLToPath(new URL('../../monitors/', import.meta.url));

/**
 * Two synthetic models for the demo and the tests. Each draws one row (features, slice
 * attributes, a score and the true label) either as in training or drifted, so that the
 * baseline files, the streamed events and the planted drift all come from one place.
 */
export interface DemoRow {
  features: Record<string, number | string | null>;
  attributes: Record<string, string>;
  score: number;
  label: 0 | 1;
}

export interface DemoModel {
  name: string;
  draw(random: Random, drifted: boolean): DemoRow;
  /** Where the drift is planted, for people reading the demo's output. */
  plantedDrift: string;
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;

export const fraudDetector: DemoModel = {
  name: 'fraud-detector',
  plantedDrift:
    'amount grows on the web channel; a new merchant category "gaming"; device_score arrives empty more often',
  draw(random, drifted) {
    const country = random.pick(['US', 'GB', 'DE', 'FR', 'BR'], [5, 2, 2, 1, 1]);
    const channel = random.pick(['web', 'ios', 'android'], [5, 3, 2]);
    const shift = drifted && channel === 'web' ? 0.7 : 0;
    const amount = Math.exp(random.normal(3.5 + shift, 0.8));
    const merchant = drifted
      ? random.pick(['grocery', 'travel', 'electronics', 'gaming'], [4, 2, 2, 2])
      : random.pick(['grocery', 'travel', 'electronics'], [5, 2, 3]);
    const risk =
      (Math.log(amount) - 3.5) * 0.9 + (merchant === 'electronics' ? 0.5 : 0) + random.normal(0, 1);
    const label = random.uniform() < sigmoid(risk - 2.2) ? 1 : 0;
    return {
      features: {
        amount: round(amount, 2),
        account_age_days: Math.max(0, Math.round(random.normal(400, 150))),
        device_score: random.uniform() < (drifted ? 0.2 : 0.01) ? null : round(random.uniform(), 4),
        merchant_category: merchant,
      },
      attributes: { country, channel },
      score: round(sigmoid(risk - 2.2 + random.normal(0, 0.6) + (drifted ? 0.3 : 0)), 4),
      label,
    };
  },
};

export const churnModel: DemoModel = {
  name: 'churn-model',
  plantedDrift: 'the plan mix moves to "basic" in the EU region and monthly charges rise there',
  draw(random, drifted) {
    const region = random.pick(['NA', 'EU', 'APAC'], [5, 3, 2]);
    const euDrift = drifted && region === 'EU';
    const plan = euDrift
      ? random.pick(['basic', 'standard', 'premium'], [7, 2, 1])
      : random.pick(['basic', 'standard', 'premium'], [3, 5, 2]);
    const tenure = Math.max(0, Math.round(random.normal(24, 12)));
    const charges =
      random.normal(plan === 'premium' ? 90 : plan === 'standard' ? 60 : 35, 8) +
      (euDrift ? 15 : 0);
    const tickets = Math.max(0, Math.round(random.normal(1.5, 1.2)));
    const risk =
      -0.06 * tenure + 0.5 * tickets + (plan === 'basic' ? 0.6 : 0) + random.normal(0, 1);
    const label = random.uniform() < sigmoid(risk) ? 1 : 0;
    return {
      features: {
        tenure_months: tenure,
        monthly_charges: round(charges, 2),
        support_tickets: tickets,
        plan,
      },
      attributes: { region },
      score: round(sigmoid(risk + random.normal(0, 0.5)), 4),
      label,
    };
  },
};

export const DEMO_MODELS: readonly DemoModel[] = [fraudDetector, churnModel];

/** The training data of a demo model as CSV: feature, attribute, score and label columns. */
export function demoBaselineCsv(model: DemoModel, rows: number, seed: number): string {
  const random = createRandom(seed);
  const sample = model.draw(createRandom(seed), false);
  const featureNames = Object.keys(sample.features);
  const attributeNames = Object.keys(sample.attributes);
  const lines = [[...featureNames, ...attributeNames, 'score', 'label'].join(',')];
  for (let i = 0; i < rows; i += 1) {
    const row = model.draw(random, false);
    const cells = [
      ...featureNames.map((name) => row.features[name]),
      ...attributeNames.map((name) => row.attributes[name]),
      row.score,
      row.label,
    ];
    lines.push(
      cells.map((cell) => (cell === null || cell === undefined ? '' : String(cell))).join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}

export interface DemoEvents {
  prediction: Record<string, unknown>;
  label: Record<string, unknown>;
}

/** One prediction event and its (later) label event, in the wire format of schemas/. */
export function demoEvents(
  model: DemoModel,
  random: Random,
  ts: Date,
  drifted: boolean,
  labelDelayMs: number,
): DemoEvents {
  const row = model.draw(random, drifted);
  const predictionId = randomUUID();
  return {
    prediction: {
      event_id: randomUUID(),
      model: model.name,
      model_version: 'v1',
      ts: ts.toISOString(),
      prediction_id: predictionId,
      features: row.features,
      score: row.score,
      attributes: row.attributes,
    },
    label: {
      event_id: randomUUID(),
      model: model.name,
      prediction_id: predictionId,
      label: row.label,
      ts: new Date(ts.getTime() + labelDelayMs).toISOString(),
    },
  };
}
