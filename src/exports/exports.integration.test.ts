import fs from 'node:fs';
import path from 'node:path';
import { extract as extractTar } from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  LOCAL_RECEIVERS_ENV,
  startSlackStub,
  startSmtpCatcher,
  startWebhookReceiver,
  type SlackStub,
  type SmtpCatcher,
  type WebhookReceiver,
} from '../../test/helpers/alertReceivers.js';
import { openTestStore, tempDir } from '../../test/helpers/store.js';
import { forgeExport } from '../../test/helpers/forgeExport.js';
import { planFromYaml } from '../../test/helpers/verdicts.js';
import { createAlertStage, type AlertStage } from '../alerts/alertStage.js';
import { acknowledgeAlert, createSilence } from '../alerts/operatorActions.js';
import { buildApp } from '../api/app.js';
import { createToken } from '../api/auth/tokens.js';
import { loadAlertsConfig } from '../config/config.js';
import { createIngestMetrics } from '../ingest/metrics.js';
import { silentLogger } from '../observability/logger.js';
import { createMetricsRegistry } from '../observability/metrics.js';
import {
  expireSilence,
  listAcknowledgements,
  listAlertEvents,
  listAlerts,
  listSilences,
  setAlertProgress,
} from '../store/alerts.js';
import { insertBaselineFromRange } from '../store/baselines.js';
import type { Store } from '../store/clickhouse.js';
import { insertMonitorFileVersions } from '../store/monitorFiles.js';
import {
  listDeliveryAttempts,
  listOutbox,
  recordDeliveryAttempt,
  type OutboxEntry,
} from '../store/outbox.js';
import { insertMonitorResults, insertMonitorRun } from '../store/results.js';
import { generateSigningKey, loadPublicKey } from './signing.js';
import { fingerprintOf, verifyExport } from './verifyExport.js';
import { writeExport, type Manifest } from './writeExport.js';
import { NULL_FIELDS, type CheckResult } from '../monitors/checkResult.js';

const DAY = 86_400_000;
const WINDOW = 30 * 60_000;
const END = new Date('2026-11-30T00:00:00Z');
const START = new Date(END.getTime() - 30 * DAY);
const MODELS = ['fraud-detector', 'churn-model'];
const FEATURES = ['amount', 'account_age_days', 'device_score', 'merchant_category'];
const SLICES = [
  ['', 'all'],
  ['channel', 'web'],
  ['channel', 'ios'],
  ['channel', 'android'],
];
const HASH = { 'fraud-detector': 'f'.repeat(64), 'churn-model': 'c'.repeat(64) } as const;
const day = (d: number) => new Date(START.getTime() + Math.round(d * DAY));

/**
 * The drift planted in the month: from day 28 every feature drifts on the web channel of
 * both models (critical), fraud's amount first at warn for six hours (so it escalates);
 * and a six-hour warn episode of fraud's amount on the web, days 27.25 to 27.5, that resolves.
 */
function plantedDrift(model: string, day: number, feature: string, slice: string): number {
  if (slice !== 'web') return 0.02;
  const fraudAmount = model === 'fraud-detector' && feature === 'amount';
  if (day > 28) return fraudAmount && day <= 28.25 ? 0.15 : 0.3;
  if (fraudAmount && day > 27.25 && day <= 27.5) return 0.15;
  return 0.02;
}

/** A month of demo-like drift history: two models, 30-minute windows, 4 features × 4 slices × 2 checks. */
async function insertMonthOfHistory(store: Store): Promise<number> {
  let total = 0;
  for (const model of MODELS) {
    let batch: CheckResult[] = [];
    for (let end = START.getTime() + WINDOW; end <= END.getTime(); end += WINDOW) {
      const day = (end - START.getTime()) / DAY;
      for (const feature of FEATURES) {
        for (const [key, value] of SLICES) {
          const drift = plantedDrift(model, day, feature, value ?? '');
          const psiValue = drift + ((end / WINDOW) % 7) / 1000;
          batch.push(
            result(model, end, 'psi', feature, key ?? '', value ?? '', psiValue, null),
            result(
              model,
              end,
              'ks',
              feature,
              key ?? '',
              value ?? '',
              psiValue / 2,
              10 ** -(drift * 40),
            ),
          );
        }
      }
      if (batch.length >= 20_000) {
        await insertMonitorResults(store, batch);
        total += batch.length;
        batch = [];
      }
    }
    await insertMonitorResults(store, batch);
    total += batch.length;
  }
  return total;
}

