import { toClickHouseTime } from '../../store/clickhouse.js';
import type { FeatureLogRow, LabelRow, PredictionRow } from '../../store/events.js';
import type { EventKind } from '../outcome.js';

/** Where a message came from: kept on every row, and the key of Kafka deduplication. */
export interface MessageOrigin {
  source: 'kafka' | 'http';
  topic: string;
  partition: number;
  offset: number;
}

export type EventRow =
  | { kind: 'prediction'; row: PredictionRow }
  | { kind: 'feature'; row: FeatureLogRow }
  | { kind: 'label'; row: LabelRow };

/** A validated event → the row of its table. */
export function toEventRow(
  kind: EventKind,
  event: Record<string, unknown>,
  origin: MessageOrigin,
): EventRow {
  const coordinates = {
    source: origin.source,
    kafka_topic: origin.topic,
    kafka_partition: origin.partition,
    kafka_offset: origin.offset,
  };
  const ts = toClickHouseTime(new Date(String(event.ts)));
  if (kind === 'label') {
    return {
      kind,
      row: {
        // Without an event id, a label is identified by what it says about which prediction.
        event_id: String(event.event_id ?? `${event.model}/${event.prediction_id}`),
        model: String(event.model),
        prediction_id: String(event.prediction_id),
        label: labelText(event.label),
        ts,
        ...coordinates,
      },
    };
  }
  const common = {
    event_id: String(event.event_id),
    model: String(event.model),
    model_version: String(event.model_version ?? ''),
    ts,
    prediction_id: String(event.prediction_id ?? ''),
    ...splitFeatures(event.features as Record<string, number | string | null>),
    attributes: Object.fromEntries(
      Object.entries((event.attributes as Record<string, unknown>) ?? {}).map(([k, v]) => [
        k,
        String(v),
      ]),
    ),
    ...coordinates,
  };
  if (kind === 'feature') {
    return { kind, row: { kind, ...common, score: null, prediction: null } };
  }
  return {
    kind,
    row: {
      kind,
      ...common,
      score: typeof event.score === 'number' ? event.score : null,
      prediction: event.prediction === undefined ? null : String(event.prediction),
    },
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
