/**
 * Bad data is not an exception: a step returns ok, or a dead letter with a reason code and
 * a detail that names the field. One runner does the counting and the dead-lettering.
 */
export const DEAD_LETTER_REASONS = [
  'too_large', // bigger than the event size limit
  'not_utf8', // payload bytes are not UTF-8
  'not_json', // not parseable JSON
  'too_deep', // objects/arrays nested deeper than the limit
  'invalid', // against the event's JSON Schema
  'unknown_type', // an HTTP event without a known "type"
  'invalid_text', // a string with a lone UTF-16 surrogate (not representable as UTF-8)
  'non_finite', // ±Infinity where a finite number is required (score, label, attributes)
  'invalid_timestamp', // not a calendar time: a leap second, 24:00, February 30
  'ts_out_of_range', // before the earliest accepted time or too far in the future
  'store_refused', // ClickHouse refused this event's row for its content (found by bisection)
  'model_not_allowed', // the HTTP token that posted it may post only for other models
  'internal_error', // a bug in a step: the message is kept, ingestion goes on
  'unknown_codec', // a Kafka record batch compressed with a codec id Kafka does not define
  'undecodable_batch', // a Kafka record batch that cannot be decompressed or parsed
] as const;

export type DeadLetterReason = (typeof DEAD_LETTER_REASONS)[number];

export type StepOutcome<T> =
  { ok: true; value: T } | { ok: false; reason: DeadLetterReason; detail: string };

export const ok = <T>(value: T): StepOutcome<T> => ({ ok: true, value });

export const deadLetter = <T>(reason: DeadLetterReason, detail: string): StepOutcome<T> => ({
  ok: false,
  reason,
  detail,
});

export type EventKind = 'prediction' | 'feature' | 'label';

export const EVENT_KINDS: readonly EventKind[] = ['prediction', 'feature', 'label'];

/** What became of one incoming message once written. */
export type MessageOutcome =
  | { status: 'stored'; kind: EventKind }
  /** Already stored by an earlier delivery (a replay or a client's retry): not stored again. */
  | { status: 'duplicate'; kind: EventKind }
  | { status: 'dead_letter'; reason: DeadLetterReason; detail: string };
