import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { IngestConfig } from '../config/config.js';
import type { DeadLetterRow, EventKey, LabelRow } from '../store/events.js';
import { encodeEvent } from '../store/events.js';
import { createRowBinaryWriter } from '../store/rowBinary.js';
import { createDeadLetterRow } from './deadLetters.js';
import {
  deadLetter,
  EVENT_KINDS,
  type DeadLetterReason,
  type EventKind,
  type MessageOutcome,
  type StepOutcome,
} from './outcome.js';
import { createCheckTimestampStep, type TimestampBounds } from './steps/checkTimestamp.js';
import { createCheckValuesStep } from './steps/checkValues.js';
import { createParseJsonStep } from './steps/parseJson.js';
import { toEventInsert, toLabelRow, type MessageOrigin } from './steps/toRow.js';
import { createValidateEventStep } from './steps/validateEvent.js';

export type { MessageOrigin } from './steps/toRow.js';

export interface IncomingMessage {
  /** Known from the Kafka topic, or undefined when the payload's `type` says it (HTTP). */
  kind: EventKind | undefined;
  payload: Buffer;
  origin: MessageOrigin;
  /** When only the head of an oversized payload was kept while reading: the whole's size. */
  payloadBytes?: number;
  /** ... and the whole's SHA-256 (hex). */
  payloadSha256?: string;
  /** Refused before the steps, by its transport: a Kafka record batch that cannot be decoded. */
  refused?: { reason: DeadLetterReason; detail: string };
}

/** A valid prediction or feature log (its key), encoded as its `events` row. */
export interface PreparedEvent extends EventKey {
  /** The batch it belongs to, and the message's position in it. */
  batch: PreparedBatch;
  index: number;
  /** Its `events` partition (toYYYYMM(ts)). */
  month: number;
  /** Its row: `batch.encoded` from `start` to `end`. */
  start: number;
  end: number;
}

export interface PreparedBatch {
  messages: readonly IncomingMessage[];
  /** Per message, as prepared; the writer turns some into duplicates or refusals. */
  outcomes: MessageOutcome[];
  events: PreparedEvent[];
  /** The events' rows, in order (RowBinary). */
  encoded: Buffer;
  labels: { index: number; row: LabelRow }[];
  deadLetters: { index: number; row: DeadLetterRow }[];
  /** The dead letter of a message refused later (by the store). */
  deadLetterFor(index: number, reason: DeadLetterReason, detail: string): DeadLetterRow;
  bytes: number;
}

/**
 * Who posted a batch, when it may post only for some models (a scoped ingest token): an
 * event for another model is dead-lettered (`model_not_allowed`), the rest are stored.
 */
export interface PostingScope {
  /** The token's name, for the detail. */
  holder: string;
  /** Model names, or prefixes ending in `*`. */
  models: readonly string[];
  allows(model: string): boolean;
}

export interface PipelineOptions {
  maxEventBytes: number;
  maxDepth: number;
  timestamps: TimestampBounds;
  deadLetterPayloadBytes: number;
}

export const DEFAULT_PIPELINE_OPTIONS: PipelineOptions = {
  maxEventBytes: 1024 * 1024,
  maxDepth: 32,
  timestamps: { earliestMs: Date.UTC(2000, 0, 1), maxFutureSkewMs: 3_600_000 },
  deadLetterPayloadBytes: 64 * 1024,
};

/** The pipeline's settings from the service configuration. */
export function pipelineOptions(config: IngestConfig): PipelineOptions {
  return {
    maxEventBytes: config.maxEventBytes,
    maxDepth: config.maxDepth,
    timestamps: { earliestMs: config.earliestEventMs, maxFutureSkewMs: config.maxFutureSkewMs },
    deadLetterPayloadBytes: config.deadLetterPayloadBytes,
  };
}

/** Messages between two yields to the event loop while a batch is prepared. */
const YIELD_EVERY = 512;

/**
 * The steps every message takes, whichever way it came in: parse, check what ClickHouse
 * would refuse (depth, text, non-finite numbers), validate against its schema, check its
 * time, and encode its row. Knows
 * nothing of Kafka or HTTP, so both ingest paths share it exactly. No step throws for bad
 * data; a step that throws anyway (a bug) dead-letters that message alone.
 */
