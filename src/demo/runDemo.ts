import fs from 'node:fs';
import path from 'node:path';
import { createWebhookChannel } from '../alerts/channels/webhook.js';
import { linksFor } from '../alerts/render/text.js';
import type { Config } from '../config/config.js';
import { createLogger } from '../observability/logger.js';
import { resultsTable } from '../cli/commands/monitorCommands.js';
import { DEFAULT_DRIFT_CRITERIA } from '../drift/featureDrift.js';
import { startService, type Service } from '../main.js';
import type { WindowEvaluation } from '../monitors/evaluateWindow.js';
import { evaluateMonitorWindow } from '../monitors/evaluateWindow.js';
import type { MonitorPlan } from '../monitors/plan.js';
import { backtestWindows } from '../monitors/windows.js';
import { renderReportHtml } from '../report/render/html.js';
import type { DriftReport } from '../report/compareFiles.js';
import { countStored } from '../store/events.js';
import { DEMO_MODELS, demoEvents, type DemoModel } from './demoModels.js';
import { startDemoReceivers, type DemoReceivers } from './localReceivers.js';
import { createRandom, type Random } from './random.js';

export interface DemoOptions {
  /** Hours of history streamed before the monitors run; drift planted in the middle third. */
  hours: number;
  eventsPerHour: number;
  /** Keep streaming live events and running schedules for this long (0: stop after the history). */
  liveSeconds: number;
  print: (text: string) => void;
  /** An ingest token for POST /v1/events when the service requires tokens. */
  ingestToken?: string;
  /** Keep the drift until the end (alerts stay open) instead of ending it after the middle third. */
  driftToEnd?: boolean;
}

const FIVE_MINUTES = 300_000;
const HOUR = 3_600_000;

/**
 * The main job on the embedded default: the whole service (store, HTTP ingest, monitors)
 * with a generator that sends synthetic prediction and label events for the example models
 * through POST /v1/events, drift planted in the last third, and the monitors catching it.
 */