function result(
  model: string,
  end: number,
  metric: 'psi' | 'ks',
  feature: string,
  sliceKey: string,
  sliceValue: string,
  value: number,
  pValue: number | null,
): CheckResult {
  const status =
    metric === 'psi'
      ? value >= 0.25
        ? 'critical'
        : value >= 0.1
          ? 'warn'
          : 'ok'
      : (pValue ?? 1) < 0.01
        ? 'critical'
        : 'ok';
  return {
    ...NULL_FIELDS,
    monitor: model,
    model,
    windowStart: new Date(end - WINDOW),
    windowEnd: new Date(end),
    checkId: metric,
    metric,
    feature,
    sliceKey,
    sliceValue,
    status,
    value,
    pValue,
    adjustedPValue: pValue === null ? null : Math.min(1, pValue * 16),
    correction: pValue === null ? 'none' : 'benjamini-hochberg',
    warnThreshold: metric === 'psi' ? 0.1 : null,
    criticalThreshold: metric === 'psi' ? 0.25 : 0.01,
    nReference: 5000,
    nCurrent: 1500,
    baseline: `file:${model}.csv`,
    baselineVersion: 1,
    monitorHash: HASH[model as keyof typeof HASH],
    details:
      metric === 'psi'
        ? { histogram: { edges: [1, 2], reference: [10, 20, 30], current: [12, 18, 31] } }
        : { effect: value, min_effect: 0.1 },
  };
}

const SECRET = `whsec_${Buffer.from('driftwatch export test secret!!').toString('base64')}`;
const SLACK_TOKEN = 'xoxb-export-test-token';
/** Alerting was switched on for fraud on day 27 and for churn at 21:00 on day 28. */
const ALERTS_FROM = { 'fraud-detector': 27, 'churn-model': 28.875 } as const;

function monitorYaml(model: string, webhookUrl: string): string {
  return `model: ${model}
baseline: { trailing: 7d }
features: { amount: numeric, account_age_days: numeric, device_score: numeric, merchant_category: categorical }
slices: [channel]
schedule: '*/30 * * * *'
window: 30m
checks:
  - { metric: psi, features: all, warn: 0.1, critical: 0.25 }
  - { metric: ks, features: [amount, account_age_days, device_score], p_value: 0.01 }
alerts:
  resolve_after: 2
  repeat_interval: 12h
  routes:
    - { severity: warn, slack: '#ml-drift' }
    - { severity: critical, email: [oncall@example.com], webhook: retrain }
webhooks:
  retrain: { url: '${webhookUrl}/retrain', secret_env: RETRAIN_SECRET, severities: [critical] }
`;
}

interface Receivers {
  smtp: SmtpCatcher;
  slack: SlackStub;
  hook: WebhookReceiver;
}

/**
 * The month's alerts, made by the real alert stage over the stored verdicts, window by
 * window as the scheduler feeds it, with people acting on the way: silences (one ended
 * early), an acknowledgement, a test notification; then every notification delivered
 * through real receivers, one refused for good (Slack: not_in_channel), some retried.
 */
async function runAlertStage(store: Store, receivers: Receivers): Promise<void> {
  const plans = Object.keys(ALERTS_FROM).map((model) =>
    planFromYaml(monitorYaml(model, receivers.hook.url)),
  );
  let clock = day(0);
  const stage: AlertStage = createAlertStage({
    store,
    plans,
    config: loadAlertsConfig({
      SLACK_BOT_TOKEN: SLACK_TOKEN,
      SLACK_API_URL: receivers.slack.apiUrl,
      SMTP_URL: receivers.smtp.url,
      RETRAIN_SECRET: SECRET,
      ...LOCAL_RECEIVERS_ENV,
      DRIFTWATCH_ALERTS_MAX_ATTEMPTS: '5',
      DRIFTWATCH_ALERTS_RETRY_BASE_MS: '20',
      DRIFTWATCH_ALERTS_RETRY_MAX_MS: '100',
      DRIFTWATCH_ALERTS_POLL_MS: '50',
    }),
    logger: silentLogger(),
    registry: createMetricsRegistry({ processMetrics: false }),
    now: () => clock,
  });
  const actions: [number, () => Promise<unknown>][] = [
    [
      27.9,
      async () => {
        const silence = await createSilence(store, {
          model: 'fraud-detector',
          feature: 'merchant_category',
          endsAt: day(28.9),
          reason: 'new merchants onboarding, expected',
          by: 'oncall',
          now: day(27.9),
        });
        actions.push([
          28.1,
          () => expireSilence(store, silence.silenceId, 'oncall-lead', day(28.1)),
        ]);
      },
    ],
    [
      29,
      async () => {
        const [alert] = (
          await listAlerts(store, { model: 'fraud-detector', state: 'firing' })
        ).filter((a) => a.checkId === 'psi' && a.feature === 'amount' && a.sliceValue === 'web');
        if (!alert) throw new Error('the amount/web PSI alert should be firing on day 29');
        await acknowledgeAlert(store, {
          alertId: alert.alertId,
          by: 'oncall',
          reason: 'retraining scheduled for tonight',
          at: day(29),
        });
      },
    ],
    [
      28.85,
      () =>
        createSilence(store, {
          model: 'churn-model',
          feature: 'device_score',
          endsAt: day(29.4),
          reason: 'upstream fix being deployed',
          by: 'analyst',
          now: day(28.85),
        }),
    ],
    [29.5, () => stage.enqueueTest('fraud-detector')],
  ];
  for (const [model, from] of Object.entries(ALERTS_FROM)) {
    await setAlertProgress(store, model, day(from));
    for (let end = day(from).getTime() + WINDOW; end <= END.getTime(); end += WINDOW) {
      await insertMonitorRun(store, {
        monitor: model,
        windowStart: new Date(end - WINDOW),
        windowEnd: new Date(end),
        status: 'ok',
        checks: 28,
        breaches: 0,
        durationMs: 1,
        monitorHash: HASH[model as keyof typeof HASH],
      });
    }
  }
  for (let end = day(27).getTime() + WINDOW; end <= END.getTime(); end += WINDOW) {
    clock = new Date(end);
    for (let due = actions.find(([at]) => day(at).getTime() <= end); due;) {
      actions.splice(actions.indexOf(due), 1);
      await due[1]();
      due = actions.find(([at]) => day(at).getTime() <= end);
    }
    for (const plan of plans) await stage.processMonitor(plan.monitor, clock);
  }
  // A row recorded before errors were scrubbed, quoting a token a server echoed back.
  const [test] = await listOutbox(store, { destination: 'webhook:retrain' }).then((all) =>
    all.filter((entry) => entry.kind === 'test'),
  );
  if (!test) throw new Error('the test notification should be in the outbox');
  await recordDeliveryAttempt(store, {
    outboxId: test.id,
    attempt: 1,
    status: 'retrying',
    error: 'webhook "retrain" answered HTTP 502: upstream said bad token xoxb-1234-abcd-echoed',
    responseStatus: 502,
    nextAttemptAt: new Date(0),
    durationMs: 3,
    attemptedAt: new Date(),
  });
  receivers.slack.script([{ status: 200, body: { ok: false, error: 'not_in_channel' } }]);
  receivers.smtp.refuseNext(1, 451);
  receivers.hook.failNext(2, 503);
  const drained = await stage.delivery.drain({ timeoutMs: 60_000 });
  await stage.stop();
  if (!drained) throw new Error('every notification should be delivered or dead');
}

