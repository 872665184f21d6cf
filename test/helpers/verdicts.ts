import fs from 'node:fs';
import path from 'node:path';
import type { MonitorAccess } from '../../src/monitors/monitorAccess.js';
import { loadMonitorFile } from '../../src/monitors/monitorFile.js';
import type { MonitorPlan } from '../../src/monitors/plan.js';
import type { Store } from '../../src/store/clickhouse.js';
import { insertMonitorRun, storeRunResults } from '../../src/store/results.js';
import { LOCAL_RECEIVERS_ACCESS } from './alertReceivers.js';
import { tempDir } from './store.js';
import { NULL_FIELDS, type CheckResult, type CheckStatus } from '../../src/monitors/checkResult.js';

/**
 * A monitor plan from YAML text, through the real parser (so tests use the real fields),
 * under what a test's operator exposes (its secrets, loopback receivers) unless told otherwise.
 */
export function planFromYaml(
  yaml: string,
  access: MonitorAccess = LOCAL_RECEIVERS_ACCESS,
): MonitorPlan {
  const dir = tempDir('driftwatch-plan-');
  const file = path.join(dir, 'monitor.yaml');
  fs.writeFileSync(file, yaml);
  const loaded = loadMonitorFile(file, { access });
  fs.rmSync(dir, { recursive: true, force: true });
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
  return loaded.plan;
}

export interface StoredVerdict {
  checkId?: string;
  metric?: string;
  feature: string;
  /** 'all' or key=value */
  slice?: string;
  status: CheckStatus | 'no_data';
  value?: number | null;
  pValue?: number | null;
  details?: Record<string, unknown>;
}

/**
 * Stores one run's verdicts as the evaluator would (monitor_results, then monitor_runs):
 * the alert stage is fed from exactly these rows.
 */
export async function storeRun(
  store: Store,
  plan: MonitorPlan,
  windowEnd: Date,
  verdicts: readonly StoredVerdict[],
): Promise<CheckResult[]> {
  const windowStart = new Date(windowEnd.getTime() - plan.windowMs);
  const results: CheckResult[] = verdicts.map((verdict) => {
    const [sliceKey, sliceValue] =
      !verdict.slice || verdict.slice === 'all'
        ? ['', 'all']
        : [verdict.slice.split('=')[0] ?? '', verdict.slice.split('=')[1] ?? ''];
    return {
      ...NULL_FIELDS,
      monitor: plan.monitor,
      model: plan.model,
      windowStart,
      windowEnd,
      checkId: verdict.checkId ?? 'psi',
      metric: verdict.metric ?? 'psi',
      feature: verdict.feature,
      sliceKey,
      sliceValue,
      status: verdict.status as CheckStatus,
      value: verdict.value === undefined ? (verdict.status === 'ok' ? 0.02 : 0.3) : verdict.value,
      pValue: verdict.pValue ?? null,
      correction: 'none',
      warnThreshold: 0.1,
      criticalThreshold: 0.25,
      nReference: 5000,
      nCurrent: 1200,
      baseline: 'file:train.csv',
      baselineVersion: 3,
      monitorHash: plan.hash,
      details: verdict.details ?? {},
    };
  });
  await storeRunResults(store, plan.monitor, windowEnd, results);
  await insertMonitorRun(store, {
    monitor: plan.monitor,
    windowStart,
    windowEnd,
    status: 'ok',
    checks: results.length,
    breaches: results.filter((r) => r.status === 'warn' || r.status === 'critical').length,
    durationMs: 1,
    monitorHash: plan.hash,
  });
  return results;
}
