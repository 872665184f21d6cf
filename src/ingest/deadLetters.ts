import { createHash } from 'node:crypto';
import type { DeadLetterRow } from '../store/events.js';
import type { DeadLetterReason } from './outcome.js';
import type { IncomingMessage } from './pipeline.js';

declare global {
  interface String {
    /** ES2024, in Node 20 (TypeScript's ES2023 library lacks it). */
    toWellFormed(): string;
  }
}

/**
 * A dead letter keeps the head of the payload (at most `payloadBytes`), the whole size and
 * the SHA-256 of the whole: a 60 MB payload costs 64 KiB, and can still be matched with
 * the producer's record. Kafka dead letters are keyed by their coordinates, HTTP ones by
 * the payload's hash, so a redelivery or a client's retry is stored once.
 */
export function createDeadLetterRow(
  message: IncomingMessage,
  reason: DeadLetterReason,
  detail: string,
  payloadBytes: number,
): DeadLetterRow {
  const { origin, payload } = message;
  const sha256 = message.payloadSha256 ?? createHash('sha256').update(payload).digest('hex');
  return {
    dead_letter_id:
      origin.source === 'kafka'
        ? `${origin.topic}/${origin.partition}/${origin.offset}`
        : `sha256:${sha256}`,
    source: origin.source,
    topic: origin.topic,
    partition: origin.partition,
    offset: origin.offset,
    payload: payload.subarray(0, payloadBytes).toString('utf8'),
    payload_bytes: message.payloadBytes ?? payload.length,
    payload_sha256: sha256,
    reason,
    // A detail may quote a key with a lone surrogate: it must still be storable text.
    detail: detail.toWellFormed(),
  };
}
