import fs from 'node:fs';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../../test/helpers/cli.js';
import { alertFieldsToJson } from '../../monitors/checkResult.js';
import type { WebhookPlan } from '../../monitors/plan.js';
import type { NotificationItem, NotificationMessage } from '../notification.js';
import { verifyWebhookSignature } from '../signature.js';
import { renderEmail } from './email.js';
import { renderSlackMessage, SLACK_LINE_CAP } from './slack.js';
import { headline, itemLine, linksFor, measureText } from './text.js';
import { buildWebhookRequest, webhookPayload } from './webhook.js';

const LINKS = linksFor('https://dw.example.com/', 'fraud');

function item(overrides: Partial<NotificationItem> = {}): NotificationItem {
  return {
    ...alertFieldsToJson(null),
    alert_id: '0123456789abcdef0123456789abcdef',
    event: 'firing',
    state: 'firing',
    severity: 'critical',
    episode: 1,
    check: 'psi',
    metric: 'psi',
    feature: 'amount',
    slice: { key: 'channel', value: 'web' },
    status: 'critical',
    value: 0.8039,
    value_lower: null,
    value_upper: null,
    p_value: null,
    adjusted_p_value: null,
    warn_threshold: 0.1,
    critical_threshold: 0.25,
    effect: null,
    min_effect: null,
    n_reference: 20000,
    n_current: 1510,
    note: null,
    consecutive_windows: 1,
    since: '2026-11-22T11:30:00.000Z',
    fired_at: '2026-11-22T11:30:00.000Z',
    resolved_at: null,
    ...overrides,
  };
}

function message(
  items: NotificationItem[],
  overrides: Partial<NotificationMessage> = {},
): NotificationMessage {
  return {
    type: 'alerts',
    model: 'fraud',
    monitor: 'fraud',
    severity: 'critical',
    window: { start: '2026-11-22T11:30:00.000Z', end: '2026-11-22T12:00:00.000Z' },
    baseline: { name: 'file:fraud.csv', version: 2 },
    monitor_hash: 'abc',
    items,
    ...overrides,
  };
}

const KS = item({
  check: 'ks',
  metric: 'ks',
  value: 0.3715,
  p_value: 6.58e-85,
  critical_threshold: 0.01,
  warn_threshold: null,
  effect: 0.3715,
  min_effect: 0.1,
});

describe('notification text', () => {
  it('says a model-level alert is one, and what a "no data" alert expected (issue 20: feature "", threshold null)', () => {
    const silent = item({
      check: 'psi',
      feature: '',
      slice: { key: '', value: 'all' },
      status: 'no_data',
      value: null,
      note: 'no events since 2026-12-06T18:10:00.000Z (expected: events in every 60-minute window)',
    });
    expect(itemLine(silent)).toBe(
      '[firing] psi · (model) · all: no data: no events since 2026-12-06T18:10:00.000Z (expected: events in every 60-minute window)',
    );
  });

  it('states each breach as value against threshold, with p-value and effect where they apply', () => {
    expect(itemLine(item())).toBe('[firing] psi · amount · channel=web: 0.8039 ≥ 0.25');
    expect(measureText(KS)).toBe('D 0.3715, p 6.58e-85 < 0.01, effect 0.3715 ≥ 0.1');
    expect(measureText({ ...KS, adjusted_p_value: 2e-80 })).toBe(
      'D 0.3715, adjusted p 2.00e-80 < 0.01, effect 0.3715 ≥ 0.1',
    );
    expect(
      measureText(
        item({
          metric: 'auroc',
          check: 'auroc',
          feature: '',
          value: 0.55,
          critical_threshold: 0.6,
          warn_threshold: 0.65,
        }),
      ),
    ).toBe('0.55 < 0.6');
    expect(
      measureText(
        item({
          metric: 'null_rate',
          check: 'null_rate',
          value: 0.19,
          critical_threshold: 0.05,
          warn_threshold: null,
        }),
      ),
    ).toBe('+0.19 (limit ±0.05)');
    expect(
      measureText(item({ metric: 'new_categories', value: 1, note: 'new categories: gaming' })),
    ).toBe('1, new categories: gaming');
    expect(measureText(item({ status: 'no_data', value: null }))).toBe('no data');
    // a value from window summaries carries the bracket that contains the exact value
    expect(measureText(item({ value: 0.31, value_lower: 0.3, value_upper: 0.3204 }))).toBe(
      '0.31 ≥ 0.25, exact value in [0.3, 0.3204]',
    );
    expect(
      itemLine(item({ event: 'resolved', state: 'resolved', value: 0.04, consecutive_windows: 2 })),
    ).toBe('[resolved] psi · amount · channel=web: 0.04 (clear 2 windows)');
  });

  it('headlines severity, model and counts', () => {
    expect(
      headline(message([item(), item({ event: 'escalated' }), item({ event: 'resolved' })])),
    ).toBe('CRITICAL fraud: 1 escalated, 1 firing, 1 resolved');
    expect(headline(message([item({ event: 'resolved' })]))).toBe(
      'RESOLVED fraud: 1 alert resolved',
    );
    expect(headline(message([], { type: 'test', severity: null }))).toBe(
      'TEST fraud: a test notification from driftwatch',
    );
  });
});

