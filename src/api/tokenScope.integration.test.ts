import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestStore } from '../../test/helpers/store.js';
import { loadApiConfig, loadIngestConfig } from '../config/config.js';
import { createIngestMetrics } from '../ingest/metrics.js';
import type { Store } from '../store/clickhouse.js';
import { countStored } from '../store/events.js';
import { buildApp } from './app.js';
import { createToken, hashToken } from './auth/tokens.js';

/**
 * Ingest tokens scoped to models (README: Access control): a producer's token posts events
 * only for its models, so it cannot feed another team's monitor (and trigger its retraining
 * webhook). Tokens configured before scopes existed post for every model, as they did.
 */
const event = (id: string, model: string) => ({
  type: 'prediction',
  event_id: id,
  model,
  ts: '2026-11-22T10:00:00Z',
  prediction_id: `p-${id}`,
  features: { amount: 1 },
  score: 0.5,
});

describe('ingest tokens scoped to models', () => {
  let store: Store;
  let app: ReturnType<typeof buildApp>;
  // configuration lines as an operator writes them: a scoped one, and one written before
  // scopes existed (role:sha256:name)
  const scoped = createToken('ingest', 'fraud-producer');
  const unscoped = createToken('ingest', 'old-producer');
  const scopedLine = `ingest:${hashToken(scoped.token)}:fraud-producer:models=fraud-detector+team-a-*`;
  beforeAll(async () => {
    store = await openTestStore();
    const api = loadApiConfig({ DRIFTWATCH_TOKENS: `${scopedLine},${unscoped.line}` });
    app = buildApp({
      store,
      metrics: createIngestMetrics(),
      monitors: () => [],
      ingest: loadIngestConfig({}),
      auth: { tokens: api.tokens },
    });
  });
  afterAll(async () => {
    await app.close();
    await store.close();
  });

  const post = (token: string, payload: unknown[]) =>
    app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: { authorization: `Bearer ${token}` },
      payload,
    });

  it('stores the events of its models and dead-letters the others, each with its reason', async () => {
    const response = await post(scoped.token, [
      event('a1', 'fraud-detector'),
      event('a2', 'churn-model'),
      event('a3', 'team-a-ranker'),
      {
        type: 'label',
        model: 'churn-model',
        prediction_id: 'p-x',
        label: 1,
        ts: '2026-11-22T12:00:00Z',
      },
    ]);
    expect(response.statusCode).toBe(207);
    const answer = response.json() as { errors: unknown[] };
    expect(answer).toMatchObject({ accepted: 2, rejected: 2, duplicates: 0, errors_omitted: 0 });
    expect(answer.errors).toEqual(
      [1, 3].map((index) => ({
        index,
        reason: 'model_not_allowed',
        detail:
          'field "model": token "fraud-producer" may post only for fraud-detector, team-a-*, not "churn-model"',
      })),
    );
    expect(await countStored(store)).toEqual({
      events: { predictions: 2, features: 0, labels: 0 },
      dead_letters: 2,
    });
  });

  it('leaves unscoped tokens posting for every model', async () => {
    const response = await post(unscoped.token, [event('b1', 'churn-model'), event('b2', 'x')]);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ accepted: 2, rejected: 0 });
  });
});
