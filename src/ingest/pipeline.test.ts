import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createEventPipeline, monthOf, type IncomingMessage } from './pipeline.js';
import { toEventInsert } from './steps/toRow.js';

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
const NOW = Date.parse('2026-11-23T00:00:00Z');

describe('the event pipeline', () => {
  const prepare = createEventPipeline({
    maxEventBytes: 2048,
    maxDepth: 8,
    timestamps: {
      earliestMs: Date.parse('2000-01-01T00:00:00Z'),
      maxFutureSkewMs: 3_600_000,
      now: () => NOW,
    },
    deadLetterPayloadBytes: 64,
  });

  it('maps a valid prediction to what its row holds, with its Kafka coordinates', () => {
    expect(toEventInsert('prediction', prediction, Date.parse(prediction.ts), origin)).toEqual({
      kind: 'prediction',
      tsMs: Date.parse('2026-11-22T10:00:00.123Z'),
      event_id: 'e1',
      model: 'fraud-detector',
      model_version: 'v3',
      prediction_id: 'p1',
      score: 0.7,
      prediction: null,
      features: { amount: 12.5, merchant: 'grocery', age: null },
      attributes: { country: 'US' },
      source: 'kafka',
      kafka_topic: 'predictions',
      kafka_partition: 2,
      kafka_offset: 41,
    });
  });

  it('maps a multiclass prediction with its class scores', () => {
    const multiclass = {
      ...prediction,
      score: undefined,
      prediction: 'cat',
      scores: { cat: 0.7, dog: 0.2, bird: 0.1 },
    };
    expect(
      toEventInsert('prediction', multiclass, Date.parse(prediction.ts), origin),
    ).toMatchObject({ score: null, prediction: 'cat', scores: { cat: 0.7, dog: 0.2, bird: 0.1 } });
  });

  it('prepares a valid prediction as one encoded row with its key and partition', async () => {
    const batch = await prepare([message(prediction)]);
    expect(batch.deadLetters).toEqual([]);
    expect(batch.outcomes).toEqual([{ status: 'stored', kind: 'prediction' }]);
    expect(batch.events).toHaveLength(1);
    expect(batch.events[0]).toMatchObject({
      index: 0,
      model: 'fraud-detector',
      kind: 'prediction',
      tsMs: Date.parse(prediction.ts),
      event_id: 'e1',
      month: 202611,
      start: 0,
      end: batch.encoded.length,
    });
    expect(batch.encoded.length).toBeGreaterThan(0);
  });

  it.each([
    ['not JSON', '{"event_id": ', 'not_json', /not JSON/],
    ['too large', { ...prediction, pad: 'x'.repeat(4096) }, 'too_large', /limit is 2048/],
    ['not UTF-8', Buffer.from([0x7b, 0xff, 0x7d]), 'not_utf8', /not valid UTF-8/],
    [
      'nested too deep',
      { ...prediction, extra: [[[[[[[[1]]]]]]]] },
      'too_deep',
      /more than 8 levels/,
    ],
    [
      'a lone surrogate',
      '{"event_id":"s1\\ud800","model":"m","ts":"2026-11-22T10:00:00Z","prediction_id":"p","features":{},"score":0.1}',
      'invalid_text',
      /field "event_id": the value has a lone surrogate \\ud800 at character 2/,
    ],
    [
      'a lone surrogate in a key',
      '{"event_id":"e","model":"m","ts":"2026-11-22T10:00:00Z","prediction_id":"p","features":{"\\udc00x":1},"score":0.1}',
      'invalid_text',
      /the key has a lone surrogate \\udc00 at character 0/,
    ],
    [
      'an infinite score',
      JSON.stringify(prediction).replace('"score":0.7', '"score":1e309'),
      'non_finite',
      /field "score": 1e309 is not a finite number/,
    ],
    [
      'an infinite attribute',
      JSON.stringify(prediction).replace('"country":"US"', '"country":-1e309'),
      'non_finite',
      /field "attributes.country": -1e309/,
    ],
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
      'a leap second',
      { ...prediction, ts: '2016-12-31T23:59:60Z' },
      'invalid_timestamp',
      /is a leap second/,
    ],
    [
      'a time before the earliest accepted',
      { ...prediction, ts: '1999-12-31T23:59:59Z' },
      'ts_out_of_range',
      /before 2000-01-01T00:00:00.000Z/,
    ],
    [
      'a time too far ahead',
      { ...prediction, ts: '2026-11-23T01:00:01Z' },
      'ts_out_of_range',
      /3601 s ahead of this server's clock; at most 3600 s/,
    ],
    [
      'a class score above 1',
      { ...prediction, prediction: 'cat', scores: { cat: 1.5, dog: 0.1 } },
      'invalid',
      /field "scores.cat": must be <= 1, got 1.5/,
    ],
    [
      'a class score that is not a number',
      { ...prediction, prediction: 'cat', scores: { cat: 0.7, dog: 'low' } },
      'invalid',
      /field "scores.dog": must be number, got "low"/,
    ],
    [
      'class scores that are not an object',
      { ...prediction, prediction: 'cat', scores: [0.7, 0.3] },
      'invalid',
      /field "scores": must be object, got \[0.7,0.3\]/,
    ],
    [
      'an infinite class score',
      JSON.stringify({ ...prediction, scores: { cat: 0.5 } }).replace('"cat":0.5', '"cat":1e309'),
      'non_finite',
      /field "scores.cat": 1e309 is not a finite number/,
    ],
    [
      'neither score nor prediction',
      { ...prediction, score: undefined },
      'invalid',
      /needs "score" or "prediction"/,
    ],
  ])('dead-letters %s with the reason and the payload', async (_name, payload, reason, detail) => {
    const raw = Buffer.isBuffer(payload)
      ? payload
      : Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload));
    const batch = await prepare([{ kind: 'prediction', payload: raw, origin }]);
    expect(batch.events).toEqual([]);
    expect(batch.deadLetters).toHaveLength(1);
    expect(batch.deadLetters[0]?.row).toMatchObject({
      dead_letter_id: 'predictions/2/41',
      reason,
      topic: 'predictions',
      partition: 2,
      offset: 41,
      payload_bytes: raw.length,
    });
    expect(batch.deadLetters[0]?.row.detail).toMatch(detail);
    expect(batch.deadLetters[0]?.row.payload).toBe(raw.subarray(0, 64).toString('utf8'));
    expect(batch.outcomes[0]).toMatchObject({ status: 'dead_letter', reason });
  });

  it('stores a regression’s prediction sent as a JSON number as its score, unbounded', async () => {
    const regression = { ...prediction, score: undefined, prediction: 412.5 };
    const batch = await prepare([message(regression)]);
    expect(batch.deadLetters).toEqual([]);
    expect(
      toEventInsert('prediction', regression, Date.parse(prediction.ts), origin),
    ).toMatchObject({ score: 412.5, prediction: '412.5' });
    // a score beside it stays the score; a class sent as text is no score
    expect(toEventInsert('prediction', { ...prediction, prediction: 3 }, 0, origin).score).toBe(
      0.7,
    );
    expect(
      toEventInsert('prediction', { ...regression, prediction: 'cat' }, 0, origin).score,
    ).toBeNull();
  });

  it('still refuses a binary score outside [0, 1]', async () => {
    const batch = await prepare([message({ ...prediction, score: 412.5 })]);
    expect(batch.deadLetters[0]?.row).toMatchObject({ reason: 'invalid' });
    expect(batch.deadLetters[0]?.row.detail).toMatch(/field "score": must be <= 1, got 412.5/);
  });

  it.each([12.5, -3.25, 7, true, 'cat'])('accepts the label %s', async (value) => {
    const label = {
      type: 'label',
      model: 'price',
      prediction_id: 'p1',
      label: value,
      ts: '2026-11-22T10:00:00Z',
    };
    const batch = await prepare([message(label, 'label')]);
    expect(batch.deadLetters).toEqual([]);
    expect(batch.outcomes).toEqual([{ status: 'stored', kind: 'label' }]);
  });

  it('dead-letters an infinite label', async () => {
    const payload =
      '{"type":"label","model":"price","prediction_id":"p1","label":1e309,"ts":"2026-11-22T10:00:00Z"}';
    const batch = await prepare([message(payload, 'label')]);
    expect(batch.deadLetters[0]?.row).toMatchObject({ reason: 'non_finite' });
  });

  it('keeps the last of a repeated key, as JSON.parse does: what is checked is what is stored', async () => {
    const payload =
      '{"event_id":"e1","model":"m","ts":"2026-11-22T10:00:00Z","prediction_id":"p","features":{"a":1},"score":7,"score":0.5}';
    const batch = await prepare([message(payload)]);
    expect(batch.outcomes).toEqual([{ status: 'stored', kind: 'prediction' }]);
  });

  it('stores a feature of ±1e309 as ±inf', async () => {
    const payload = JSON.stringify(prediction).replace('"amount":12.5', '"amount":-1e309');
    const batch = await prepare([message(payload)]);
    expect(batch.outcomes).toEqual([{ status: 'stored', kind: 'prediction' }]);
  });

  it('takes the kind from the payload when the transport does not say it', async () => {
    const batch = await prepare([
      message(
        { type: 'label', model: 'm', prediction_id: 'p1', label: true, ts: '2026-11-22T10:00:00Z' },
        'from payload',
      ),
      message({ ...prediction, type: 'whatever' }, 'from payload'),
    ]);
    expect(batch.labels.map((label) => label.row)).toMatchObject([
      { event_id: 'm/p1', label: '1', prediction_id: 'p1', ts: '2026-11-22 10:00:00.000' },
    ]);
    expect(batch.deadLetters.map((letter) => letter.row)).toMatchObject([
      { reason: 'unknown_type' },
    ]);
  });

  it('accepts unknown models', async () => {
    expect(
      (await prepare([message({ ...prediction, model: 'never-heard-of-it' })])).events,
    ).toHaveLength(1);
  });

  it('keys HTTP dead letters by the payload hash, so a client retry is stored once', async () => {
    const http = { source: 'http' as const, topic: '', partition: -1, offset: -1 };
    const first = await prepare([
      { kind: 'prediction', payload: Buffer.from('nope'), origin: http },
    ]);
    const again = await prepare([
      { kind: 'prediction', payload: Buffer.from('nope'), origin: http },
    ]);
    const expected = `sha256:${createHash('sha256').update('nope').digest('hex')}`;
    expect(first.deadLetters[0]?.row.dead_letter_id).toBe(expected);
    expect(again.deadLetters[0]?.row.dead_letter_id).toBe(expected);
  });

  it('names the toYYYYMM partition of a time', () => {
    expect(monthOf(Date.parse('2016-01-31T23:59:59.999Z'))).toBe(201601);
    expect(monthOf(Date.parse('2026-12-01T00:00:00Z'))).toBe(202612);
  });
});
