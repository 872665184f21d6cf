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
 * Synthetic models for the demo and the tests, one of each task. Each draws one row
 * (features, slice attributes, what the model predicted and the true label) either as in
 * training or drifted, so that the baseline files, the streamed events and the planted
 * drift all come from one place. What a row predicts depends on the model's task.
 */
export type DemoRow = BinaryRow | RegressionRow | MulticlassRow;

interface DemoRowInputs {
  features: Record<string, number | string | null>;
  attributes: Record<string, string>;
}

/** A binary classifier: the positive class's score and a 0/1 label. */
export interface BinaryRow extends DemoRowInputs {
  task: 'binary';
  score: number;
  label: 0 | 1;
}

/** A regression: the predicted value and the true one. */
export interface RegressionRow extends DemoRowInputs {
  task: 'regression';
  prediction: number;
  label: number;
}

/** A multiclass classifier: the predicted class, every class's score, the true class. */
export interface MulticlassRow extends DemoRowInputs {
  task: 'multiclass';
  prediction: string;
  scores: Record<string, number>;
  label: string;
}

/** A demo model; `Row` names its task's row where a caller needs it (the binary examples). */
export interface DemoModel<Row extends DemoRow = DemoRow> {
  name: string;
  draw(random: Random, drifted: boolean): Row;
  /** Where the drift is planted, for people reading the demo's output. */
  plantedDrift: string;
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;

export const fraudDetector: DemoModel<BinaryRow> = {
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
      task: 'binary',
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

export const churnModel: DemoModel<BinaryRow> = {
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
      task: 'binary',
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

export const deliveryTime: DemoModel<RegressionRow> = {
  name: 'delivery-time',
  plantedDrift:
    'orders travel farther, and roadworks in the north add minutes the model does not know of',
  draw(random, drifted) {
    const city = random.pick(['north', 'centre', 'south'], [3, 4, 3]);
    const distance = Math.max(0.3, random.normal(drifted ? 6.5 : 4, 1.5));
    const items = 1 + Math.floor(random.uniform() * 6);
    const prediction = 8 + 3 * distance + 1.2 * items;
    const roadworks = drifted && city === 'north' ? 12 : 0;
    const actual = Math.max(1, prediction + random.normal(0, 3) + roadworks);
    return {
      task: 'regression',
      features: { distance_km: round(distance, 2), items },
      attributes: { city },
      prediction: round(prediction, 2),
      label: round(actual, 2),
    };
  },
};

/** The ticket router's classes, in the order of its scores. */
const TICKET_CLASSES = ['billing', 'technical', 'account'] as const;

export const ticketRouter: DemoModel<MulticlassRow> = {
  name: 'ticket-router',
  plantedDrift:
    'tickets about the new API product flood in, and many of them are account problems the router sends to technical',
  draw(random, drifted) {
    const channel = random.pick(['email', 'chat'], [1, 1]);
    const product = drifted
      ? random.pick(['app', 'web', 'api'], [2, 2, 6])
      : random.pick(['app', 'web', 'api'], [4, 4, 2]);
    const length = Math.max(10, Math.round(random.normal(product === 'api' ? 400 : 250, 80)));
    // what the ticket is about, as the router learned it: billing from the web, technical
    // from the API and long messages, account problems from the app
    const logits = [
      product === 'web' ? 2 : 0,
      (product === 'api' ? 2 : 0) + (length - 250) / 100,
      product === 'app' ? 2 : 0,
    ].map((logit) => logit + random.normal(0, 0.5));
    const scores = softmax(logits);
    const truth = softmax(logits.map((logit) => logit + random.normal(0, 0.5)));
    const index =
      drifted && product === 'api' && random.uniform() < 0.5 ? 2 : drawIndex(random, truth);
    const predicted = scores.indexOf(Math.max(...scores));
    return {
      task: 'multiclass',
      features: { message_length: length, product },
      attributes: { channel },
      prediction: TICKET_CLASSES[predicted] ?? 'billing',
      scores: Object.fromEntries(TICKET_CLASSES.map((name, k) => [name, round(scores[k] ?? 0, 4)])),
      label: TICKET_CLASSES[index] ?? 'billing',
    };
  },
};

function softmax(logits: readonly number[]): number[] {
  const top = Math.max(...logits);
  const weights = logits.map((logit) => Math.exp(logit - top));
  const total = weights.reduce((sum, w) => sum + w, 0);
  return weights.map((w) => w / total);
}

function drawIndex(random: Random, probabilities: readonly number[]): number {
  let u = random.uniform();
  for (let k = 0; k < probabilities.length; k += 1) {
    u -= probabilities[k] ?? 0;
    if (u < 0) return k;
  }
  return probabilities.length - 1;
}

/** One model of each task; the binary two come first, so they draw what they always drew. */
export const DEMO_MODELS: readonly DemoModel[] = [
  fraudDetector,
  churnModel,
  deliveryTime,
  ticketRouter,
];

/**
 * What a row predicted and its label as baseline-file columns, as docs/MONITORS.md names
 * them per task: `score` (a binary's positive score, a regression's prediction) and `label`;
 * a multiclass model's `prediction`, one `p_<class>` column per class, and `label`.
 */
function predictionCells(row: DemoRow): Record<string, number | string> {
  switch (row.task) {
    case 'binary':
      return { score: row.score, label: row.label };
    case 'regression':
      return { score: row.prediction, label: row.label };
    case 'multiclass':
      return {
        prediction: row.prediction,
        ...Object.fromEntries(Object.entries(row.scores).map(([name, p]) => [`p_${name}`, p])),
        label: row.label,
      };
  }
}

/** The training data of a demo model as CSV: feature, attribute, prediction and label columns. */
export function demoBaselineCsv(model: DemoModel, rows: number, seed: number): string {
  const random = createRandom(seed);
  const sample = model.draw(createRandom(seed), false);
  const featureNames = Object.keys(sample.features);
  const attributeNames = Object.keys(sample.attributes);
  const predictionNames = Object.keys(predictionCells(sample));
  const lines = [[...featureNames, ...attributeNames, ...predictionNames].join(',')];
  for (let i = 0; i < rows; i += 1) {
    const row = model.draw(random, false);
    const predicted = predictionCells(row);
    const cells = [
      ...featureNames.map((name) => row.features[name]),
      ...attributeNames.map((name) => row.attributes[name]),
      ...predictionNames.map((name) => predicted[name]),
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

/** What a prediction event carries per task (docs/INGESTION.md). */
function predictionFields(row: DemoRow): Record<string, unknown> {
  switch (row.task) {
    case 'binary':
      return { score: row.score };
    case 'regression':
      return { prediction: row.prediction };
    case 'multiclass':
      return { prediction: row.prediction, scores: row.scores };
  }
}

/**
 * One prediction event and its label event, in the wire format of schemas/. The label is
 * stamped `labelDelayMs` after the prediction: the demo sends it only once that time has come.
 */
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
      ...predictionFields(row),
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
