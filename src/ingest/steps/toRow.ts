import { toClickHouseTime } from '../../store/clickhouse.js';
import type { EventInsert, LabelRow, PredictionRow } from '../../store/events.js';

/** Where a message came from: kept on every row, and the key of Kafka dead letters. */
export interface MessageOrigin {
  source: 'kafka' | 'http';
  topic: string;
  partition: number;
  offset: number;
}

/** A validated prediction or feature log → what the insert path encodes. */
export function toEventInsert(
  kind: 'prediction' | 'feature',
  event: Record<string, unknown>,
  tsMs: number,
  origin: MessageOrigin,
): EventInsert {
  return {
    kind,
    tsMs,
    event_id: event.event_id as string,
    model: event.model as string,
    model_version: (event.model_version as string | undefined) ?? '',
    prediction_id: (event.prediction_id as string | undefined) ?? '',
    score: kind === 'prediction' ? scoreOf(event) : null,
    prediction:
      kind === 'prediction' && event.prediction !== undefined ? String(event.prediction) : null,
    // validated: class name → a probability in [0, 1]
    scores:
      kind === 'prediction' ? (event.scores as Record<string, number> | undefined) : undefined,
    features: event.features as Record<string, unknown>,
    attributes: (event.attributes as Record<string, unknown> | undefined) ?? {},
    ...coordinates(origin),
  };
}

/**
 * The score column: the event's `score` (a probability, [0, 1] by the schema), else a
 * `prediction` sent as a JSON number, which is a regression's predicted value (unbounded).
 * Ingest cannot know a model's task; this rule keeps a binary score's bounds checked and
 * gives a regression's prediction the same summaries a score has. A class is sent as text.
 */
function scoreOf(event: Record<string, unknown>): number | null {
  if (typeof event.score === 'number') return event.score;
  return typeof event.prediction === 'number' ? event.prediction : null;
}

/** A validated label → its row. */
export function toLabelRow(
  event: Record<string, unknown>,
  tsMs: number,
  origin: MessageOrigin,
): LabelRow {
  return {
    // Without an event id, a label is identified by what it says about which prediction.
    event_id: String(event.event_id ?? `${event.model}/${event.prediction_id}`),
    model: String(event.model),
    prediction_id: String(event.prediction_id),
    label: labelText(event.label),
    ts: toClickHouseTime(new Date(tsMs)),
    ...coordinates(origin),
  };
}

function coordinates(origin: MessageOrigin) {
  return {
    source: origin.source,
    kafka_topic: origin.topic,
    kafka_partition: origin.partition,
    kafka_offset: origin.offset,
  };
}

/** Feature values by the JSON type they arrived with: numbers, strings, explicit nulls. */
export function splitFeatures(
  features: Record<string, number | string | null>,
): Pick<PredictionRow, 'feature_numbers' | 'feature_strings' | 'feature_nulls'> {
  const numbers: Record<string, number> = {};
  const strings: Record<string, string> = {};
  const nulls: string[] = [];
  for (const [name, value] of Object.entries(features)) {
    if (typeof value === 'number') numbers[name] = value;
    else if (typeof value === 'string') strings[name] = value;
    else nulls.push(name);
  }
  return { feature_numbers: numbers, feature_strings: strings, feature_nulls: nulls };
}

function labelText(label: unknown): string {
  if (label === true) return '1';
  if (label === false) return '0';
  return String(label);
}