const ALERT_FILES = [
  'alert_events',
  'alert_acknowledgements',
  'alert_silences',
  'alert_notifications',
  'alert_delivery_attempts',
] as const;

/**
 * How many records each alert section should hold, counted through the store's own
 * listing functions (other queries than the export's) and the period rules of
 * docs/EXPORTS.md written out again here.
 */
async function alertRecordsInStore(
  store: Store,
  from: Date,
  to: Date,
  model?: string,
): Promise<Record<(typeof ALERT_FILES)[number], number>> {
  const inPeriod = (at: Date | null) => at !== null && at > from && at <= to;
  const outbox = (await listOutbox(store, { model, limit: 100_000 })).filter((entry) =>
    inPeriod(entry.windowEnd),
  );
  let attempts = 0;
  for (const entry of outbox) attempts += (await listDeliveryAttempts(store, entry.id)).length;
  const silences = (await listSilences(store, model ? { model } : {})).filter((silence) => {
    const end =
      silence.expiredAt && silence.expiredAt < silence.endsAt ? silence.expiredAt : silence.endsAt;
    return (
      inPeriod(silence.createdAt) ||
      inPeriod(silence.expiredAt) ||
      (silence.startsAt <= to && end > from)
    );
  });
  return {
    alert_events: (await listAlertEvents(store, { from, to, model })).length,
    alert_acknowledgements: (await listAcknowledgements(store)).filter(
      (ack) => inPeriod(ack.acknowledgedAt) && (model === undefined || ack.monitor === model),
    ).length,
    alert_silences: silences.length,
    alert_notifications: outbox.length,
    alert_delivery_attempts: attempts,
  };
}

