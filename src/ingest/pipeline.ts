import type { DeadLetterRow, FeatureLogRow, LabelRow, PredictionRow } from '../store/events.js';
import {
  deadLetter,
  EVENT_KINDS,
  type DeadLetterReason,
  type EventKind,
  type StepOutcome,
} from './outcome.js';
import { createParseJsonStep } from './steps/parseJson.js';
import { toEventRow, type EventRow, type MessageOrigin } from './steps/toRow.js';
import { createValidateEventStep } from './steps/validateEvent.js';

export interface IncomingMessage {
  /** Known from the Kafka topic, or undefined when the payload's `type` says it (HTTP). */
  kind: EventKind | undefined;
  payload: Buffer;
  origin: MessageOrigin;
  /** For dead letters of HTTP messages, which have no Kafka coordinates. */
  id?: string;
}

export interface RoutedBatch {
  predictions: PredictionRow[];
  features: FeatureLogRow[];
  labels: LabelRow[];
  deadLetters: DeadLetterRow[];
  /** Per input message: accepted, or why not. */
  outcomes: StepOutcome<EventKind>[];
}

export const DEFAULT_MAX_EVENT_BYTES = 64 * 1024;

/**
 * The steps every message takes, whichever way it came in: parse, validate, map to a
 * row. Knows nothing of Kafka or HTTP, so both ingest paths share it exactly.
 */
export function createEventPipeline(options: { maxBytes?: number } = {}) {
  const parse = createParseJsonStep({ maxBytes: options.maxBytes ?? DEFAULT_MAX_EVENT_BYTES });
  const validate = createValidateEventStep();

  function processMessage(message: IncomingMessage): StepOutcome<EventRow> {
    const parsed = parse(message.payload);
    if (!parsed.ok) return parsed;
    const kind = message.kind ?? kindOf(parsed.value.type);
    if (!kind)
      return deadLetter(
        'unknown_type',
        `field "type": expected one of ${EVENT_KINDS.join(', ')}, got ${JSON.stringify(parsed.value.type)}`,
      );
    const valid = validate(kind, parsed.value);
    if (!valid.ok) return valid;
    return { ok: true, value: toEventRow(kind, valid.value, message.origin) };
  }

  return function routeBatch(messages: readonly IncomingMessage[]): RoutedBatch {
    const batch: RoutedBatch = {
      predictions: [],
      features: [],
      labels: [],
      deadLetters: [],
      outcomes: [],
    };
    for (const message of messages) {
      const outcome = processMessage(message);
      if (outcome.ok) {
        pushRow(batch, outcome.value);
        batch.outcomes.push({ ok: true, value: outcome.value.kind });
      } else {
        batch.deadLetters.push(toDeadLetter(message, outcome.reason, outcome.detail));
        batch.outcomes.push(outcome);
      }
    }
    return batch;
  };
}

function kindOf(type: unknown): EventKind | undefined {
  return EVENT_KINDS.find((kind) => kind === type);
}

function pushRow(batch: RoutedBatch, event: EventRow): void {
  if (event.kind === 'prediction') batch.predictions.push(event.row);
  else if (event.kind === 'feature') batch.features.push(event.row);
  else batch.labels.push(event.row);
}

function toDeadLetter(
  message: IncomingMessage,
  reason: DeadLetterReason,
  detail: string,
): DeadLetterRow {
  const { origin } = message;
  return {
    dead_letter_id:
      origin.source === 'kafka'
        ? `${origin.topic}/${origin.partition}/${origin.offset}`
        : (message.id ?? ''),
    source: origin.source,
    topic: origin.topic,
    partition: origin.partition,
    offset: origin.offset,
    payload: message.payload.toString('utf8'),
    reason,
    detail,
  };
}
