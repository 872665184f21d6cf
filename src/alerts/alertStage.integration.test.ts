import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  LOCAL_RECEIVERS_ENV,
  startSlackStub,
  startSmtpCatcher,
  startWebhookReceiver,
  type SlackStub,
  type SmtpCatcher,
  type WebhookReceiver,
} from '../../test/helpers/alertReceivers.js';
import { REPO_ROOT } from '../../test/helpers/cli.js';
import { openTestStore } from '../../test/helpers/store.js';
import { planFromYaml, storeRun, type StoredVerdict } from '../../test/helpers/verdicts.js';
import { loadAlertsConfig } from '../config/config.js';
import type { MonitorPlan } from '../monitors/plan.js';
import { silentLogger } from '../observability/logger.js';
import { createMetricsRegistry, type MetricsRegistry } from '../observability/metrics.js';
import {
  getAlert,
  insertAcknowledgement,
  insertSilence,
  listAlertEvents,
  listAlerts,
} from '../store/alerts.js';
import type { Store } from '../store/clickhouse.js';
import { listDeliveryAttempts, listOutbox } from '../store/outbox.js';
import { createAlertStage, type AlertStage } from './alertStage.js';

const SECRET = `whsec_${Buffer.from('driftwatch test secret: 32 bytes').toString('base64')}`;
const T0 = Date.parse('2026-11-22T00:00:00Z');
const WINDOW = 30 * 60_000;
const at = (i: number) => new Date(T0 + i * WINDOW);

let store: Store;
let smtp: SmtpCatcher;
let slack: SlackStub;
let hook: WebhookReceiver;
const stages: AlertStage[] = [];

beforeAll(async () => {
  store = await openTestStore();
  smtp = await startSmtpCatcher();
  slack = await startSlackStub();
  hook = await startWebhookReceiver([SECRET]);
});

// Stages share the store's outbox: each test's loops stop before the next test begins.
afterEach(async () => {
  await Promise.all(stages.splice(0).map((stage) => stage.stop()));
});

afterAll(async () => {
  await Promise.all([smtp.close(), slack.close(), hook.close()]);
  await store.close();
});

function monitorYaml(model: string, alerts: string): string {
  return `model: ${model}
baseline: { trailing: 7d }
features: { amount: numeric, merchant: categorical }
schedule: '*/30 * * * *'
window: 30m
checks:
  - { metric: psi, features: all, warn: 0.1, critical: 0.25 }
${alerts}`;
}

function startStage(
  plan: MonitorPlan,
  env: Record<string, string> = {},
): { stage: AlertStage; registry: MetricsRegistry } {
  const registry = createMetricsRegistry({ processMetrics: false });
  const stage = createAlertStage({
    store,
    plans: [plan],
    config: loadAlertsConfig({
      SLACK_BOT_TOKEN: 'xoxb-test-token',
      SLACK_API_URL: slack.apiUrl,
      SMTP_URL: smtp.url,
      SMTP_FROM: 'driftwatch <alerts@example.com>',
      DRIFTWATCH_PUBLIC_URL: 'http://driftwatch.example.com',
      TEST_SECRET: SECRET,
      ...LOCAL_RECEIVERS_ENV,
      DRIFTWATCH_ALERTS_MAX_ATTEMPTS: '4',
      DRIFTWATCH_ALERTS_RETRY_BASE_MS: '40',
      DRIFTWATCH_ALERTS_RETRY_MAX_MS: '200',
      DRIFTWATCH_ALERTS_TIMEOUT_MS: '3000',
      DRIFTWATCH_ALERTS_POLL_MS: '50',
      ...env,
    }),
    logger: silentLogger(),
    registry,
  });
  stages.push(stage);
  return { stage, registry };
}

/** Stores a run's verdicts and lets the stage process it, as the scheduler does. */
async function window(
  stage: AlertStage,
  plan: MonitorPlan,
  i: number,
  verdicts: StoredVerdict[],
): Promise<string[]> {
  await storeRun(store, plan, at(i), verdicts);
  const [processed] = await stage.processMonitor(plan.monitor, at(i));
  return (
    processed?.notifications.map((n) => `${n.destination} ${n.kind} ${n.events.join(',')}`) ?? []
  );
}