export async function runDemo(
  config: Config,
  options: DemoOptions,
): Promise<{ service: Service; breaches: number }> {
  const print = options.print;
  // Alerts go to receivers on this machine: nobody is emailed, no real job is started.
  const receivers = await startDemoReceivers();
  const links = (model: string) => linksFor(config.alerts.publicUrl, model);
  const started = await startService(demoAlertsConfig(config, receivers), {
    kafka: false,
    http: true,
    schedule: false,
    log: (line) => print(`  ${line}\n`),
    // The demo talks to a person on stdout; only problems go to the structured log.
    logger: createLogger('warn'),
    onEvaluation: (evaluation) => {
      const fired = evaluation.results.filter(
        (r) => r.status === 'warn' || r.status === 'critical',
      ).length;
      print(
        `  [live] ${evaluation.monitor} window ending ${evaluation.window.end.toISOString()}: ${evaluation.status}, ${fired} checks fired\n`,
      );
    },
    alertChannels: {
      webhook: createWebhookChannel({
        resolve: (_monitor, name) => ({
          plan: {
            name,
            preset: 'generic',
            url: `${receivers.webhookUrl}/${name}`,
            secretEnv: ['DEMO_WEBHOOK_SECRET'],
            policy: {
              severities: ['warn', 'critical'],
              afterWindows: 1,
              minIntervalMs: 0,
              sendResolved: true,
            },
          },
          secrets: [receivers.secret],
          token: null,
        }),
        timeoutMs: config.alerts.delivery.timeoutMs,
        links,
        access: demoAccess(config),
      }),
      ...(config.alerts.slack.token ? {} : { slack: receivers.slackPrinter(links) }),
    },
  });
  const service: Service = {
    ...started,
    async stop() {
      await started.stop();
      await receivers.close();
    },
  };
  const url = service.address ?? '';
  print(
    `driftwatch demo: embedded ClickHouse in ${config.store.kind === 'embedded' ? config.store.dataDir : 'a server'}; API on ${url}\n`,
  );
  // On a five-minute boundary: every window is then read from whole five-minute summaries
  // (no raw edges), so a run prints the same values, with their brackets, whenever it starts.
  const now = new Date(Math.floor(Date.now() / FIVE_MINUTES) * FIVE_MINUTES);
  const start = new Date(now.getTime() - options.hours * HOUR);
  // Drift in the middle third: the alerts fire, then resolve once the data is clean again.
  const driftFrom = new Date(start.getTime() + (options.hours * HOUR) / 3);
  const driftUntil = options.driftToEnd
    ? now
    : new Date(start.getTime() + (options.hours * HOUR * 2) / 3);
  const random = createRandom(2026);
  const lateLabels = new Map<string, LateLabels>();
  for (const model of DEMO_MODELS) {
    const labelDelayMs = labelDelayOf(service.plans, model.name);
    const history = await streamHistory(url, options.ingestToken, model, random, {
      start,
      end: now,
      driftFrom,
      driftUntil,
      perHour: options.eventsPerHour,
      labelDelayMs,
    });
    lateLabels.set(model.name, history.labels);
    print(
      `sent ${history.predictions} predictions for ${model.name} (${options.hours} h; drift from ${driftFrom.toISOString()} until ${driftUntil.toISOString()}: ${model.plantedDrift}); its labels follow ${labelDelayMs / 60_000} min later\n`,
    );
  }
  const counts = await countStored(service.store);
  print(`stored: ${JSON.stringify(counts)}\n\n`);

  let breaches = 0;
  for (const plan of service.plans) {
    const evaluations: WindowEvaluation[] = [];
    const labels = lateLabels.get(plan.model);
    for (const window of backtestWindows(start, now, plan.windowMs)) {
      // As if run at the window's end: the labels that have arrived by then and no others,
      // so the run estimates the window from its scores and judges the realized quality of
      // the window one label delay back; the last windows' labels are still to come.
      if (labels) await postEvents(url, labels.due(window.end), options.ingestToken);
      evaluations.push(
        await evaluateMonitorWindow(service.store, plan, window, { now: window.end }),
      );
      // The alert stage reads each stored run, as it does after every scheduled one.
      await service.alerts.processMonitor(plan.monitor, window.end);
    }
    const worst = worstWindow(evaluations);
    breaches += summarise(plan, evaluations, { from: driftFrom, until: driftUntil }, worst, print);
    writeWorstWindowReport(config, plan, worst, print);
  }
  await printAlerts(service, receivers, Boolean(config.alerts.slack.token), print);
  for (const [model, labels] of lateLabels) {
    if (labels.waiting > 0)
      print(
        `labels not arrived yet: ${labels.waiting} of ${model} (the last ${labelDelayOf(service.plans, model) / 60_000} min of predictions)\n`,
      );
  }
  print(`\nwhere to look:\n`);
  print(`  ${url}/dashboard                                          (the dashboard)\n`);
  print(
    `  ${url}/v1/results?model=fraud-detector&status=warn,critical   (the drift history, JSON)\n`,
  );
  print(
    `  ${url}/v1/models/churn-model/runs                         (one row per evaluated window)\n`,
  );
  print(
    `  ${url}/metrics                                            (ingest and alert counters)\n`,
  );
  print(
    `  DRIFTWATCH_DATA_DIR=${config.store.kind === 'embedded' ? config.store.dataDir : '...'} npx driftwatch history --model fraud-detector --breaches\n`,
  );
  print(
    `  DRIFTWATCH_DATA_DIR=${config.store.kind === 'embedded' ? config.store.dataDir : '...'} npx driftwatch alerts --state all\n`,
  );
  if (options.liveSeconds > 0) await streamLive(service, url, options, lateLabels, print);
  return { service, breaches };
}

async function streamHistory(
  url: string,
  token: string | undefined,
  model: DemoModel,
  random: Random,
  range: {
    start: Date;
    end: Date;
    driftFrom: Date;
    driftUntil: Date;
    perHour: number;
    labelDelayMs: number;
  },
): Promise<{ predictions: number; labels: LateLabels }> {
  const total = Math.round(((range.end.getTime() - range.start.getTime()) / HOUR) * range.perHour);
  const step = (range.end.getTime() - range.start.getTime()) / total;
  const labels = new LateLabels();
  let batch: string[] = [];
  for (let i = 0; i < total; i += 1) {
    const ts = new Date(range.start.getTime() + i * step);
    const drifted = ts >= range.driftFrom && ts < range.driftUntil;
    const { prediction, label } = demoEvents(model, random, ts, drifted, range.labelDelayMs);
    batch.push(JSON.stringify({ type: 'prediction', ...prediction }));
    labels.add(label);
    if (batch.length >= 4000 || i === total - 1) {
      await postEvents(url, batch, token);
      batch = [];
    }
  }
  return { predictions: total, labels };
}

