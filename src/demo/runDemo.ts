import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/config.js';
import { createLogger } from '../observability/logger.js';
import { resultsTable } from '../cli/commands/monitorCommands.js';
import { DEFAULT_DRIFT_CRITERIA } from '../drift/featureDrift.js';
import { startService, type Service } from '../main.js';
import type { WindowEvaluation } from '../monitors/evaluateWindow.js';
import { evaluateMonitorWindow } from '../monitors/evaluateWindow.js';
import type { MonitorPlan } from '../monitors/plan.js';
import { backtestWindows, truncateToMinute } from '../monitors/windows.js';
import { renderReportHtml } from '../report/render/html.js';
import type { DriftReport } from '../report/compareFiles.js';
import { countStored } from '../store/events.js';
import { DEMO_MODELS, demoEvents, type DemoModel } from './demoModels.js';
import { createRandom, type Random } from './random.js';

export interface DemoOptions {
  /** Hours of history streamed before the monitors run; drift starts two thirds through. */
  hours: number;
  eventsPerHour: number;
  /** Keep streaming live events and running schedules for this long (0: stop after the history). */
  liveSeconds: number;
  print: (text: string) => void;
}

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
  const service = await startService(config, {
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
  });
  const url = service.address ?? '';
  print(
    `driftwatch demo: embedded ClickHouse in ${config.store.kind === 'embedded' ? config.store.dataDir : 'a server'}; API on ${url}\n`,
  );
  const now = truncateToMinute(new Date());
  const start = new Date(now.getTime() - options.hours * HOUR);
  const driftFrom = new Date(start.getTime() + (options.hours * HOUR * 2) / 3);
  const random = createRandom(2026);
  for (const model of DEMO_MODELS) {
    const sent = await streamHistory(url, model, random, {
      start,
      end: now,
      driftFrom,
      perHour: options.eventsPerHour,
    });
    print(
      `sent ${sent} events for ${model.name} (${options.hours} h; drift from ${driftFrom.toISOString()}: ${model.plantedDrift})\n`,
    );
  }
  const counts = await countStored(service.store);
  print(`stored: ${JSON.stringify(counts)}\n\n`);

  let breaches = 0;
  for (const plan of service.plans) {
    const evaluations: WindowEvaluation[] = [];
    for (const window of backtestWindows(start, now, plan.windowMs)) {
      evaluations.push(await evaluateMonitorWindow(service.store, plan, window, { now }));
    }
    breaches += summarise(plan, evaluations, driftFrom, print);
    writeLatestReport(config, plan, evaluations.at(-1), print);
  }
  print(`\nwhere to look:\n`);
  print(`  ${url}/v1/monitors/fraud-detector/history?breaches=true   (the drift history, JSON)\n`);
  print(
    `  ${url}/v1/monitors/churn-model/runs                       (one row per evaluated window)\n`,
  );
  print(`  ${url}/metrics                                            (ingest counters)\n`);
  print(
    `  DRIFTWATCH_DATA_DIR=${config.store.kind === 'embedded' ? config.store.dataDir : '...'} npx driftwatch history --model fraud-detector --breaches\n`,
  );
  if (options.liveSeconds > 0) await streamLive(service, url, options, print);
  return { service, breaches };
}

async function streamHistory(
  url: string,
  model: DemoModel,
  random: Random,
  range: { start: Date; end: Date; driftFrom: Date; perHour: number },
): Promise<number> {
  const total = Math.round(((range.end.getTime() - range.start.getTime()) / HOUR) * range.perHour);
  const step = (range.end.getTime() - range.start.getTime()) / total;
  let batch: string[] = [];
  for (let i = 0; i < total; i += 1) {
    const ts = new Date(range.start.getTime() + i * step);
    const { prediction, label } = demoEvents(model, random, ts, ts >= range.driftFrom, 5 * 60_000);
    batch.push(
      JSON.stringify({ type: 'prediction', ...prediction }),
      JSON.stringify({ type: 'label', ...label }),
    );
    if (batch.length >= 4000 || i === total - 1) {
      await postEvents(url, batch);
      batch = [];
    }
  }
  return total * 2;
}

async function postEvents(url: string, lines: string[]): Promise<void> {
  const response = await fetch(`${url}/v1/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-ndjson' },
    body: lines.join('\n'),
  });
  const result = (await response.json()) as { rejected?: number };
  if (!response.ok || result.rejected)
    throw new Error(`ingest refused events: ${JSON.stringify(result).slice(0, 300)}`);
}

function summarise(
  plan: MonitorPlan,
  evaluations: WindowEvaluation[],
  driftFrom: Date,
  print: (text: string) => void,
): number {
  print(`== ${plan.model}: ${evaluations.length} windows of ${plan.windowMs / 60_000} min\n`);
  for (const evaluation of evaluations) {
    const fired = evaluation.results.filter((r) => r.status === 'warn' || r.status === 'critical');
    const marker = evaluation.window.start >= driftFrom ? ' (drifted data)' : '';
    print(
      `  ${evaluation.window.end.toISOString()}  ${evaluation.status.padEnd(17)} ${String(fired.length).padStart(3)} checks fired${marker}\n`,
    );
  }
  const latest = evaluations.at(-1);
  const critical = (latest?.results ?? []).filter((r) => r.status === 'critical');
  const shown = critical.slice(0, 15);
  print(`  latest window, critical findings:\n${resultsTable(shown).replace(/^/gm, '    ')}`);
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

/** The latest window's feature drift as the same self-contained HTML page the report writes. */
function writeLatestReport(
  config: Config,
  plan: MonitorPlan,
  evaluation: WindowEvaluation | undefined,
  print: (text: string) => void,
): void {
  if (!evaluation || config.store.kind !== 'embedded') return;
  const drift = evaluation.results.filter((r) => r.metric === 'psi');
  const file = path.join(config.store.dataDir, '..', `${plan.model}-latest.html`);
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
    `  page with every feature's histograms, baseline against the latest window (${drift.length} PSI results): ${path.resolve(file)}\n`,
  );
}

async function streamLive(
  service: Service,
  url: string,
  options: DemoOptions,
  print: (text: string) => void,
): Promise<void> {
  const forHowLong = Number.isFinite(options.liveSeconds)
    ? `for ${options.liveSeconds} s`
    : 'until Ctrl-C';
  print(
    `\nthe service keeps running ${forHowLong}: live drifted events stream in, and the monitors run on their schedules\n`,
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
    const lines = DEMO_MODELS.flatMap((model) =>
      Array.from({ length: 20 }, () => {
        const { prediction } = demoEvents(model, random, new Date(), true, 0);
        return JSON.stringify({ type: 'prediction', ...prediction });
      }),
    );
    await postEvents(url, lines);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}
