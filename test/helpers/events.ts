import { demoEvents, type DemoModel } from '../../src/demo/demoModels.js';
import { createRandom } from '../../src/demo/random.js';
import { toClickHouseTime } from '../../src/store/clickhouse.js';
import { splitFeatures } from '../../src/ingest/steps/toRow.js';
import type { Store } from '../../src/store/clickhouse.js';
import { insertEvents, type LabelRow, type PredictionRow } from '../../src/store/events.js';

/** A prediction row with its features as the wire sends them, easy to edit in a test. */
export type TestPrediction = Omit<
  PredictionRow,
  'feature_numbers' | 'feature_strings' | 'feature_nulls'
> & { features: Record<string, number | string | null> };

export interface GeneratedWindow {
  predictions: TestPrediction[];
  labels: LabelRow[];
}

/** What a row a test inserts directly has in place of Kafka's coordinates. */
const INSERTED_BY_TEST = {
  source: 'test',
  kafka_topic: '',
  kafka_partition: -1,
  kafka_offset: -1,
} as const;

/** A prediction a test inserts: the fields it names; no score, class, features or slices else. */
export function testPrediction(
  fields: Pick<TestPrediction, 'event_id' | 'model' | 'ts' | 'prediction_id'> &
    Partial<TestPrediction>,
): TestPrediction {
  return {
    kind: 'prediction',
    model_version: 'v1',
    score: null,
    prediction: null,
    features: {},
    attributes: {},
    ...INSERTED_BY_TEST,
    ...fields,
  };
}

/** A label a test inserts. */
export function testLabel(
  fields: Pick<LabelRow, 'event_id' | 'model' | 'prediction_id' | 'label' | 'ts'>,
): LabelRow {
  return { ...INSERTED_BY_TEST, ...fields };
}

export function toPredictionRow({ features, ...rest }: TestPrediction): PredictionRow {
  return { ...rest, ...splitFeatures(features) };
}

export async function insertTestPredictions(
  store: Store,
  predictions: readonly TestPrediction[],
): Promise<void> {
  await insertEvents(store, predictions.map(toPredictionRow));
}

/** `count` events of a demo model spread evenly over [start, start + spanMs), with their labels. */
export function generateWindow(
  model: DemoModel,
  options: { start: Date; spanMs: number; count: number; drifted: boolean; seed: number },
): GeneratedWindow {
  const random = createRandom(options.seed);
  const predictions: TestPrediction[] = [];
  const labels: LabelRow[] = [];
  for (let i = 0; i < options.count; i += 1) {
    const ts = new Date(options.start.getTime() + Math.floor((i * options.spanMs) / options.count));
    const { prediction, label } = demoEvents(model, random, ts, options.drifted, 60_000);
    predictions.push({
      kind: 'prediction',
      event_id: String(prediction.event_id),
      model: model.name,
      model_version: 'v1',
      ts: toClickHouseTime(ts),
      prediction_id: String(prediction.prediction_id),
      score: prediction.score as number,
      prediction: null,
      features: prediction.features as TestPrediction['features'],
      attributes: prediction.attributes as Record<string, string>,
      source: 'test',
      kafka_topic: '',
      kafka_partition: -1,
      kafka_offset: -1,
    });
    labels.push({
      event_id: String(label.event_id),
      model: model.name,
      prediction_id: String(label.prediction_id),
      label: String(label.label),
      ts: toClickHouseTime(new Date(String(label.ts))),
      source: 'test',
      kafka_topic: '',
      kafka_partition: -1,
      kafka_offset: -1,
    });
  }
  return { predictions, labels };
}