/**
 * Label events held back until their time: a model's labels arrive a label delay after its
 * predictions, so a window's estimate is seen before its realized quality. In time order.
 */
class LateLabels {
  private readonly pending: { ts: number; line: string }[] = [];
  private next = 0;

  add(label: Record<string, unknown>): void {
    this.pending.push({
      ts: Date.parse(String(label.ts)),
      line: JSON.stringify({ type: 'label', ...label }),
    });
  }

  /** The labels stamped at or before `until` not yet taken, taken now. */
  due(until: Date): string[] {
    const taken: string[] = [];
    while (this.next < this.pending.length && (this.pending[this.next]?.ts ?? 0) <= until.getTime())
      taken.push(this.pending[this.next++]?.line ?? '');
    return taken;
  }

  get waiting(): number {
    return this.pending.length - this.next;
  }
}

/** The label delay a model's monitor expects (none when it judges no labels). */
function labelDelayOf(plans: readonly MonitorPlan[], model: string): number {
  return plans.find((plan) => plan.model === model)?.labels?.delayMs ?? 0;
}

async function postEvents(url: string, lines: string[], token?: string): Promise<void> {
  if (lines.length === 0) return;
  const response = await fetch(`${url}/v1/events`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-ndjson',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: lines.join('\n'),
  });
  const result = (await response.json()) as { rejected?: number };
  if (!response.ok || result.rejected)
    throw new Error(`ingest refused events: ${JSON.stringify(result).slice(0, 300)}`);
}

function summarise(
  plan: MonitorPlan,
  evaluations: WindowEvaluation[],
  drift: { from: Date; until: Date },
  worst: WindowEvaluation | undefined,
  print: (text: string) => void,
): number {
  print(`== ${plan.model}: ${evaluations.length} windows of ${plan.windowMs / 60_000} min\n`);
  for (const evaluation of evaluations) {
    const fired = evaluation.results.filter((r) => r.status === 'warn' || r.status === 'critical');
    const drifted = evaluation.window.end > drift.from && evaluation.window.start < drift.until;
    print(
      `  ${evaluation.window.end.toISOString()}  ${evaluation.status.padEnd(17)} ${String(fired.length).padStart(3)} checks fired${drifted ? ' (drifted data)' : ''}\n`,
    );
  }
  // in the monitor file's check order, the largest values first: the same rows every run
  const order = (checkId: string) => plan.checks.findIndex((check) => check.id === checkId);
  const critical = (worst?.results ?? [])
    .filter((r) => r.status === 'critical')
    .sort((a, b) => order(a.checkId) - order(b.checkId) || (b.value ?? 0) - (a.value ?? 0));
  const shown = critical.slice(0, 15);
  print(
    `  most drifted window (ending ${worst?.window.end.toISOString() ?? '-'}), critical findings:\n${resultsTable(shown).replace(/^/gm, '    ')}`,
  );
  if (critical.length > shown.length) {
    print(
      `    ... ${critical.length - shown.length} more critical findings not shown (${shown.length} of ${critical.length}); all of them: npx driftwatch history --model ${plan.model} --breaches\n`,
    );
  }
  return evaluations.reduce(
    (sum, e) => sum + e.results.filter((r) => r.status === 'critical').length,
    0,
  );
}

function worstWindow(evaluations: readonly WindowEvaluation[]): WindowEvaluation | undefined {
  const critical = (evaluation: WindowEvaluation) =>
    evaluation.results.filter((r) => r.status === 'critical').length;
  return evaluations.reduce<WindowEvaluation | undefined>(
    (worst, evaluation) => (!worst || critical(evaluation) > critical(worst) ? evaluation : worst),
    undefined,
  );
}

