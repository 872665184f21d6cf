import fs from 'node:fs';
import path from 'node:path';
import type { CheckResult } from '../../src/monitors/checkResult.js';
import { evaluateMonitorWindow, type WindowEvaluation } from '../../src/monitors/evaluateWindow.js';
import { loadMonitorFile } from '../../src/monitors/monitorFile.js';
import type { MonitorPlan } from '../../src/monitors/plan.js';
import type { Store } from '../../src/store/clickhouse.js';
import { windowEndingAt } from '../../src/timeWindow.js';

/**
 * The two half-hour windows of the monitor-task tests. W1's labels are due when W2 is judged
 * (the monitors declare `labels: { delay: 2h }`), so W1 is W2's label window; labels are
 * stamped LABELS_AT, after W1 and before W2.
 */
export const HOUR = 3_600_000;
export const T0 = new Date('2026-11-20T10:00:00Z');
export const W1 = windowEndingAt(new Date(T0.getTime() + HOUR / 2), HOUR / 2);
export const W2 = windowEndingAt(new Date(T0.getTime() + 2.5 * HOUR), HOUR / 2);
export const LABELS_AT = new Date(T0.getTime() + HOUR);

/** A baseline file `base.csv` in dir: a header line, then one line a row. */
export function writeBaselineCsv(dir: string, header: string, rows: readonly string[]): void {
  fs.writeFileSync(path.join(dir, 'base.csv'), [header, ...rows].join('\n'));
}

/**
 * Writes `<name>.yaml` into dir and loads it as the service would; a file that does not load
 * fails the test's set-up with the loader's errors, so a broken fixture names itself.
 */
export function writeMonitor(dir: string, name: string, yaml: string): MonitorPlan {
  const file = path.join(dir, `${name}.yaml`);
  fs.writeFileSync(file, yaml);
  const loaded = loadMonitorFile(file);
  if (!loaded.ok) throw new Error(`${file}: ${JSON.stringify(loaded.errors)}`);
  return loaded.plan;
}

/** A monitor's two windows, each evaluated as its schedule would evaluate it. */
export interface TwoWindowRuns {
  w1: WindowEvaluation;
  w2: WindowEvaluation;
}

/**
 * Each plan's W1 and then W2, plan by plan (W1's stored results, an estimate among them, are
 * there when W2 is judged).
 */
export async function evaluateBothWindows(
  store: Store,
  plans: Record<string, MonitorPlan>,
): Promise<Record<string, TwoWindowRuns>> {
  const runs: Record<string, TwoWindowRuns> = {};
  for (const [model, plan] of Object.entries(plans)) {
    runs[model] = {
      w1: await evaluateMonitorWindow(store, plan, W1, { now: W1.end }),
      w2: await evaluateMonitorWindow(store, plan, W2, { now: W2.end }),
    };
  }
  return runs;
}

/** A check's all-rows result in one model's window; a missing one fails, naming it. */
export function allRowsResult(
  runs: Record<string, TwoWindowRuns>,
  model: string,
  window: keyof TwoWindowRuns,
  checkId: string,
): CheckResult {
  const found = runs[model]?.[window].results.find(
    (r) => r.checkId === checkId && r.sliceValue === 'all',
  );
  if (!found) throw new Error(`no ${checkId} result for ${model} ${window}`);
  return found;
}
