import type { Store } from './clickhouse.js';

/**
 * An event as stored in `events`: the ingest steps map wire events to these rows. Feature
 * values are split by the JSON type they arrived with (see migration 0004).
 */
export interface EventTableRow {
  kind: 'prediction' | 'feature';
  event_id: string;
  model: string;
  model_version: string;
  /** 'YYYY-MM-DD hh:mm:ss.sss' in UTC */
  ts: string;
  prediction_id: string;
  score: number | null;
  prediction: string | null;
  feature_numbers: Record<string, number>;
  feature_strings: Record<string, string>;
  feature_nulls: string[];
  attributes: Record<string, string>;
  source: string;
  kafka_topic: string;
  kafka_partition: number;
  kafka_offset: number;
}

export type PredictionRow = EventTableRow & { kind: 'prediction' };
export type FeatureLogRow = EventTableRow & { kind: 'feature' };

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

/** Predictions and feature logs share one table: one insert for both kinds. */
export async function insertEvents(store: Store, rows: readonly EventTableRow[]): Promise<void> {
  await store.insert('events', rows);
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
    `SELECT (SELECT countIf(kind = 'prediction') FROM events FINAL) AS predictions,
            (SELECT countIf(kind = 'feature') FROM events FINAL) AS features,
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