describe('Slack Block Kit', () => {
  it('caps the lines, worst first, with "and N more", and keeps a plain-text fallback', () => {
    const items = Array.from({ length: 40 }, (_, i) =>
      item({ feature: `f${String(i).padStart(2, '0')}` }),
    );
    const slack = renderSlackMessage(message(items), LINKS);
    const section = slack.blocks[2];
    expect(section?.type).toBe('section');
    const lines = (section as { text: { text: string } }).text.text.split('\n');
    expect(lines).toHaveLength(SLACK_LINE_CAP);
    // each line links to its alert's page on the dashboard, where it explains itself
    const why = LINKS.alert(items[0]?.alert_id ?? '');
    expect(why).toBe(`https://dw.example.com/dashboard/alerts/${items[0]?.alert_id}`);
    expect(lines[0]).toBe(`• [firing] psi · f00 · channel=web: 0.8039 ≥ 0.25 <${why}|why>`);
    expect(slack.blocks[3]).toEqual({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: 'and 25 more' }],
    });
    expect(slack.text.split('\n')[0]).toBe('CRITICAL fraud: 40 firing');
    expect(slack.text).toContain('and 25 more');
    expect(slack.text).toContain('https://dw.example.com/dashboard/models/fraud');
    expect(slack.text.split('\n')[2]).toBe(
      `- [firing] psi · f00 · channel=web: 0.8039 ≥ 0.25 (why: ${why})`,
    );
  });

  it("escapes Slack's control characters in names", () => {
    const slack = renderSlackMessage(
      message([item({ slice: { key: 'channel', value: '<!channel>' } })]),
      LINKS,
    );
    expect(JSON.stringify(slack.blocks)).not.toContain('<!channel>');
    expect(JSON.stringify(slack.blocks)).toContain('&lt;!channel&gt;');
  });
});

describe('email', () => {
  it('carries the same facts in text and HTML, HTML escaped', () => {
    const items = [
      item(),
      KS,
      item({ feature: '<script>alert(1)</script>', severity: 'warn', value: 0.12 }),
    ];
    const email = renderEmail(message(items), LINKS);
    expect(email.subject).toBe('[driftwatch] CRITICAL fraud: 3 firing');
    for (const entry of items) {
      const facts = measureText(entry);
      expect(email.text).toContain(facts);
      expect(email.html).toContain(facts.replace(/</g, '&lt;').replace(/>/g, '&gt;'));
    }
    for (const fact of [
      'file:fraud.csv',
      '2026-11-22T11:30:00.000Z .. 2026-11-22T12:00:00.000Z',
      LINKS.history,
    ]) {
      expect(email.text).toContain(fact);
      expect(email.html).toContain(fact);
    }
    expect(email.html).not.toContain('<script>');
    for (const entry of items) {
      const why = LINKS.alert(entry.alert_id);
      expect(email.text).toContain(`why: ${why}`);
      expect(email.html).toContain(`<a href="${why}">why</a>`);
    }
  });
});