export function createEventPipeline(options: Partial<PipelineOptions> = {}) {
  const settings = { ...DEFAULT_PIPELINE_OPTIONS, ...options };
  const parse = createParseJsonStep({ maxBytes: settings.maxEventBytes });
  const checkValues = createCheckValuesStep({ maxDepth: settings.maxDepth });
  const validate = createValidateEventStep();
  const checkTimestamp = createCheckTimestampStep(settings.timestamps);

  type Accepted =
    | { kind: 'label'; row: LabelRow }
    | { kind: 'prediction' | 'feature'; event: Parameters<typeof encodeEvent>[1] };

  function processMessage(message: IncomingMessage, scope?: PostingScope): StepOutcome<Accepted> {
    if (message.refused) return deadLetter(message.refused.reason, message.refused.detail);
    if ((message.payloadBytes ?? message.payload.length) > settings.maxEventBytes) {
      return deadLetter(
        'too_large',
        `payload is ${message.payloadBytes ?? message.payload.length} bytes; the limit is ${settings.maxEventBytes}`,
      );
    }
    const parsed = parse(message.payload);
    if (!parsed.ok) return parsed;
    const kind = message.kind ?? kindOf(parsed.value.type);
    if (!kind) {
      return deadLetter(
        'unknown_type',
        `field "type": expected one of ${EVENT_KINDS.join(', ')}, got ${JSON.stringify(parsed.value.type)?.slice(0, 60)}`,
      );
    }
    const checked = checkValues(parsed.value);
    if (!checked.ok) return checked;
    const valid = validate(kind, checked.value);
    if (!valid.ok) return valid;
    // The schema requires `model` to be a string.
    if (scope && !scope.allows(String(valid.value.model))) {
      return deadLetter(
        'model_not_allowed',
        `field "model": token "${scope.holder}" may post only for ${scope.models.join(', ')}, not ${JSON.stringify(valid.value.model).slice(0, 80)}`,
      );
    }
    const ts = checkTimestamp(valid.value.ts);
    if (!ts.ok) return ts;
    if (kind === 'label') {
      return { ok: true, value: { kind, row: toLabelRow(valid.value, ts.value, message.origin) } };
    }
    return {
      ok: true,
      value: { kind, event: toEventInsert(kind, valid.value, ts.value, message.origin) },
    };
  }

  function safely(message: IncomingMessage, scope?: PostingScope): StepOutcome<Accepted> {
    try {
      return processMessage(message, scope);
    } catch (error) {
      return deadLetter('internal_error', `a step failed: ${(error as Error).message}`);
    }
  }

  return async function prepareBatch(
    messages: readonly IncomingMessage[],
    scope?: PostingScope,
  ): Promise<PreparedBatch> {
    const bytes = messages.reduce((sum, m) => sum + (m.payloadBytes ?? m.payload.length), 0);
    const writer = createRowBinaryWriter(Math.max(4096, bytes));
    const batch: PreparedBatch = {
      messages,
      outcomes: [],
      events: [],
      encoded: Buffer.alloc(0),
      labels: [],
      deadLetters: [],
      deadLetterFor: (index, reason, detail) =>
        createDeadLetterRow(messages[index]!, reason, detail, settings.deadLetterPayloadBytes),
      bytes,
    };
    for (let index = 0; index < messages.length; index += 1) {
      if (index > 0 && index % YIELD_EVERY === 0) await yieldToEventLoop();
      const outcome = safely(messages[index]!, scope);
      if (!outcome.ok) {
        batch.deadLetters.push({
          index,
          row: batch.deadLetterFor(index, outcome.reason, outcome.detail),
        });
        batch.outcomes.push({
          status: 'dead_letter',
          reason: outcome.reason,
          detail: outcome.detail,
        });
        continue;
      }
      const accepted = outcome.value;
      batch.outcomes.push(STORED[accepted.kind]);
      if (accepted.kind === 'label') {
        batch.labels.push({ index, row: accepted.row });
        continue;
      }
      const start = writer.length;
      encodeEvent(writer, accepted.event);
      const { event } = accepted;
      batch.events.push({
        batch,
        index,
        model: event.model,
        kind: event.kind,
        tsMs: event.tsMs,
        event_id: event.event_id,
        month: monthOf(event.tsMs),
        start,
        end: writer.length,
      });
    }
    batch.encoded = writer.bytes();
    return batch;
  };
}

/** Shared outcomes: most messages end as one of these. */
export const STORED: Record<EventKind, MessageOutcome> = {
  prediction: Object.freeze({ status: 'stored', kind: 'prediction' }),
  feature: Object.freeze({ status: 'stored', kind: 'feature' }),
  label: Object.freeze({ status: 'stored', kind: 'label' }),
};
export const DUPLICATE: Record<EventKind, MessageOutcome> = {
  prediction: Object.freeze({ status: 'duplicate', kind: 'prediction' }),
  feature: Object.freeze({ status: 'duplicate', kind: 'feature' }),
  label: Object.freeze({ status: 'duplicate', kind: 'label' }),
};

function kindOf(type: unknown): EventKind | undefined {
  return EVENT_KINDS.find((kind) => kind === type);
}

/** toYYYYMM of an epoch-ms time in UTC: the `events` partition. */
export function monthOf(tsMs: number): number {
  const date = new Date(tsMs);
  return date.getUTCFullYear() * 100 + date.getUTCMonth() + 1;
}
