import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventsAcrossMonths, poisonCases, validPrediction } from '../../test/helpers/poison.js';
import { openTestStore } from '../../test/helpers/store.js';
import { loadIngestConfig } from '../config/config.js';
import { createIngestMetrics } from '../ingest/metrics.js';
import type { Store } from '../store/clickhouse.js';
import { countStored } from '../store/events.js';
import { buildApp } from './app.js';

const prediction = (id: number) => ({
  type: 'prediction',
  event_id: `e${id}`,
  model: 'fraud-detector',
  ts: '2026-11-22T10:00:00Z',
  prediction_id: `p${id}`,
  features: { amount: id, merchant_category: 'grocery' },
  score: 0.5,
  attributes: { country: 'US' },
});

describe('POST /v1/events on embedded ClickHouse', () => {
  let store: Store;
  let app: ReturnType<typeof buildApp>;
  beforeAll(async () => {
    store = await openTestStore();
    app = buildApp({
      store,
      metrics: createIngestMetrics(),
      monitors: () => [],
      ingest: { ...loadIngestConfig({}), maxBodyBytes: 1024 * 1024, deadLetterPayloadBytes: 256 },
    });
  });
  afterAll(async () => {
    await app.close();
    await store.close();
  });

  it('stores the good events of a JSON array and dead-letters the bad ones', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/v1/events',
      payload: [
        prediction(1),
        { ...prediction(2), score: 7 },
        prediction(3),
        {
          type: 'label',
          model: 'fraud-detector',
          prediction_id: 'p1',
          label: 1,
          ts: '2026-11-22T12:00:00Z',
        },
      ],
    });
    expect(response.statusCode).toBe(207);
    expect(response.json()).toEqual({
      accepted: 3,
      rejected: 1,
      duplicates: 0,
      errors: [{ index: 1, reason: 'invalid', detail: 'field "score": must be <= 1, got 7' }],
      errors_omitted: 0,
      // This app runs no monitor: every model is one nobody watches.
      notes: [
        expect.stringMatching(/^model "fraud-detector" has no monitor: its 3 events are stored/),
      ],
    });
    expect(await countStored(store)).toEqual({
      events: { predictions: 2, features: 0, labels: 1 },
      dead_letters: 1,
    });
  });

  it('takes NDJSON with ?type= and never counts a resent event twice', async () => {
    const lines = [1, 3, 4]
      .map((id) => JSON.stringify({ ...prediction(id), type: undefined }))
      .join('\n');
    const response = await app.inject({
      method: 'POST',
      url: '/v1/events?type=prediction',
      headers: { 'content-type': 'application/x-ndjson' },
      payload: `${lines}\nnot json\n`,
    });
    expect(response.statusCode).toBe(207);
    expect(response.json()).toMatchObject({
      accepted: 3,
      rejected: 1,
      duplicates: 2, // e1 and e3 were stored before
      errors: [{ index: 3, line: 4, reason: 'not_json' }],
    });
    const counts = await countStored(store);
    expect(counts.events.predictions).toBe(3);
    expect(counts.dead_letters).toBe(2);
    const dead = await app.inject({ method: 'GET', url: '/v1/dead-letters?payload=true' });
    expect(dead.json().dead_letters.map((row: { payload: string }) => row.payload)).toContain(
      'not json',
    );
  });

  it('counts what it ingested for /metrics', async () => {
    const metrics = await app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toMatch(
      /driftwatch_ingest_events_total\{source="http",kind="prediction"\} 3\n/,
    );
    expect(metrics.body).toMatch(
      /driftwatch_ingest_duplicates_total\{source="http",kind="prediction"\} 2\n/,
    );
    expect(metrics.body).toMatch(
      /driftwatch_ingest_dead_letters_total\{source="http",reason="not_json"\} 1\n/,
    );
    expect(metrics.body).toMatch(
      /driftwatch_ingest_dead_letters_total\{source="http",reason="invalid"\} 1\n/,
    );
  });

  async function storedCount(model: string): Promise<number> {
    const [row] = await store.query<{ n: string }>(
      'SELECT count() AS n FROM events FINAL WHERE model = {model:String}',
      { model },
    );
    return Number(row?.n);
  }

  it.each(poisonCases('').map((c, i) => [c.name, i] as const))(
    'isolates %s: one event, one outcome, the rest stored',
    async (_name, caseIndex) => {
      const model = `http-poison-${caseIndex}`;
      const poison = poisonCases(model)[caseIndex]!;
      const lines = [
        validPrediction(model, 'good-0', '2026-11-22T10:00:00Z'),
        poison.payload,
        validPrediction(model, 'good-1', '2026-11-22T10:00:00Z'),
      ];
      const response = await app.inject({
        method: 'POST',
        url: '/v1/events?type=prediction',
        headers: { 'content-type': 'application/x-ndjson' },
        payload: lines.join('\n'),
      });
      if (poison.expect === 'stored') {
        expect(response.statusCode).toBe(200);
        expect(response.json()).toMatchObject({ accepted: 3, rejected: 0, errors: [] });
        expect(await storedCount(model)).toBe(3);
      } else {
        expect(response.statusCode).toBe(207);
        expect(response.json()).toMatchObject({
          accepted: 2,
          rejected: 1,
          errors: [{ index: 1, reason: poison.expect.reason }],
        });
        expect(await storedCount(model)).toBe(2);
      }
    },
  );

  it('isolates a 10,000-deep element of a JSON array body', async () => {
    const model = 'http-deep-array';
    const deep = poisonCases(model).find((c) => c.name.startsWith('nesting'))!;
    const good = validPrediction(model, 'good-0', '2026-11-22T10:00:00Z');
    const response = await app.inject({
      method: 'POST',
      url: '/v1/events?type=prediction',
      headers: { 'content-type': 'application/json' },
      payload: `[${good},${deep.payload}]`,
    });
    expect(response.statusCode).toBe(207);
    expect(response.json()).toMatchObject({
      accepted: 1,
      rejected: 1,
      errors: [{ index: 1, reason: 'too_deep' }],
    });
    expect(await storedCount(model)).toBe(1);
  });

  it('stores a batch spanning 120 months (more partitions than one insert may touch)', async () => {
    const lines = eventsAcrossMonths('http-months');
    const response = await app.inject({
      method: 'POST',
      url: '/v1/events?type=prediction',
      headers: { 'content-type': 'application/x-ndjson' },
      payload: lines.join('\n'),
    });
    expect(response.statusCode).toBe(200);
    expect(await storedCount('http-months')).toBe(120);
  });

  it('stores a feature of 1e309 as +inf, not as a missing value', async () => {
    const model = 'http-inf';
    const lines = poisonCases(model)
      .filter((c) => c.expect === 'stored')
      .map((c) => c.payload);
    await app.inject({
      method: 'POST',
      url: '/v1/events?type=prediction',
      headers: { 'content-type': 'application/x-ndjson' },
      payload: lines.join('\n'),
    });
    const rows = await store.query<{ event_id: string; amount: string }>(
      `SELECT event_id, toString(feature_numbers['amount']) AS amount FROM events FINAL
       WHERE model = {model:String} ORDER BY event_id`,
      { model },
    );
    expect(rows).toEqual([
      { event_id: 'inffeature', amount: 'inf' },
      { event_id: 'neginffeature', amount: '-inf' },
    ]);
  });

  it('stores a multiclass prediction with its class scores; a bad class score dead-letters only its event', async () => {
    const model = 'http-multiclass';
    const multiclass = (id: string, scores: unknown) => ({
      type: 'prediction',
      event_id: id,
      model,
      ts: '2026-11-22T10:00:00Z',
      prediction_id: id,
      features: { amount: 1 },
      prediction: 'cat',
      scores,
    });
    const response = await app.inject({
      method: 'POST',
      url: '/v1/events',
      payload: [
        multiclass('m1', { cat: 0.7, dog: 0.2, bird: 0.1 }),
        multiclass('m2', { cat: 0.7, dog: -0.2 }),
        { ...multiclass('m3', undefined), scores: undefined },
      ],
    });
    expect(response.statusCode).toBe(207);
    expect(response.json()).toMatchObject({
      accepted: 2,
      rejected: 1,
      errors: [
        {
          index: 1,
          reason: 'invalid',
          detail: 'field "scores.dog": must be >= 0, got -0.2',
        },
      ],
    });
    const rows = await store.query<{ event_id: string; prediction: string; scores: object }>(
      `SELECT event_id, prediction, scores FROM events FINAL
       WHERE model = {model:String} ORDER BY event_id`,
      { model },
    );
    expect(rows).toEqual([
      { event_id: 'm1', prediction: 'cat', scores: { bird: 0.1, cat: 0.7, dog: 0.2 } },
      { event_id: 'm3', prediction: 'cat', scores: {} },
    ]);
  });

  it('refuses an unknown ?type= with a 400 that names it', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/v1/events?type=metric',
      payload: [],
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toMatch(/type/);
  });

  it('answers 413 before reading a body whose declared length passes the limit', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/v1/events?type=prediction',
      headers: { 'content-type': 'application/x-ndjson' },
      payload: 'x'.repeat(1024 * 1024 + 1),
    });
    expect(response.statusCode).toBe(413);
    expect(response.json()).toMatchObject({ code: 'DW_BODY_TOO_LARGE', processed: 0 });
  });

  it('keeps a capped head, the size and the hash of an oversized event as its dead letter', async () => {
    const big = validPrediction(
      'http-big',
      'big',
      '2026-11-22T10:00:00Z',
      `,"pad":"${'y'.repeat(2_000_000 - 200)}"`,
    );
    const bigApp = buildApp({
      store,
      metrics: createIngestMetrics(),
      monitors: () => [],
      ingest: { ...loadIngestConfig({}), maxEventBytes: 1024 * 1024, deadLetterPayloadBytes: 256 },
    });
    try {
      const response = await bigApp.inject({
        method: 'POST',
        url: '/v1/events?type=prediction',
        headers: { 'content-type': 'application/x-ndjson' },
        payload: `${big}\n${validPrediction('http-big', 'small', '2026-11-22T10:00:00Z')}\n`,
      });
      expect(response.statusCode).toBe(207);
      expect(response.json()).toMatchObject({
        accepted: 1,
        errors: [{ index: 0, line: 1, reason: 'too_large' }],
      });
    } finally {
      await bigApp.close();
    }
    const listed = await app.inject({
      method: 'GET',
      url: '/v1/dead-letters?reason=too_large&payload=true',
    });
    const [letter] = listed.json().dead_letters;
    expect(letter).toMatchObject({
      payload: big.slice(0, 256),
      payload_bytes: big.length,
      payload_sha256: createHash('sha256').update(big).digest('hex'),
      payload_truncated: true,
    });
  });

  it('pages dead letters newest first, with payloads only when asked', async () => {
    const lines = Array.from({ length: 25 }, (_, i) => `not json ${i}`).join('\n');
    await app.inject({
      method: 'POST',
      url: '/v1/events?type=prediction',
      headers: { 'content-type': 'application/x-ndjson' },
      payload: lines,
    });
    const seen: string[] = [];
    let url = '/v1/dead-letters?reason=not_json&limit=10';
    for (let page = 0; page < 10; page += 1) {
      const response = await app.inject({ method: 'GET', url });
      expect(response.statusCode).toBe(200);
      const body = response.json();
      for (const letter of body.dead_letters) {
        expect(letter.payload).toBeUndefined();
        seen.push(letter.dead_letter_id);
      }
      if (body.next_cursor === null) break;
      url = `/v1/dead-letters?reason=not_json&limit=10&before=${body.next_cursor}`;
    }
    const [row] = await store.query<{ n: string }>(
      "SELECT count() AS n FROM dead_letters WHERE reason = 'not_json'",
    );
    expect(seen).toHaveLength(Number(row?.n));
    expect(new Set(seen).size).toBe(seen.length);
    const bad = await app.inject({ method: 'GET', url: '/v1/dead-letters?before=garbage' });
    expect(bad.statusCode).toBe(400);
  });

  it('answers 503 while the store is unavailable, never dead-lettering for it', async () => {
    await store.command('DETACH TABLE events');
    let response;
    try {
      response = await app.inject({
        method: 'POST',
        url: '/v1/events?type=prediction',
        headers: { 'content-type': 'application/x-ndjson' },
        payload: validPrediction('http-outage', 'e1', '2026-11-22T10:00:00Z'),
      });
    } finally {
      await store.command('ATTACH TABLE events');
    }
    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe('5');
    expect(response.json()).toMatchObject({ code: 'DW_STORE_UNAVAILABLE', processed: 0 });
    const [row] = await store.query<{ n: string }>(
      "SELECT count() AS n FROM dead_letters WHERE payload LIKE '%http-outage%'",
    );
    expect(Number(row?.n)).toBe(0);
  });
});
