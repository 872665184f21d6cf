import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestStore } from '../../test/helpers/store.js';
import { planFromYaml, storeRun, type StoredVerdict } from '../../test/helpers/verdicts.js';
import { buildApp } from '../api/app.js';
import { createToken } from '../api/auth/tokens.js';
import { loadAlertsConfig } from '../config/config.js';
import { createIngestMetrics } from '../ingest/metrics.js';
import { silentLogger } from '../observability/logger.js';
import { createMetricsRegistry } from '../observability/metrics.js';
import { insertAlertStates, listAlerts, setAlertProgress } from '../store/alerts.js';
import type { Store } from '../store/clickhouse.js';
import { createAlertStage } from './alertStage.js';
import { createAlertsApi } from './alertsApi.js';

/** GET /v1/alerts/events: the audit trail the dashboard marks its drift charts with. */
const T0 = Date.parse('2026-11-22T00:00:00Z');
const WINDOW = 30 * 60_000;
const at = (i: number) => new Date(T0 + i * WINDOW).toISOString();
const reader = createToken('read', 'analyst');

function monitorYaml(model: string): string {
  return `model: ${model}
baseline: { trailing: 7d }
features: { amount: numeric }
slices: [channel]
schedule: '*/30 * * * *'
window: 30m
checks:
  - { metric: psi, features: all, warn: 0.1, critical: 0.25 }
`;
}

const verdict = (slice: string, status: StoredVerdict['status'], value: number) => ({
  feature: 'amount',
  slice,
  status,
  value,
});

/** Per window: the verdicts of amount's PSI on the web channel and on the whole window. */
const STORY: [StoredVerdict, StoredVerdict][] = [
  [verdict('channel=web', 'warn', 0.17), verdict('all', 'ok', 0.02)], // 1: web fires (warn)
  [verdict('channel=web', 'critical', 0.41), verdict('all', 'ok', 0.02)], // 2: escalates
  [verdict('channel=web', 'ok', 0.03), verdict('all', 'ok', 0.02)], // 3: resolves
  [verdict('channel=web', 'ok', 0.03), verdict('all', 'warn', 0.12)], // 4: all fires
];