const breach = (feature: string, slice: string, status: 'warn' | 'critical'): StoredVerdict => ({
  feature,
  slice,
  status,
  value: status === 'critical' ? 0.41 : 0.17,
});
const clear = (feature: string, slice: string): StoredVerdict => ({
  feature,
  slice,
  status: 'ok',
  value: 0.03,
});

describe('alerts from stored verdicts to Slack, email and a signed webhook', () => {
  it('waits `for` windows, digests per route and severity, escalates, triggers the webhook once, resolves with hysteresis', async () => {
    const plan = planFromYaml(
      monitorYaml(
        'shop',
        `alerts:
  for: 2
  resolve_after: 2
  repeat_interval: 6h
  routes:
    - { severity: warn, slack: '#ml-drift', email: [ml@example.com] }
    - { severity: critical, slack: '#ml-oncall', webhook: retrain }
webhooks:
  retrain:
    url: ${hook.url}/retrain
    secret_env: TEST_SECRET
    severities: [critical]
    after_windows: 2
    min_interval: 1d
`,
      ),
    );
    const { stage } = startStage(plan);
    stage.delivery.start();
    const w = (i: number, verdicts: StoredVerdict[]) => window(stage, plan, i, verdicts);

    // 1: two breaches begin: pending (for: 2), nobody told
    expect(
      await w(1, [
        breach('amount', 'channel=web', 'warn'),
        breach('amount', 'all', 'warn'),
        clear('merchant', 'all'),
      ]),
    ).toEqual([]);
    // 2: still breaching: firing, one warn digest per warn route (Slack and email), none to critical routes
    expect(
      await w(2, [
        breach('amount', 'channel=web', 'warn'),
        breach('amount', 'all', 'warn'),
        clear('merchant', 'all'),
      ]),
    ).toEqual([
      'slack:#ml-drift digest firing,firing',
      'email:ml@example.com digest firing,firing',
    ]);
    // 3: web escalates to critical: a critical digest to every route at or below critical;
    //    the webhook triggers (critical, breaching 3 windows >= after_windows 2)
    expect(
      (
        await w(3, [
          breach('amount', 'channel=web', 'critical'),
          breach('amount', 'all', 'warn'),
          clear('merchant', 'all'),
        ])
      ).sort(),
    ).toEqual([
      'email:ml@example.com digest escalated',
      'slack:#ml-drift digest escalated',
      'slack:#ml-oncall digest escalated',
      'webhook:retrain trigger escalated',
    ]);
    // 4: still critical: within min_interval, no second trigger; no repeat before 6h
    expect(
      await w(4, [
        breach('amount', 'channel=web', 'critical'),
        breach('amount', 'all', 'warn'),
        clear('merchant', 'all'),
      ]),
    ).toEqual([]);
    // 5-6: one clear window is not enough (resolve_after: 2) ...
    expect(
      await w(5, [
        clear('amount', 'channel=web'),
        clear('amount', 'all'),
        clear('merchant', 'all'),
      ]),
    ).toEqual([]);
    // ... the second resolves both, each to the routes that heard it fire
    expect(
      (
        await w(6, [
          clear('amount', 'channel=web'),
          clear('amount', 'all'),
          clear('merchant', 'all'),
        ])
      ).sort(),
    ).toEqual([
      'email:ml@example.com digest resolved',
      'email:ml@example.com digest resolved',
      'slack:#ml-drift digest resolved',
      'slack:#ml-drift digest resolved',
      'slack:#ml-oncall digest resolved',
    ]);

    expect(await stage.delivery.drain({ timeoutMs: 20_000 })).toBe(true);
    const outbox = await listOutbox(store, { monitor: plan.monitor });
    expect(outbox.map((entry) => entry.status)).toEqual(outbox.map(() => 'delivered'));
    expect(outbox).toHaveLength(11);

    // Slack: Block Kit with header, fields, one line per breach, buttons; token sent as bearer
    const slackCalls = slack.calls.filter((call) => call.text.includes('shop'));
    const seenBy = (channel: string) =>
      slackCalls.filter((call) => call.channel === channel).map((call) => call.text.split('\n')[0]);
    // each channel hears its notices in window order
    expect(seenBy('#ml-drift')).toEqual([
      'WARNING shop: 2 firing',
      'CRITICAL shop: 1 escalated',
      'RESOLVED shop: 1 alert resolved',
      'RESOLVED shop: 1 alert resolved',
    ]);
    expect(seenBy('#ml-oncall')).toEqual([
      'CRITICAL shop: 1 escalated',
      'RESOLVED shop: 1 alert resolved',
    ]);
    expect(slackCalls[0]?.authorization).toBe('Bearer xoxb-test-token');
    const blocks = slackCalls.find((call) => call.channel === '#ml-oncall')?.blocks as {
      type: string;
      text?: { text: string };
      fields?: { text: string }[];
      elements?: { url?: string }[];
    }[];
    expect(blocks.map((block) => block.type)).toEqual(['header', 'section', 'section', 'actions']);
    expect(blocks[0]?.text?.text).toBe(':red_circle: CRITICAL · shop');
    expect(blocks[1]?.fields?.map((field) => field.text)).toEqual([
      '*Monitor*\nshop',
      `*Window*\n${at(2).toISOString()} .. ${at(3).toISOString()}`,
      '*Baseline*\nfile:train.csv',
      '*Version*\n3',
    ]);
    // each line links to its alert's page on the dashboard, where it explains itself
    expect(blocks[2]?.text?.text).toMatch(
      /^• \[escalated\] psi · amount · channel=web: 0\.41 ≥ 0\.25 \(3 windows\) <http:\/\/driftwatch\.example\.com\/dashboard\/alerts\/[0-9a-f]{32}\|why>$/,
    );
    expect(blocks[3]?.elements?.map((element) => element.url)).toEqual([
      'http://driftwatch.example.com/dashboard/models/shop',
      'http://driftwatch.example.com/v1/results?model=shop&status=warn,critical',
    ]);

    // email: subject with severity, model and count; text and HTML with the same facts
    const mails = smtp.mails.filter((mail) => mail.subject?.includes('shop'));
    expect(mails.map((mail) => mail.subject)).toEqual([
      '[driftwatch] WARNING shop: 2 firing',
      '[driftwatch] CRITICAL shop: 1 escalated',
      '[driftwatch] RESOLVED shop: 1 alert resolved',
      '[driftwatch] RESOLVED shop: 1 alert resolved',
    ]);
    const first = mails[0];
    expect(first?.to && 'text' in first.to ? first.to.text : '').toBe('ml@example.com');
    for (const line of [
      '[firing] psi · amount · all: 0.17 ≥ 0.1 (2 windows)',
      '[firing] psi · amount · channel=web: 0.17 ≥ 0.1 (2 windows)',
    ]) {
      expect(first?.text).toContain(line);
    }
    expect(first?.html).toContain('psi · amount · channel=web');
    expect(first?.html).toContain('0.17 ≥ 0.1');
    expect(first?.messageId).toMatch(/^<msg_[0-9a-f]{32}@driftwatch>$/);

    // the webhook: signed, verified, one trigger, body as schemas/webhook.schema.json says
    const triggers = hook.requests.filter((request) => request.path === '/retrain');
    expect(triggers).toHaveLength(1);
    expect(triggers[0]?.verification).toEqual({ ok: true });
    const body = JSON.parse(triggers[0]?.body ?? '{}') as {
      type: string;
      data: {
        alert_ids: string[];
        breaches: {
          feature: string;
          slice: { value: string };
          severity: string;
          consecutive_windows: number;
        }[];
      };
    };
    const ajv = new Ajv2020({ allErrors: true, strict: false });
    addFormats.default(ajv);
    const validate = ajv.compile(
      JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'schemas/webhook.schema.json'), 'utf8')),
    );
    expect(validate(body), JSON.stringify(validate.errors)).toBe(true);
    expect(body.type).toBe('driftwatch.alerts.firing');
    expect(
      body.data.breaches.map((b) => [b.feature, b.slice.value, b.severity, b.consecutive_windows]),
    ).toEqual([['amount', 'web', 'critical', 3]]);

    // the audit trail: every transition with the run that caused it
    const alerts = await listAlerts(store, { model: 'shop' });
    expect(
      alerts.map((alert) => [alert.sliceValue, alert.state, alert.severity, alert.episode]),
    ).toEqual([
      ['web', 'resolved', 'critical', 1],
      ['all', 'resolved', 'warn', 1],
    ]);
    const web = await getAlert(store, alerts[0]?.alertId ?? '');
    expect(
      web?.events.map((event) => [
        event.event,
        event.fromState,
        event.toState,
        event.windowEnd.toISOString(),
        event.notified,
      ]),
    ).toEqual([
      ['pending', 'inactive', 'pending', at(1).toISOString(), false],
      ['firing', 'pending', 'firing', at(2).toISOString(), true],
      ['escalated', 'firing', 'firing', at(3).toISOString(), true],
      ['resolved', 'firing', 'resolved', at(6).toISOString(), true],
    ]);
    expect(web?.events[2]).toMatchObject({
      baseline: 'file:train.csv',
      baselineVersion: 3,
      monitorHash: plan.hash,
      verdictStatus: 'critical',
      value: 0.41,
    });
  }, 60_000);

  it('keeps one episode while a value flaps around its threshold, and repeats only after repeat_interval', async () => {
    const plan = planFromYaml(
      monitorYaml(
        'flappy',
        `alerts:
  resolve_after: 3
  repeat_interval: 2h
  group: per_alert
  routes:
    - { severity: warn, slack: '#flappy' }
`,
      ),
    );
    const { stage } = startStage(plan);
    const said: string[] = [];
    // 0.11, 0.09, 0.12, 0.08 ... around warn 0.1 for 12 windows of 30 min, then clear
    for (let i = 1; i <= 12; i += 1) {
      const verdict =
        i % 2 === 1
          ? { ...breach('amount', 'all', 'warn'), value: 0.11 }
          : { ...clear('amount', 'all'), value: 0.09 };
      said.push(...(await window(stage, plan, i, [verdict])).map((line) => `${i}: ${line}`));
    }
    for (let i = 13; i <= 15; i += 1)
      said.push(
        ...(await window(stage, plan, i, [clear('amount', 'all')])).map((line) => `${i}: ${line}`),
      );
    // one firing notice; breaching windows at 1, 3, 5, ...: repeats once 2 h have passed since the
    // last notice (at 5 and 9); resolved after three clear windows in a row (12, 13, 14)
    expect(said).toEqual([
      '1: slack:#flappy alert firing',
      '5: slack:#flappy alert repeated',
      '9: slack:#flappy alert repeated',
      '14: slack:#flappy alert resolved',
    ]);
    const [alert] = await listAlerts(store, { model: 'flappy' });
    expect(alert).toMatchObject({ state: 'resolved', episode: 1 });
  });

  it('says what became of each evaluated window, and the window handled before it', async () => {
    const plan = planFromYaml(
      monitorYaml('told', `alerts:\n  routes:\n    - { severity: warn, slack: '#told' }\n`),
    );
    const { stage } = startStage(plan);
    const evaluated = async (i: number) => {
      const answer = await stage.onEvaluation({
        monitor: plan.monitor,
        window: { start: at(i - 1), end: at(i) },
      });
      return [answer.taken, answer.newestHandled?.toISOString() ?? null, answer.notifications];
    };
    await storeRun(store, plan, at(1), [clear('amount', 'all')]);
    expect(await evaluated(1)).toEqual(['new', null, 0]);
    await storeRun(store, plan, at(3), [breach('amount', 'all', 'warn')]);
    expect(await evaluated(3)).toEqual(['new', at(1).toISOString(), 1]);
    // a backfill of an older window lands in the history only, and says which window is newer
    await storeRun(store, plan, at(2), [breach('amount', 'all', 'critical')]);
    expect(await evaluated(2)).toEqual(['history_only', at(3).toISOString(), 0]);
    // the newest window evaluated again is decided again
    await storeRun(store, plan, at(3), [clear('amount', 'all')]);
    expect((await evaluated(3)).slice(0, 2)).toEqual(['again', at(3).toISOString()]);
    await stage.delivery.drain();
  });

  it('writes no second notification when a window is re-run, caught up twice, or processed out of order', async () => {
    const plan = planFromYaml(
      monitorYaml(
        'rerun',
        `alerts:\n  routes:\n    - { severity: warn, webhook: hook }\nwebhooks:\n  hook: { url: ${hook.url}/rerun, secret_env: TEST_SECRET, send_resolved: true }\n`,
      ),
    );
    const { stage } = startStage(plan);
    // three runs stored while the alert stage was not running: one catch-up processes them in order
    await storeRun(store, plan, at(1), [clear('amount', 'all')]);
    await stage.processMonitor(plan.monitor, at(1));
    await storeRun(store, plan, at(2), [breach('amount', 'all', 'warn')]);
    await storeRun(store, plan, at(3), [breach('amount', 'all', 'warn')]);
    await storeRun(store, plan, at(4), [clear('amount', 'all')]);
    const caughtUp = await stage.processMonitor(plan.monitor);
    expect(
      caughtUp.map((run) => [run.windowEnd.toISOString(), run.notifications.map((n) => n.kind)]),
    ).toEqual([
      [at(2).toISOString(), ['trigger']],
      [at(3).toISOString(), []],
      [at(4).toISOString(), ['resolved']],
    ]);
    // the same windows again: the run is re-evaluated (same verdicts stored again) and re-processed
    await storeRun(store, plan, at(2), [breach('amount', 'all', 'warn')]);
    expect(await stage.processMonitor(plan.monitor)).toEqual([]);
    expect(await stage.processMonitor(plan.monitor, at(2))).toEqual([]);
    // a fresh stage (a restart) reads the progress from the store and does nothing either
    const { stage: restarted } = startStage(plan);
    await restarted.catchUp();
    await restarted.delivery.drain();
    await stage.delivery.drain();
    const outbox = await listOutbox(store, { monitor: plan.monitor });
    expect(outbox.map((entry) => [entry.kind, entry.status])).toEqual([
      ['resolved', 'delivered'],
      ['trigger', 'delivered'],
    ]);
    const received = hook.requests.filter((request) => request.path === '/rerun');
    expect(received.map((request) => (JSON.parse(request.body) as { type: string }).type)).toEqual([
      'driftwatch.alerts.firing',
      'driftwatch.alerts.resolved',
    ]);
    expect(received.every((request) => request.verification.ok)).toBe(true);
  });

  it('respects silences (who, why, until when) and acknowledgements, and records what was withheld', async () => {
    const plan = planFromYaml(
      monitorYaml(
        'quiet',
        `alerts:\n  repeat_interval: 1h\n  group: per_alert\n  routes:\n    - { severity: warn, slack: '#quiet' }\n`,
      ),
    );
    const { stage } = startStage(plan);
    const now = new Date();
    await insertSilence(store, {
      silenceId: 'sil_test',
      model: 'quiet',
      feature: 'amount',
      slice: 'web',
      checkId: '',
      startsAt: new Date(now.getTime() - 60_000),
      endsAt: new Date(now.getTime() + 3_600_000),
      reason: 'known upstream change',
      createdBy: 'ana',
      createdAt: now,
      expiredBy: '',
      expiredAt: null,
    });
    const both = () => [
      breach('amount', 'channel=web', 'warn'),
      breach('amount', 'channel=ios', 'warn'),
    ];
    expect(await window(stage, plan, 1, both())).toEqual(['slack:#quiet alert firing']);
    const [ios] = await listAlerts(store, { model: 'quiet', state: 'firing' }).then((alerts) =>
      alerts.filter((a) => a.sliceValue === 'ios'),
    );
    await insertAcknowledgement(store, {
      alertId: ios?.alertId ?? '',
      monitor: plan.monitor,
      episode: 1,
      acknowledgedBy: 'bo',
      reason: 'retraining',
      acknowledgedAt: now,
    });
    // 2 h later: ios would repeat but is acknowledged; web is silenced throughout
    expect(await window(stage, plan, 2, both())).toEqual([]);
    expect(await window(stage, plan, 3, both())).toEqual([]);
    // escalation is still notified despite the acknowledgement
    expect(
      await window(stage, plan, 4, [
        breach('amount', 'channel=web', 'warn'),
        breach('amount', 'channel=ios', 'critical'),
      ]),
    ).toEqual(['slack:#quiet alert escalated']);
    const events = await listAlertEvents(store, { model: 'quiet' });
    expect(
      events
        .map(
          (event) =>
            `${event.windowEnd.toISOString()} ${event.sliceValue} ${event.event} ${event.suppressedBy || (event.notified ? 'notified' : '-')}`,
        )
        .sort(),
    ).toEqual([
      `${at(1).toISOString()} ios firing notified`,
      `${at(1).toISOString()} web firing silence:sil_test`,
      `${at(3).toISOString()} ios repeated acknowledged`,
      `${at(4).toISOString()} ios escalated notified`,
    ]);
    const alerts = await listAlerts(store, { model: 'quiet' });
    expect(alerts.find((alert) => alert.sliceValue === 'ios')?.acknowledgement).toMatchObject({
      acknowledgedBy: 'bo',
      reason: 'retraining',
      episode: 1,
    });
  });

  it('opens an alert on "no data" at its check severity, and never on insufficient data', async () => {
    const plan = planFromYaml(
      monitorYaml('silent', `alerts:\n  routes:\n    - { severity: critical, slack: '#silent' }\n`),
    );
    const { stage } = startStage(plan);
    expect(
      await window(stage, plan, 1, [
        { feature: 'amount', status: 'insufficient_data', value: null },
      ]),
    ).toEqual([]);
    expect(
      await window(stage, plan, 2, [{ feature: 'amount', status: 'no_data', value: null }]),
    ).toEqual(['slack:#silent digest firing']);
    const [alert] = await listAlerts(store, { model: 'silent' });
    expect(alert).toMatchObject({ state: 'firing', severity: 'critical', breachingWindows: 1 });
  });

  it('follows the newest window when it is run again: no data turned critical alerts, and the "no data" alert resolves (issue 20)', async () => {
    const plan = planFromYaml(
      monitorYaml('again', `alerts:\n  routes:\n    - { severity: warn, slack: '#again' }\n`),
    );
    const { stage } = startStage(plan);
    expect(await window(stage, plan, 1, [{ feature: '', status: 'no_data', value: null }])).toEqual(
      ['slack:#again digest firing'],
    );
    // the events arrive late; the same window is run again and stored again
    await storeRun(store, plan, at(1), [breach('amount', 'all', 'critical')]);
    const [again] = await stage.processMonitor(plan.monitor, at(1));
    expect(again?.again).toBe(true);
    // one critical digest: the new alert fires, the "no data" one is corrected
    expect(
      again?.notifications.map((n) => `${n.destination} ${n.kind} ${n.events.join(',')}`),
    ).toEqual(['slack:#again digest firing,resolved']);
    const alerts = await listAlerts(store, { model: 'again' });
    expect(alerts.map((a) => [a.feature, a.state]).sort()).toEqual([
      ['', 'resolved'],
      ['amount', 'firing'],
    ]);
    // the history holds the window once, as run last: the "no data" verdict is gone
    const rows = await store.query<{ feature: string; status: string }>(
      `SELECT feature, status FROM monitor_results FINAL WHERE monitor = {m:String} ORDER BY feature`,
      { m: plan.monitor },
    );
    expect(rows).toEqual([{ feature: 'amount', status: 'critical' }]);
    // processed again with nothing new stored: nothing
    expect(await stage.processMonitor(plan.monitor, at(1))).toEqual([]);
  });

  it('never pages while a model awaits its first event, and resolves "no data" once data returns (issue 20)', async () => {
    const plan = planFromYaml(
      monitorYaml('ready', `alerts:\n  routes:\n    - { severity: warn, slack: '#ready' }\n`),
    );
    const { stage } = startStage(plan);
    expect(
      await window(stage, plan, 1, [{ feature: '', status: 'awaiting_data', value: null }]),
    ).toEqual([]);
    expect(await window(stage, plan, 2, [{ feature: '', status: 'no_data', value: null }])).toEqual(
      ['slack:#ready digest firing'],
    );
    expect(
      await window(stage, plan, 3, [clear('amount', 'all'), clear('merchant', 'all')]),
    ).toEqual(['slack:#ready digest resolved']);
    expect((await listAlerts(store, { model: 'ready' })).map((a) => a.state)).toEqual(['resolved']);
  });

  it('retries a receiver that fails and recovers; a receiver that never recovers ends dead, with its last error, in the outbox and /metrics', async () => {
    const plan = planFromYaml(
      monitorYaml(
        'flaky',
        `alerts:\n  routes:\n    - { severity: warn, webhook: flaky }\n    - { severity: warn, webhook: broken }\nwebhooks:\n  flaky: { url: ${hook.url}/flaky, secret_env: TEST_SECRET }\n  broken: { url: '${hook.url.replace('127.0.0.1', 'localhost')}/broken', secret_env: TEST_SECRET }\n`,
      ),
    );
    const { stage, registry } = startStage(plan);
    // /flaky fails twice, then accepts; /broken answers 500 forever
    hook.failNext(2, 503, '/flaky');
    hook.failAlways(500, '/broken');
    expect((await window(stage, plan, 1, [breach('amount', 'all', 'warn')])).sort()).toEqual([
      'webhook:broken trigger firing',
      'webhook:flaky trigger firing',
    ]);
    await stage.delivery.drain({ timeoutMs: 20_000 });
    const outbox = await listOutbox(store, { monitor: plan.monitor });
    const flaky = outbox.find((entry) => entry.destination === 'webhook:flaky');
    const broken = outbox.find((entry) => entry.destination === 'webhook:broken');
    expect(flaky).toMatchObject({ status: 'delivered', attempts: 3 });
    expect(broken).toMatchObject({ status: 'dead', attempts: 4 });
    expect(broken?.lastError).toBe('webhook "broken" answered HTTP 500');
    const attempts = await listDeliveryAttempts(store, flaky?.id ?? '');
    expect(attempts.map((a) => [a.attempt, a.status, a.responseStatus])).toEqual([
      [1, 'retrying', 503],
      [2, 'retrying', 503],
      [3, 'delivered', 200],
    ]);
    // the same webhook-id on every attempt: the receiver processed it once
    const flakyIds = hook.requests.filter((r) => r.path === '/flaky').map((r) => r.id);
    expect(new Set(flakyIds).size).toBe(1);
    const metrics = await registry.metrics();
    expect(metrics).toMatch(/driftwatch_alert_notifications\{status="dead"\} [1-9]/);
    expect(metrics).toMatch(
      /driftwatch_alert_delivery_attempts_total\{channel="webhook",outcome="dead"\} 1/,
    );
  });

  it("honours Slack's Retry-After instead of its own backoff", async () => {
    const plan = planFromYaml(
      monitorYaml('limited', `alerts:\n  routes:\n    - { severity: warn, slack: '#limited' }\n`),
    );
    // a backoff of a minute: only Retry-After can explain a retry within seconds
    const { stage } = startStage(plan, {
      DRIFTWATCH_ALERTS_RETRY_BASE_MS: '60000',
      DRIFTWATCH_ALERTS_RETRY_MAX_MS: '60000',
    });
    slack.script([{ status: 429, headers: { 'retry-after': '1' } }]);
    await window(stage, plan, 1, [breach('amount', 'all', 'warn')]);
    const [entry] = await listOutbox(store, { monitor: plan.monitor });
    expect(await stage.delivery.drain({ ids: [entry?.id ?? ''], timeoutMs: 20_000 })).toBe(true);
    const calls = slack.calls.filter((call) => call.channel === '#limited');
    expect(calls).toHaveLength(2);
    expect((calls[1]?.at ?? 0) - (calls[0]?.at ?? 0)).toBeGreaterThanOrEqual(1000);
    const attempts = await listDeliveryAttempts(store, entry?.id ?? '');
    expect(attempts.map((a) => [a.status, a.responseStatus, a.error])).toEqual([
      ['retrying', 429, 'Slack rate limit: retry after 1 s'],
      ['delivered', 200, ''],
    ]);
    expect(
      (attempts[0]?.nextAttemptAt?.getTime() ?? 0) - (attempts[0]?.attemptedAt.getTime() ?? 0),
    ).toBe(1000);
  });

  it('retries an SMTP 4xx answer and gives up at once on a 5xx', async () => {
    const plan = planFromYaml(
      monitorYaml(
        'mailed',
        `alerts:\n  routes:\n    - { severity: warn, email: [team@example.com] }\n`,
      ),
    );
    const { stage } = startStage(plan);
    smtp.refuseNext(1, 451);
    await window(stage, plan, 1, [breach('amount', 'all', 'warn')]);
    await stage.delivery.drain({ timeoutMs: 20_000 });
    smtp.refuseNext(1, 550);
    await window(stage, plan, 2, [breach('amount', 'all', 'critical')]);
    await stage.delivery.drain({ timeoutMs: 20_000 });
    const entries = await listOutbox(store, { monitor: plan.monitor });
    expect(entries.map((entry) => [entry.events.join(), entry.status, entry.attempts])).toEqual([
      ['escalated', 'dead', 1],
      ['firing', 'delivered', 2],
    ]);
    expect(entries[0]?.lastError).toMatch(/^SMTP: .*550/);
    expect(
      smtp.mails.filter((mail) => mail.subject?.includes('mailed')).map((mail) => mail.subject),
    ).toEqual(['[driftwatch] WARNING mailed: 1 firing']);
  });
});