describe('webhook requests', () => {
  const secret = `whsec_${Buffer.from('a webhook secret of 32 bytes....').toString('base64')}`;
  const notification = {
    id: 'msg_0123456789abcdef0123456789abcdef',
    kind: 'trigger',
    message: message([item(), KS]),
  };
  const policy = {
    severities: ['critical' as const],
    afterWindows: 1,
    minIntervalMs: 0,
    sendResolved: false,
  };
  const now = new Date('2026-11-22T12:00:05Z');

  it('generic: the documented body, signed as Standard Webhooks', () => {
    const plan: WebhookPlan = {
      name: 'retrain',
      preset: 'generic',
      url: 'https://ci.example.com/h',
      secretEnv: ['S'],
      policy,
    };
    const request = buildWebhookRequest(
      notification,
      { plan, secrets: [secret], token: null },
      { links: LINKS, now },
    );
    expect(request.url).toBe('https://ci.example.com/h');
    expect(request.headers['webhook-id']).toBe(notification.id);
    expect(request.headers['webhook-timestamp']).toBe(String(Math.floor(now.getTime() / 1000)));
    expect(verifyWebhookSignature(request.headers, request.body, [secret], { now })).toEqual({
      ok: true,
    });
    const body = JSON.parse(request.body) as unknown;
    expect(body).toEqual(webhookPayload(notification, LINKS));
    const ajv = new Ajv2020({ allErrors: true, strict: false });
    addFormats.default(ajv);
    const validate = ajv.compile(
      JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'schemas/webhook.schema.json'), 'utf8')),
    );
    expect(validate(body), JSON.stringify(validate.errors)).toBe(true);
    expect(body).toMatchObject({
      type: 'driftwatch.alerts.firing',
      timestamp: '2026-11-22T12:00:00.000Z',
      data: {
        model: 'fraud',
        window: { start: '2026-11-22T11:30:00.000Z', end: '2026-11-22T12:00:00.000Z' },
        baseline: { name: 'file:fraud.csv', version: 2 },
        link: 'https://dw.example.com/v1/results?model=fraud&status=warn,critical',
      },
    });
    // every breach links to its alert's page, where it explains itself
    expect(
      (body as { data: { breaches: { alert_id: string; link: string }[] } }).data.breaches.map(
        (b) => b.link,
      ),
    ).toEqual(
      notification.message.items.map(
        (entry) => `https://dw.example.com/dashboard/alerts/${entry.alert_id}`,
      ),
    );
  });

  it('github_actions: a repository_dispatch with at most 10 client_payload properties', () => {
    const plan: WebhookPlan = {
      name: 'gha',
      preset: 'github_actions',
      apiUrl: 'https://api.github.com',
      repository: 'acme/models',
      eventType: 'retrain-fraud',
      tokenEnv: 'GITHUB_TOKEN',
      policy,
    };
    const request = buildWebhookRequest(
      notification,
      { plan, secrets: [], token: 'ghp_token' },
      { links: LINKS, now },
    );
    expect(request.url).toBe('https://api.github.com/repos/acme/models/dispatches');
    expect(request.headers).toMatchObject({
      authorization: 'Bearer ghp_token',
      accept: 'application/vnd.github+json',
      'x-github-api-version': '2022-11-28',
    });
    const body = JSON.parse(request.body) as {
      event_type: string;
      client_payload: Record<string, unknown>;
    };
    expect(body.event_type).toBe('retrain-fraud');
    expect(Object.keys(body.client_payload).length).toBeLessThanOrEqual(10);
    expect(body.client_payload).toMatchObject({
      delivery_id: notification.id,
      model: 'fraud',
      severity: 'critical',
    });
  });

  it('airflow: a DAG run whose id is the notification, so a retry is answered 409', () => {
    const plan: WebhookPlan = {
      name: 'af',
      preset: 'airflow',
      url: 'https://airflow.example.com',
      dagId: 'retrain_fraud',
      apiVersion: 'v2',
      auth: 'bearer',
      tokenEnv: 'AIRFLOW_TOKEN',
      policy,
    };
    const request = buildWebhookRequest(
      notification,
      { plan, secrets: [], token: 'tok' },
      { links: LINKS, now },
    );
    expect(request.url).toBe('https://airflow.example.com/api/v2/dags/retrain_fraud/dagRuns');
    expect(request.headers.authorization).toBe('Bearer tok');
    expect(request.conflictMeansDelivered).toBe(true);
    const body = JSON.parse(request.body) as Record<string, unknown>;
    expect(body).toMatchObject({
      dag_run_id: `driftwatch__${notification.id}`,
      logical_date: null,
    });
    const v1 = buildWebhookRequest(
      notification,
      { plan: { ...plan, apiVersion: 'v1', auth: 'basic' }, secrets: [], token: 'admin:pw' },
      { links: LINKS, now },
    );
    expect(v1.url).toBe('https://airflow.example.com/api/v1/dags/retrain_fraud/dagRuns');
    expect(v1.headers.authorization).toBe(`Basic ${Buffer.from('admin:pw').toString('base64')}`);
    expect(JSON.parse(v1.body)).not.toHaveProperty('logical_date');
  });
});

describe('an estimate held against its labels (estimation_error, CBPE)', () => {
  const breach = item({
    check: 'auroc_estimate',
    metric: 'estimation_error',
    feature: '',
    slice: { key: '', value: 'all' },
    value: 0.5123,
    estimated_value: 0.8286,
    band_lower: 0.794,
    band_upper: 0.8631,
    warn_threshold: null,
    critical_threshold: 0.01,
  });

  it('names the realized value, the estimate and its band, and the tolerance', () => {
    expect(measureText(breach)).toBe(
      "realized 0.5123 outside the estimate 0.8286's band [0.794, 0.8631] (tolerance 0.01)",
    );
    expect(measureText({ ...breach, value: 0.8 })).toContain('realized 0.8 within');
    // an estimated value shows its band beside it, as a bracket is shown
    expect(
      measureText(
        item({
          metric: 'estimated_roc_auc',
          value: 0.55,
          value_lower: 0.54,
          value_upper: 0.56,
          band_lower: 0.5,
          band_upper: 0.61,
          critical_threshold: 0.6,
        }),
      ),
    ).toBe('0.55 < 0.6, exact value in [0.54, 0.56], band [0.5, 0.61]');
  });

  it('carries both values and the band in a webhook body that the schema accepts', () => {
    const payload = webhookPayload(
      { id: 'msg_0123456789abcdef0123456789abcdef', kind: 'trigger', message: message([breach]) },
      LINKS,
    );
    const ajv = new Ajv2020({ allErrors: true, strict: false });
    addFormats.default(ajv);
    const validate = ajv.compile(
      JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'schemas/webhook.schema.json'), 'utf8')),
    );
    expect(validate(payload), JSON.stringify(validate.errors)).toBe(true);
    expect(payload.data.breaches[0]).toMatchObject({
      value: 0.5123,
      estimated_value: 0.8286,
      band_lower: 0.794,
      band_upper: 0.8631,
    });
  });
});