describe('GET /v1/alerts/events', () => {
  let store: Store;
  let app: FastifyInstance;

  beforeAll(async () => {
    store = await openTestStore();
    const plans = ['shop', 'bank'].map((model) => planFromYaml(monitorYaml(model)));
    const stage = createAlertStage({
      store,
      plans,
      config: loadAlertsConfig({}),
      logger: silentLogger(),
      registry: createMetricsRegistry({ processMetrics: false }),
    });
    for (const [index, verdicts] of STORY.entries()) {
      const end = new Date(at(index + 1));
      for (const plan of plans) {
        // The bank sees only the first window's breach: one firing event of its own.
        await storeRun(store, plan, end, plan.model === 'shop' || index === 0 ? verdicts : []);
        if (index === 0) {
          // As if the stage had read up to the window before: it starts with this one.
          await setAlertProgress(store, plan.monitor, new Date(end.getTime() - WINDOW));
        }
        await stage.processMonitor(plan.monitor, end);
      }
    }
    await stage.stop();
    app = buildApp({
      store,
      metrics: createIngestMetrics(),
      monitors: () => [],
      auth: { tokens: [reader.entry] },
      alerts: createAlertsApi(store, { plans: () => [], config: loadAlertsConfig({}) }),
    });
  });
  afterAll(async () => {
    await app.close();
    await store.close();
  });

  const get = async (query: string) => {
    const response = await app.inject({
      method: 'GET',
      url: `/v1/alerts/events?${query}`,
      headers: { authorization: `Bearer ${reader.token}` },
    });
    return { status: response.statusCode, body: response.json() as Record<string, unknown> };
  };
  const summary = (body: Record<string, unknown>) =>
    (body.items as Record<string, unknown>[]).map((e) => [
      e.window_end,
      e.event,
      e.from_state,
      e.to_state,
      e.severity,
    ]);

  it("lists one chart's transitions, oldest first, with the run that caused each", async () => {
    const { status, body } = await get(
      'model=shop&check_id=psi&feature=amount&slice=channel%3Dweb&event=firing,escalated,resolved',
    );
    expect(status).toBe(200);
    expect(summary(body)).toEqual([
      [at(1), 'firing', 'inactive', 'firing', 'warn'],
      [at(2), 'escalated', 'firing', 'firing', 'critical'],
      [at(3), 'resolved', 'firing', 'resolved', 'critical'],
    ]);
    expect((body.items as unknown[])[1]).toMatchObject({
      model: 'shop',
      monitor: 'shop',
      check_id: 'psi',
      metric: 'psi',
      feature: 'amount',
      slice: 'channel=web',
      episode: 1,
      window_start: at(1),
      baseline: 'file:train.csv',
      baseline_version: 3,
      verdict_status: 'critical',
      value: 0.41,
      notified: false, // no routes: recorded, nobody to tell
      suppressed_by: '',
    });
    expect(body).toMatchObject({ total: 3, next_offset: null });
  });

  it('filters by slice "all", by model, by time, and pages', async () => {
    expect(summary((await get('model=shop&slice=all')).body)).toEqual([
      [at(4), 'firing', 'inactive', 'firing', 'warn'],
    ]);
    expect(summary((await get('model=bank')).body)).toEqual([
      [at(1), 'firing', 'inactive', 'firing', 'warn'],
    ]);
    expect((await get('event=firing')).body.total).toBe(3);
    // window_end after `from`, at or before `to`
    const range = await get(`model=shop&from=${at(1)}&to=${at(3)}`);
    expect(summary(range.body).map((row) => row[1])).toEqual(['escalated', 'resolved']);
    const first = await get('model=shop&limit=2');
    expect(first.body).toMatchObject({ total: 4, limit: 2, offset: 0, next_offset: 2 });
    const second = await get('model=shop&limit=2&offset=2');
    expect(summary(second.body).map((row) => row[1])).toEqual(['resolved', 'firing']);
    expect(second.body).toMatchObject({ next_offset: null });
  });

  it('answers 400 naming a bad event or slice', async () => {
    const event = await get('event=firing,exploded');
    expect(event.status).toBe(400);
    expect(event.body).toMatchObject({
      code: 'DW_BAD_REQUEST',
      error: expect.stringMatching(/event/),
    });
    const slice = await get('slice=web');
    expect(slice.status).toBe(400);
    expect(slice.body).toMatchObject({ error: expect.stringMatching(/slice/) });
  });

  it('takes an alert id by unique prefix, like git, and lists the candidates of an ambiguous one', async () => {
    const [existing] = await listAlerts(store, { state: 'all', limit: 1 });
    if (!existing) throw new Error('no alert to copy');
    const ids = ['abcd1234', 'abcd5678'].map((head) => head.padEnd(32, '0'));
    await insertAlertStates(
      store,
      ids.map((alertId, i) => ({ ...existing, alertId, sliceValue: `copy-${i}` })),
    );
    const show = (id: string) =>
      app.inject({
        method: 'GET',
        url: `/v1/alerts/${id}`,
        headers: { authorization: `Bearer ${reader.token}` },
      });
    const unique = await show('abcd1');
    expect(unique.statusCode).toBe(200);
    expect(unique.json()).toMatchObject({ alert: { alert_id: ids[0] } });
    expect((await show('ABCD5')).json()).toMatchObject({ alert: { alert_id: ids[1] } });
    const ambiguous = await show('abcd');
    expect(ambiguous.statusCode).toBe(400);
    expect(ambiguous.json()).toMatchObject({
      code: 'DW_BAD_REQUEST',
      error: `alert id "abcd" is ambiguous: it starts ${ids[0]}, ${ids[1]}; give more characters`,
    });
    const short = await show('abc');
    expect([short.statusCode, short.json().error]).toEqual([
      400,
      'alert id "abc" is too short: give at least 4 characters',
    ]);
    const none = await show('0000ffff');
    expect([none.statusCode, none.json().error]).toEqual([404, 'no alert "0000ffff"']);
    // the same use case below the CLI
    const api = createAlertsApi(store, { plans: () => [], config: loadAlertsConfig({}) });
    await expect(api.acknowledge('abcd', 'ana', '')).rejects.toMatchObject({
      name: 'AlertLookupError',
      reason: 'ambiguous',
      candidates: ids,
    });
    expect((await api.acknowledge('abcd56', 'ana', 'seen')).alert_id).toBe(ids[1]);
  });
});
