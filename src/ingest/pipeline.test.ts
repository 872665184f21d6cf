import { describe, expect, it } from 'vitest';
import { createEventPipeline, type IncomingMessage } from './pipeline.js';

const origin = { source: 'kafka' as const, topic: 'predictions', partition: 2, offset: 41 };
const message = (
  payload: unknown,
  kind: IncomingMessage['kind'] | 'from payload' = 'prediction',
): IncomingMessage => ({
  kind: kind === 'from payload' ? undefined : kind,
  payload: Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload)),
  origin,
});
const prediction = {
  event_id: 'e1',
  model: 'fraud-detector',
  model_version: 'v3',
  ts: '2026-11-22T10:00:00.123Z',
  prediction_id: 'p1',
  features: { amount: 12.5, merchant: 'grocery', age: null },
  score: 0.7,
  attributes: { country: 'US' },
};

describe('the event pipeline', () => {
  const route = createEventPipeline({ maxBytes: 2048 });

  it('maps a valid prediction to its row with its Kafka coordinates', () => {
    const batch = route([message(prediction)]);
    expect(batch.deadLetters).toEqual([]);
    expect(batch.predictions).toEqual([
      {
        kind: 'prediction',
        event_id: 'e1',
        model: 'fraud-detector',
        model_version: 'v3',
        ts: '2026-11-22 10:00:00.123',
        prediction_id: 'p1',
        score: 0.7,
        prediction: null,
        feature_numbers: { amount: 12.5 },
        feature_strings: { merchant: 'grocery' },
        feature_nulls: ['age'],
        attributes: { country: 'US' },
        source: 'kafka',
        kafka_topic: 'predictions',
        kafka_partition: 2,
        kafka_offset: 41,
      },
    ]);
  });

  it.each([
    ['not JSON', '{"event_id": ', 'not_json', /not JSON/],
    ['too large', { ...prediction, pad: 'x'.repeat(4096) }, 'too_large', /limit is 2048/],
    [
      'a field of the wrong type',
      { ...prediction, score: 'high' },
      'invalid',
      /field "score": must be number, got "high"/,
    ],
    [
      'a feature of the wrong type',
      { ...prediction, features: { amount: [1] } },
      'invalid',
      /field "features.amount": must be number,string,null/,
    ],
    [
      'a missing field',
      { ...prediction, model: undefined },
      'invalid',
      /field "model": required field is missing/,
    ],
    [
      'a bad timestamp',
      { ...prediction, ts: 'yesterday' },
      'invalid',
      /field "ts": must match format "date-time"/,
    ],
    [
      'neither score nor prediction',
      { ...prediction, score: undefined },
      'invalid',
      /needs "score" or "prediction"/,
    ],
  ])('dead-letters %s with the reason and the raw payload', (_name, payload, reason, detail) => {
    const batch = route([message(payload)]);
    expect(batch.predictions).toEqual([]);
    expect(batch.deadLetters).toHaveLength(1);
    expect(batch.deadLetters[0]).toMatchObject({
      dead_letter_id: 'predictions/2/41',
      reason,
      topic: 'predictions',
      partition: 2,
      offset: 41,
    });
    expect(batch.deadLetters[0]?.detail).toMatch(detail);
    expect(batch.deadLetters[0]?.payload).toBe(
      typeof payload === 'string' ? payload : JSON.stringify(payload),
    );
  });

  it('takes the kind from the payload when the transport does not say it', () => {
    const batch = route([
      message(
        { type: 'label', model: 'm', prediction_id: 'p1', label: true, ts: '2026-11-22T10:00:00Z' },
        'from payload',
      ),
      message({ ...prediction, type: 'whatever' }, 'from payload'),
    ]);
    expect(batch.labels).toMatchObject([{ event_id: 'm/p1', label: '1', prediction_id: 'p1' }]);
    expect(batch.deadLetters).toMatchObject([{ reason: 'unknown_type' }]);
  });

  it('accepts unknown models', () => {
    expect(
      route([message({ ...prediction, model: 'never-heard-of-it' })]).predictions,
    ).toHaveLength(1);
  });
});