function readJsonLines(dir: string, file: string): Record<string, unknown>[] {
  return fs
    .readFileSync(path.join(dir, file), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('compliance exports of a month of history', () => {
  let store: Store;
  let rows: number;
  let receivers: Receivers;
  const keys = generateSigningKey();
  const root = tempDir('driftwatch-exports-');
  const exportDir = (name: string) => path.join(root, name);
  let manifest: Manifest;
  let alertRecords: Record<(typeof ALERT_FILES)[number], number>;
  const month = () => exportDir('month-jsonl');

  beforeAll(async () => {
    store = await openTestStore();
    receivers = {
      smtp: await startSmtpCatcher(),
      slack: await startSlackStub(),
      hook: await startWebhookReceiver([SECRET]),
    };
    rows = await insertMonthOfHistory(store);
    await runAlertStage(store, receivers);
    await insertMonitorFileVersions(
      store,
      MODELS.map((model) => ({
        monitor: model,
        model,
        hash: HASH[model as keyof typeof HASH],
        path: `monitors/${model}.yaml`,
        text: `model: ${model}\n# "quoted", commas, and a second line\nwindow: 30m\n`,
      })),
    );
    for (const model of MODELS) {
      await insertBaselineFromRange(store, {
        model,
        name: `file:${model}.csv`,
        window: { start: START, end: new Date(START.getTime() + DAY) },
        features: [],
      });
    }
    manifest = await writeExport(store, {
      from: START,
      to: END,
      format: 'jsonl',
      outDir: exportDir('month-jsonl'),
      signingKey: keys.privateKey,
      softwareVersion: '9.9.9',
      pageSize: 7_000,
    });
    alertRecords = await alertRecordsInStore(store, START, END);
  }, 300_000);
  afterAll(async () => {
    await Promise.all([receivers.smtp.close(), receivers.slack.close(), receivers.hook.close()]);
    await store.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('writes every record of the month, its monitor files, baselines and alert trail, in a signed manifest', async () => {
    expect(rows).toBe(2 * 30 * 48 * 4 * 4 * 2);
    expect(manifest.files.map((f) => [f.name, f.rows])).toEqual([
      ['drift_history.jsonl', rows],
      ['monitor_files.jsonl', 2],
      ['baselines.jsonl', 2],
      ...ALERT_FILES.map((name) => [`${name}.jsonl`, alertRecords[name]]),
    ]);
    // Two silences and one acknowledgement were made; every section holds something.
    expect(alertRecords).toMatchObject({ alert_acknowledgements: 1, alert_silences: 2 });
    for (const name of ALERT_FILES) expect(alertRecords[name], name).toBeGreaterThan(0);
    expect(manifest.software).toEqual({ name: 'driftwatch', version: '9.9.9' });
    expect(manifest.period).toEqual({
      from: START.toISOString(),
      to: END.toISOString(),
      model: null,
    });
    const alertTotal = Object.values(alertRecords).reduce((a, b) => a + b, 0);
    expect(manifest.chain.records).toBe(rows + 4 + alertTotal);
    expect(manifest.signature?.public_key).toBe(keys.publicKey);
    const lines = fs
      .readFileSync(path.join(exportDir('month-jsonl'), 'drift_history.jsonl'), 'utf8')
      .split('\n');
    const first = JSON.parse(lines[0] ?? '{}') as Record<string, unknown>;
    expect(first).toMatchObject({
      seq: 1,
      model: 'churn-model',
      window_end: new Date(START.getTime() + WINDOW).toISOString(),
      check_id: 'ks',
      status: expect.any(String),
      n_reference: 5000,
      baseline_version: 1,
      monitor_hash: HASH['churn-model'],
      prev_hash: manifest.chain.genesis,
    });
    expect(JSON.parse(String(first.details))).toMatchObject({ min_effect: 0.1 });
    const files = fs.readFileSync(
      path.join(exportDir('month-jsonl'), 'monitor_files.jsonl'),
      'utf8',
    );
    expect(JSON.parse(files.split('\n')[0] ?? '{}')).toMatchObject({
      file_text: expect.stringContaining('"quoted", commas'),
    });
  });

  it('verifies against the public key', async () => {
    const report = await verifyExport(exportDir('month-jsonl'), { publicKey: keys.publicKey });
    expect(report).toMatchObject({
      ok: true,
      signature: 'valid',
      trustedKey: true,
      records: manifest.chain.records,
      problems: [],
    });
  });

  it('exports every alert transition with the run that caused it, as the audit trail holds it', async () => {
    const exported = readJsonLines(month(), 'alert_events.jsonl');
    const stored = await listAlertEvents(store, { from: START, to: END });
    const key = (r: Record<string, unknown>) =>
      `${String(r.alert_id)} ${String(r.window_end)} ${String(r.event)}`;
    const byKey = new Map(exported.map((record) => [key(record), record]));
    expect(byKey.size).toBe(stored.length);
    for (const event of stored) {
      const record = byKey.get(
        key({
          alert_id: event.alertId,
          window_end: event.windowEnd.toISOString(),
          event: event.event,
        }),
      );
      expect(record).toMatchObject({
        model: event.model,
        monitor: event.monitor,
        check_id: event.checkId,
        metric: event.metric,
        feature: event.feature,
        slice_key: event.sliceKey,
        slice_value: event.sliceValue,
        episode: event.episode,
        from_state: event.fromState,
        to_state: event.toState,
        severity: event.severity ?? '',
        window_start: event.windowStart.toISOString(),
        monitor_hash: event.monitorHash,
        baseline: event.baseline,
        baseline_version: event.baselineVersion,
        verdict_status: event.verdictStatus,
        value: event.value,
        notified: event.notified ? 1 : 0,
        suppressed_by: event.suppressedBy,
        outbox_ids: JSON.stringify(event.outboxIds),
      });
    }
    // The planted story of fraud's amount on the web channel, PSI (window ends in UTC):
    const amount = exported.filter(
      (r) =>
        r.model === 'fraud-detector' &&
        r.check_id === 'psi' &&
        r.feature === 'amount' &&
        r.slice_value === 'web',
    );
    const at = (d: number) => day(d).toISOString();
    const escalation = 28.25 + 1 / 48;
    expect(
      amount.map((r) => [
        r.window_end,
        r.event,
        r.episode,
        r.severity,
        r.notified,
        r.suppressed_by,
      ]),
    ).toEqual([
      [at(27.25 + 1 / 48), 'firing', 1, 'warn', 1, ''], // the first warn window
      [at(27.5 + 2 / 48), 'resolved', 1, 'warn', 1, ''], // after two clear windows
      [at(28 + 1 / 48), 'firing', 2, 'warn', 1, ''],
      [at(escalation), 'escalated', 2, 'critical', 1, ''],
      [at(escalation + 0.5), 'repeated', 2, 'critical', 1, ''], // repeat_interval 12h
      // acknowledged on day 29: later repeats are recorded, and withheld
      ...[2, 3].map((k) => [at(escalation + k / 2), 'repeated', 2, 'critical', 0, 'acknowledged']),
    ]);
    const escalated = amount.find((r) => r.event === 'escalated');
    expect(escalated).toMatchObject({
      from_state: 'firing',
      to_state: 'firing',
      verdict_status: 'critical',
      monitor_hash: HASH['fraud-detector'],
      baseline: 'file:fraud-detector.csv',
      baseline_version: 1,
    });
    // Each notification it names carried it.
    const notifications = new Map(
      readJsonLines(month(), 'alert_notifications.jsonl').map((n) => [n.notification_id, n]),
    );
    const carriers = JSON.parse(String(escalated?.outbox_ids)) as string[];
    expect(carriers.length).toBeGreaterThan(0);
    for (const id of carriers) {
      const notification = notifications.get(id);
      expect(JSON.parse(String(notification?.alert_ids))).toContain(escalated?.alert_id);
      expect(JSON.parse(String(notification?.events))).toContain('escalated');
    }
  });

  it('exports who acknowledged and who silenced what, when and why, and what each silence withheld', async () => {
    const acks = readJsonLines(month(), 'alert_acknowledgements.jsonl');
    expect(acks).toEqual([
      {
        seq: 1,
        acknowledged_at: day(29).toISOString(),
        alert_id: expect.stringMatching(/^[0-9a-f]{32}$/),
        model: 'fraud-detector',
        monitor: 'fraud-detector',
        check_id: 'psi',
        metric: 'psi',
        feature: 'amount',
        slice_key: 'channel',
        slice_value: 'web',
        episode: 2,
        acknowledged_by: 'oncall',
        reason: 'retraining scheduled for tonight',
        prev_hash: expect.any(String),
        record_hash: expect.any(String),
      },
    ]);
    const silences = readJsonLines(month(), 'alert_silences.jsonl');
    const common = {
      slice: '',
      check_id: '',
      prev_hash: expect.any(String),
      record_hash: expect.any(String),
    };
    expect(silences).toEqual([
      {
        seq: 1,
        silence_id: expect.stringMatching(/^sil_/),
        model: 'fraud-detector',
        feature: 'merchant_category',
        starts_at: day(27.9).toISOString(),
        ends_at: day(28.9).toISOString(),
        reason: 'new merchants onboarding, expected',
        created_by: 'oncall',
        created_at: day(27.9).toISOString(),
        expired_by: 'oncall-lead',
        expired_at: day(28.1).toISOString(),
        ...common,
      },
      {
        seq: 2,
        silence_id: expect.stringMatching(/^sil_/),
        model: 'churn-model',
        feature: 'device_score',
        starts_at: day(28.85).toISOString(),
        ends_at: day(29.4).toISOString(),
        reason: 'upstream fix being deployed',
        created_by: 'analyst',
        created_at: day(28.85).toISOString(),
        expired_by: '',
        expired_at: '',
        ...common,
      },
    ]);
    // Alerts that fired while silenced: recorded, nobody notified, the silence named.
    const events = readJsonLines(month(), 'alert_events.jsonl');
    for (const silence of silences) {
      const muted = events.filter(
        (e) => e.suppressed_by === `silence:${String(silence.silence_id)}`,
      );
      // Both checks of the silenced feature fired on the web channel while it held.
      expect(
        muted
          .map((e) => [e.model, e.check_id, e.feature, e.slice_value, e.event, e.notified])
          .sort((a, b) => String(a[1]).localeCompare(String(b[1]))),
      ).toEqual(
        ['ks', 'psi'].map((check) => [silence.model, check, silence.feature, 'web', 'firing', 0]),
      );
    }
    // Ended early: the first window after it announces what fired meanwhile, on the record.
    const announced = events.filter(
      (e) =>
        e.model === 'fraud-detector' &&
        e.feature === 'merchant_category' &&
        e.slice_value === 'web' &&
        e.event === 'firing' &&
        e.notified === 1,
    );
    expect(announced.map((e) => [e.check_id, e.window_end, e.from_state, e.to_state])).toEqual(
      ['ks', 'psi'].map((check) => [check, day(28 + 5 / 48).toISOString(), 'firing', 'firing']),
    );
  });

  it('exports every notification with how its delivery ended, and each attempt, with no secret', async () => {
    const notifications = readJsonLines(month(), 'alert_notifications.jsonl');
    const attempts = readJsonLines(month(), 'alert_delivery_attempts.jsonl');
    const outbox = new Map<string, OutboxEntry>(
      (await listOutbox(store, { limit: 100_000 })).map((entry) => [entry.id, entry]),
    );
    expect(notifications).toHaveLength(outbox.size);
    for (const record of notifications) {
      const entry = outbox.get(String(record.notification_id));
      expect(record).toMatchObject({
        destination: entry?.destination,
        channel: entry?.channel,
        kind: entry?.kind,
        window_end: entry?.windowEnd.toISOString(),
        alert_ids: JSON.stringify(entry?.alertIds),
        events: JSON.stringify(entry?.events),
        status: entry?.status,
        attempts: entry?.attempts,
        last_attempt_at: entry?.lastAttemptAt?.toISOString() ?? '',
        last_error: entry?.lastError,
      });
      expect(JSON.parse(String(record.message))).toEqual(JSON.parse(entry?.message ?? ''));
      const stored = await listDeliveryAttempts(store, String(record.notification_id));
      const exported = attempts.filter((a) => a.notification_id === record.notification_id);
      expect(exported.map((a) => [a.attempt, a.status, a.response_status])).toEqual(
        stored.map((a) => [a.attempt, a.status, a.responseStatus]),
      );
      expect(record.delivered_at).toBe(
        stored.find((a) => a.status === 'delivered')?.attemptedAt.toISOString() ?? '',
      );
    }
    // What the receivers did, as the export tells it.
    const outcomes = notifications.map(
      (n) => `${String(n.channel)} ${String(n.status)} ${String(n.attempts)}`,
    );
    expect(outcomes.filter((o) => o === 'slack dead 1')).toHaveLength(1);
    expect(notifications.find((n) => n.status === 'dead')).toMatchObject({
      destination: 'slack:#ml-drift',
      last_error: 'Slack refused the message: not_in_channel',
      delivered_at: '',
    });
    const smtpRetry = attempts.find((a) => a.channel === 'email' && a.status === 'retrying');
    expect(smtpRetry).toMatchObject({
      attempt: 1,
      response_status: 451,
      error: expect.stringMatching(/451/),
    });
    expect(
      notifications.find((n) => n.notification_id === smtpRetry?.notification_id),
    ).toMatchObject({
      status: 'delivered',
      attempts: 2,
      last_error: '',
    });
    expect(outcomes).toContain('webhook delivered 3'); // two 503s, then accepted
    expect(
      notifications
        .filter((n) => n.kind === 'test')
        .map((n) => [n.destination, n.status])
        .sort(),
    ).toEqual([
      ['email:oncall@example.com', 'delivered'],
      ['slack:#ml-drift', 'delivered'],
      ['webhook:retrain', 'delivered'],
    ]);
    // A stored error that quoted a token leaves scrubbed; no secret is in any file.
    expect(attempts.map((a) => a.error)).toContain(
      'webhook "retrain" answered HTTP 502: upstream said bad token xox?-[redacted]',
    );
    for (const file of fs.readdirSync(month())) {
      const text = fs.readFileSync(path.join(month(), file), 'utf8');
      for (const secret of [SECRET, SECRET.slice(6), SLACK_TOKEN, 'xoxb-1234'])
        expect(text.includes(secret), `${file} holds a secret`).toBe(false);
    }
  });

  /** A copy of the export with one file's lines (the drift history's) changed by `edit`. */
  function tampered(
    name: string,
    edit: (lines: string[]) => string[],
    fileName = 'drift_history.jsonl',
  ): string {
    const dir = exportDir(name);
    fs.cpSync(exportDir('month-jsonl'), dir, { recursive: true });
    const file = path.join(dir, fileName);
    const lines = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);
    fs.writeFileSync(file, `${edit(lines).join('\n')}\n`);
    return dir;
  }

  it.each([
    [
      'an edited value',
      (lines: string[]) =>
        lines.map((line, i) =>
          i === 999
            ? line
                .replace(/"status":"[a-z_]+"/, '"status":"ok"')
                .replace(/"value":[0-9.e-]+/, '"value":0.001')
            : line,
        ),
      1000,
      /edited/,
    ],
    [
      'a deleted record',
      (lines: string[]) => lines.filter((_, i) => i !== 4999),
      5000,
      /record 5000 was deleted or moved/,
    ],
    [
      'an inserted record',
      (lines: string[]) => [...lines.slice(0, 70), lines[20] ?? '', ...lines.slice(70)],
      71,
      /found record 21 again or out of order/,
    ],
    [
      'two records swapped',
      (lines: string[]) =>
        lines.map((line, i) =>
          i === 300 ? (lines[301] ?? '') : i === 301 ? (lines[300] ?? '') : line,
        ),
      301,
      /record 301 was deleted or moved/,
    ],
  ])('names the first bad record after %s', async (name, edit, record, reason) => {
    const report = await verifyExport(tampered(name.replace(/ /g, '-'), edit), {
      publicKey: keys.publicKey,
    });
    expect(report.ok).toBe(false);
    expect(report.firstBadRecord).toEqual({
      file: 'drift_history.jsonl',
      record,
      reason: expect.stringMatching(reason),
    });
    expect(report.problems[0]).toMatch(new RegExp(`^drift_history\\.jsonl record ${record}: `));
    expect(report.problems.join('\n')).toMatch(/SHA-256 .* differs from the manifest/);
  });

  /** The position (from 1) of the first record of a month's file that `pick` chooses. */
  const positionOf = (file: string, pick: (record: Record<string, unknown>) => boolean) =>
    readJsonLines(month(), file).findIndex(pick) + 1;
  const editRecord = (position: number, field: string, value: unknown) => (lines: string[]) =>
    lines.map((line, i) =>
      i === position - 1
        ? JSON.stringify({ ...(JSON.parse(line) as object), [field]: value })
        : line,
    );

  it.each([
    [
      'an acknowledgement credited to someone else',
      'alert_acknowledgements.jsonl',
      () => 1,
      (at: number) => editRecord(at, 'acknowledged_by', 'someone-else'),
      /edited/,
    ],
    [
      'a silence whose reason was rewritten',
      'alert_silences.jsonl',
      () => 2,
      (at: number) => editRecord(at, 'reason', 'approved by the board'),
      /edited/,
    ],
    [
      'a withheld notice passed off as sent',
      'alert_events.jsonl',
      () => positionOf('alert_events.jsonl', (r) => r.suppressed_by === 'acknowledged'),
      (at: number) => editRecord(at, 'notified', 1),
      /edited/,
    ],
    [
      'a dead notification made to look delivered',
      'alert_notifications.jsonl',
      () => positionOf('alert_notifications.jsonl', (r) => r.status === 'dead'),
      (at: number) => editRecord(at, 'status', 'delivered'),
      /edited/,
    ],
    [
      'the failed delivery attempt deleted',
      'alert_delivery_attempts.jsonl',
      () => positionOf('alert_delivery_attempts.jsonl', (r) => r.status === 'dead'),
      (at: number) => (lines: string[]) => lines.filter((_, i) => i !== at - 1),
      /was deleted or moved/,
    ],
  ])('names the first bad alert record after %s', async (name, file, position, edit, reason) => {
    const record = position();
    expect(record).toBeGreaterThan(0);
    const report = await verifyExport(tampered(name.replace(/ /g, '-'), edit(record), file), {
      publicKey: keys.publicKey,
    });
    expect(report.ok).toBe(false);
    expect(report.firstBadRecord).toEqual({ file, record, reason: expect.stringMatching(reason) });
    expect(report.problems[0]).toMatch(
      new RegExp(`^${file.replace('.', '\\.')} record ${record}: `),
    );
  });

  it('catches an edit whose hash was recomputed, and a manifest checked against a key that did not sign it', async () => {
    const dir = tampered('rehashed', (lines) =>
      lines.map((line, i) => {
        if (i !== 9) return line;
        const record = JSON.parse(line) as Record<string, unknown>;
        return JSON.stringify({ ...record, value: 0.0001, record_hash: 'f'.repeat(64) });
      }),
    );
    const report = await verifyExport(dir, { publicKey: keys.publicKey });
    expect(report.firstBadRecord).toMatchObject({
      record: 10,
      reason: expect.stringMatching(/edited/),
    });
    const other = generateSigningKey();
    const byOther = await verifyExport(exportDir('month-jsonl'), { publicKey: other.publicKey });
    expect(byOther).toMatchObject({ ok: false, signature: 'invalid' });
    expect(byOther.problems).toEqual(['manifest.json: not signed by the given public key']);
  });

  it('detects a manifest changed after signing', async () => {
    const dir = exportDir('manifest-edit');
    fs.cpSync(exportDir('month-jsonl'), dir, { recursive: true });
    const file = path.join(dir, 'manifest.json');
    const changed = JSON.parse(fs.readFileSync(file, 'utf8')) as Manifest;
    changed.period.to = '2026-12-31T00:00:00.000Z';
    fs.writeFileSync(file, JSON.stringify(changed));
    const report = await verifyExport(dir);
    expect(report).toMatchObject({ ok: false, signature: 'invalid', trustedKey: false });
  });

  it('proves who signed an export only with a key or fingerprint the verifier brings', async () => {
    // An edited copy, re-chained and re-signed with a key of the forger's own.
    const forger = generateSigningKey();
    const forged = forgeExport(
      exportDir('month-jsonl'),
      exportDir('forged'),
      (file, record) =>
        file === 'drift_history.jsonl' && record.seq === 1000
          ? { ...record, status: 'ok', value: 0.001 }
          : record,
      forger.privateKey,
    );
    const pin = fingerprintOf(loadPublicKey(keys.publicKey));
    const forgerPin = fingerprintOf(loadPublicKey(forger.publicKey));
    // Without a trusted key: intact, but nothing says by whom; not ok.
    const untrusted = await verifyExport(forged);
    expect(untrusted).toMatchObject({
      ok: false,
      integrity: 'intact',
      origin: 'unproven',
      signature: 'valid',
      trustedKey: false,
      keyFingerprint: forgerPin,
      problems: [],
    });
    const genuine = await verifyExport(exportDir('month-jsonl'));
    expect(genuine).toMatchObject({ ok: false, integrity: 'intact', origin: 'unproven' });
    // With the real key, or its pinned fingerprint: the forgery is refuted.
    expect(await verifyExport(forged, { publicKey: keys.publicKey })).toMatchObject({
      ok: false,
      origin: 'refuted',
      problems: ['manifest.json: not signed by the given public key'],
    });
    expect(await verifyExport(forged, { fingerprint: pin })).toMatchObject({
      ok: false,
      origin: 'refuted',
      problems: [`manifest.json: signed by key ${forgerPin}, not the pinned ${pin}`],
    });
    // ...and the genuine export proven by either.
    for (const trust of [
      { publicKey: keys.publicKey },
      { fingerprint: pin },
      { fingerprint: pin.slice(7).toUpperCase() },
    ])
      expect(await verifyExport(exportDir('month-jsonl'), trust)).toMatchObject({
        ok: true,
        integrity: 'intact',
        origin: 'proven',
        trustedKey: true,
      });
    await expect(verifyExport(forged, { fingerprint: 'abc' })).rejects.toThrow(
      '--key-fingerprint: expected sha256: and 64 hex digits',
    );
  }, 240_000);

  it('writes Parquet and CSV through ClickHouse, for one model, alerts included, and verifies them', async () => {
    // The three days of fraud's alerts, and three quiet days before alerting was switched on.
    const periods = { alerts: [day(27), END], quiet: [day(10), day(13)] } as const;
    for (const format of ['parquet', 'csv'] as const) {
      for (const [name, [from, to]] of Object.entries(periods)) {
        const dir = exportDir(`fraud-${name}-${format}`);
        const written = await writeExport(store, {
          from,
          to,
          model: 'fraud-detector',
          format,
          outDir: dir,
          signingKey: keys.privateKey,
          softwareVersion: '9.9.9',
        });
        const expected = await alertRecordsInStore(store, from, to, 'fraud-detector');
        expect(written.files.map((f) => [f.name, f.rows])).toEqual([
          [`drift_history.${format}`, 3 * 48 * 32],
          [`monitor_files.${format}`, 1],
          [`baselines.${format}`, 1],
          ...ALERT_FILES.map((file) => [`${file}.${format}`, expected[file]]),
        ]);
        if (name === 'alerts') {
          for (const file of ALERT_FILES) expect(expected[file], file).toBeGreaterThan(0);
        } else {
          expect(Object.values(expected)).toEqual([0, 0, 0, 0, 0]);
        }
        const report = await verifyExport(dir, { publicKey: keys.publicKey, store });
        expect(report, `${format} ${name}`).toMatchObject({
          ok: true,
          records: written.chain.records,
          problems: [],
        });
      }
    }
    // In CSV: an acknowledged (withheld) repeat passed off as a notice that went out ...
    const copy = exportDir('fraud-alerts-csv-events');
    fs.cpSync(exportDir('fraud-alerts-csv'), copy, { recursive: true });
    const eventsCsv = path.join(copy, 'alert_events.csv');
    const eventLines = fs.readFileSync(eventsCsv, 'utf8').split('\n');
    const withheld = eventLines.findIndex((line) => line.includes(',"acknowledged",'));
    expect(withheld).toBeGreaterThan(0);
    eventLines[withheld] = (eventLines[withheld] ?? '').replace(',0,"acknowledged",', ',1,"",');
    fs.writeFileSync(eventsCsv, eventLines.join('\n'));
    const edited = await verifyExport(copy, { publicKey: keys.publicKey, store });
    // Line 1 is the header: line N + 1 holds record N.
    expect(edited.firstBadRecord).toMatchObject({ file: 'alert_events.csv', record: withheld });
    // ... and a drift result's decision and sample size edited.
    const csv = path.join(exportDir('fraud-alerts-csv'), 'drift_history.csv');
    const lines = fs.readFileSync(csv, 'utf8').split('\n');
    lines[42] = (lines[42] ?? '')
      .replace(/,"(ok|warn|critical)",/, ',"ok",')
      .replace(/,5000,/, ',5001,');
    fs.writeFileSync(csv, lines.join('\n'));
    const report = await verifyExport(exportDir('fraud-alerts-csv'), {
      publicKey: keys.publicKey,
      store,
    });
    expect(report.firstBadRecord).toMatchObject({ file: 'drift_history.csv', record: 42 });
  });

  it('streams the same export through the API, to admins only', async () => {
    const admin = createToken('admin', 'auditor-desk');
    const operator = createToken('operator');
    const app = buildApp({
      store,
      metrics: createIngestMetrics(),
      monitors: () => [],
      auth: { tokens: [admin.entry, operator.entry] },
      exports: { signingKey: keys.privateKey, version: '9.9.9' },
    });
    const url = `/v1/exports?from=${new Date(END.getTime() - DAY).toISOString()}&to=${END.toISOString()}&format=parquet`;
    const refused = await app.inject({
      method: 'GET',
      url,
      headers: { authorization: `Bearer ${operator.token}` },
    });
    expect(refused.statusCode).toBe(403);
    const response = await app.inject({
      method: 'GET',
      url,
      headers: { authorization: `Bearer ${admin.token}` },
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('application/x-tar');
    const archive = path.join(root, 'api.tar');
    fs.writeFileSync(archive, response.rawPayload);
    const dir = exportDir('from-api');
    fs.mkdirSync(dir);
    await extractTar({ file: archive, cwd: dir });
    expect(fs.readdirSync(dir).sort()).toEqual(
      ['baselines', 'drift_history', 'monitor_files', ...ALERT_FILES]
        .map((name) => `${name}.parquet`)
        .concat('manifest.json')
        .sort(),
    );
    const expected = await alertRecordsInStore(store, new Date(END.getTime() - DAY), END);
    const alertTotal = Object.values(expected).reduce((a, b) => a + b, 0);
    expect(expected.alert_events).toBeGreaterThan(0);
    const report = await verifyExport(dir, { publicKey: keys.publicKey, store });
    expect(report).toMatchObject({ ok: true, records: 48 * 32 * 2 + 4 + alertTotal });
    await app.close();
  });
});