/** The alert notifications the channels received, once the outbox is drained. */
async function printAlerts(
  service: Service,
  receivers: DemoReceivers,
  realSlack: boolean,
  print: (text: string) => void,
): Promise<void> {
  const drained = await service.alerts.delivery.drain({ timeoutMs: 60_000 });
  print(
    `\nalerts: what the channels received (email and webhooks on local receivers${realSlack ? '' : '; Slack printed here, SLACK_BOT_TOKEN is not set'})\n`,
  );
  for (const notice of receivers.received)
    print(`  ${notice.channel.padEnd(8)} ${notice.to.padEnd(24)} ${notice.what}\n`);
  if (receivers.received.length === 0) print('  nothing\n');
  if (!drained) print('  (some notifications are still being retried: driftwatch alerts --dead)\n');
}

/** The most drifted window's features as the same self-contained HTML page the report writes. */
function writeWorstWindowReport(
  config: Config,
  plan: MonitorPlan,
  evaluation: WindowEvaluation | undefined,
  print: (text: string) => void,
): void {
  if (!evaluation || config.store.kind !== 'embedded') return;
  const drift = evaluation.results.filter((r) => r.metric === 'psi');
  const file = path.join(config.store.dataDir, '..', `${plan.model}-drifted-window.html`);
  const report: DriftReport = {
    generated_at: new Date().toISOString(),
    baseline: {
      file: `${evaluation.baseline.name} v${evaluation.baseline.version}`,
      rows: evaluation.baseline.rows,
    },
    current: {
      file: `${plan.model} ${evaluation.window.start.toISOString()}..${evaluation.window.end.toISOString()}`,
      rows: evaluation.events,
    },
    slice_column: plan.slices.map((s) => s.join('×')).join(', ') || null,
    criteria: {
      p_value: DEFAULT_DRIFT_CRITERIA.pValue,
      min_effect: DEFAULT_DRIFT_CRITERIA.minEffect,
      psi: DEFAULT_DRIFT_CRITERIA.psi,
      max_null_increase: DEFAULT_DRIFT_CRITERIA.maxNullIncrease,
      bins: 10,
    },
    exact: evaluation.drift.every((entry) => entry.exact),
    excluded_columns: [],
    summary: {
      features: plan.features.length,
      entries: evaluation.drift.length,
      drifted: evaluation.drift.filter((d) => d.drift).length,
    },
    features: evaluation.drift,
  };
  fs.writeFileSync(file, renderReportHtml(report));
  print(
    `  page with every feature's histograms, baseline against the most drifted window (${drift.length} PSI results): ${path.resolve(file)}\n`,
  );
}

async function streamLive(
  service: Service,
  url: string,
  options: DemoOptions,
  lateLabels: Map<string, LateLabels>,
  print: (text: string) => void,
): Promise<void> {
  const forHowLong = Number.isFinite(options.liveSeconds)
    ? `for ${options.liveSeconds} s`
    : 'until Ctrl-C';
  print(
    `\nthe service keeps running ${forHowLong}: live events (the drift is over) stream in, the labels of earlier ones as their time comes, and the monitors run on their schedules\n`,
  );
  const random = createRandom(7);
  service.scheduler.start();
  const until = Date.now() + options.liveSeconds * 1000;
  let stopped = false;
  const stop = () => {
    stopped = true;
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  while (!stopped && Date.now() < until) {
    const lines = DEMO_MODELS.flatMap((model) => {
      const delayMs = labelDelayOf(service.plans, model.name);
      const predictions = Array.from({ length: 20 }, () => {
        const { prediction, label } = demoEvents(model, random, new Date(), false, delayMs);
        lateLabels.get(model.name)?.add(label);
        return JSON.stringify({ type: 'prediction', ...prediction });
      });
      return [...predictions, ...(lateLabels.get(model.name)?.due(new Date()) ?? [])];
    });
    await postEvents(url, lines, options.ingestToken);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

/**
 * The demo's notifications: email to the local SMTP catcher, webhook secrets generated.
 * Every secret a demo monitor names reads the generated one (never the environment), so the
 * demo's monitors may name any but the service's settings; its receivers are on loopback.
 */
function demoAlertsConfig(config: Config, receivers: DemoReceivers): Config {
  return {
    ...config,
    alerts: {
      ...config.alerts,
      smtp: { kind: 'url', url: receivers.smtpUrl },
      readSecret: () => receivers.secret,
      monitorAccess: demoAccess(config),
    },
  };
}

function demoAccess(config: Config): Config['alerts']['monitorAccess'] {
  return { ...config.alerts.monitorAccess, secrets: ['*'], allowLoopback: true };
}
