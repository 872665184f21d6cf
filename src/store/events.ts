import type { Store } from './clickhouse.js';

/** A prediction as stored: the ingest steps map wire events to these rows. */
export interface PredictionRow {
  event_id: string;
  model: string;
  model_version: string;
  /** 'YYYY-MM-DD hh:mm:ss.sss' in UTC */
  ts: string;
  prediction_id: string;
  score: number | null;
  prediction: string | null;
  features: Record<string, number | string | null>;
  attributes: Record<string, string>;
  source: string;
  kafka_topic: string;
  kafka_partition: number;
  kafka_offset: number;
}

export type FeatureLogRow = Omit<PredictionRow, 'score' | 'prediction'>;

export interface LabelRow {
  event_id: string;
  model: string;
  prediction_id: string;
  label: string;
  ts: string;
  source: string;
  kafka_topic: string;
  kafka_partition: number;
  kafka_offset: number;
}

export interface DeadLetterRow {
  dead_letter_id: string;
  source: string;
  topic: string;
  partition: number;
  offset: number;
  payload: string;
  reason: string;
  detail: string;
}

// JSON numbers that happen to be whole would otherwise be stored as Int64 paths: features
// are read back as Float64 or String by name, so either is fine; the setting keeps big
// integers exact.
const JSON_INSERT_SETTINGS = { input_format_json_infer_incomplete_types_as_strings: 1 } as const;

export async function insertPredictions(
  store: Store,
  rows: readonly PredictionRow[],
): Promise<void> {
  await store.insert('predictions', rows, JSON_INSERT_SETTINGS);
}

export async function insertFeatureLogs(
  store: Store,
  rows: readonly FeatureLogRow[],
): Promise<void> {
  await store.insert('feature_logs', rows, JSON_INSERT_SETTINGS);
}

export async function insertLabels(store: Store, rows: readonly LabelRow[]): Promise<void> {
  await store.insert('labels', rows);
}

export async function insertDeadLetters(
  store: Store,
  rows: readonly DeadLetterRow[],
): Promise<void> {
  await store.insert('dead_letters', rows);
}

export interface StoredCounts {
  events: { predictions: number; features: number; labels: number };
  dead_letters: number;
}

/** Counts after deduplication: FINAL collapses replays and retries before counting. */
export async function countStored(store: Store): Promise<StoredCounts> {
  const [row] = await store.query<Record<string, string>>(
    `SELECT (SELECT count() FROM predictions FINAL) AS predictions,
            (SELECT count() FROM feature_logs FINAL) AS features,
            (SELECT count() FROM labels FINAL) AS labels,
            (SELECT count() FROM dead_letters FINAL) AS dead_letters`,
  );
  return {
    events: {
      predictions: Number(row?.predictions ?? 0),
      features: Number(row?.features ?? 0),
      labels: Number(row?.labels ?? 0),
    },
    dead_letters: Number(row?.dead_letters ?? 0),
  };
}

export interface DeadLetterView {
  received_at: string;
  source: string;
  topic: string;
  partition: number;
  offset: number;
  reason: string;
  detail: string;
  payload: string;
}

export async function listDeadLetters(store: Store, limit = 100): Promise<DeadLetterView[]> {
  return store.query<DeadLetterView>(
    `SELECT toString(received_at) AS received_at, source, topic, partition, offset, reason, detail, payload
     FROM dead_letters FINAL ORDER BY received_at DESC LIMIT {limit:UInt32}`,
    { limit },
  );
}
