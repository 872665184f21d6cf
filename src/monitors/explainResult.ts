import { explainWindow, type WindowExplanation } from '../drift/explainWindow.js';
import { DEFAULT_DRIFT_CRITERIA } from '../drift/featureDrift.js';
import { getOrBuildProfile, type BaselineIdentity } from '../drift/profile.js';
import { readReferenceSamples, readWindowSamples } from '../drift/windowSummary.js';
import { DriftwatchError } from '../errors.js';
import type { Store } from '../store/clickhouse.js';
import type { TimeWindow } from '../timeWindow.js';
import type { CheckResult } from './checkResult.js';
import { profileSpecOf, resolveBaseline } from './evaluateWindow.js';
import type { MonitorPlan } from './plan.js';

/** What identifies a stored check result: the check, where, when, and against which baseline. */
export type ResultIdentity = Pick<
  CheckResult,
  | 'checkId'
  | 'metric'
  | 'feature'
  | 'sliceKey'
  | 'sliceValue'
  | 'windowStart'
  | 'windowEnd'
  | 'baseline'
  | 'baselineVersion'
>;

/**
 * Why a stored result says what it says: its window's summaries read again against the
 * reference profile of the baseline version it was judged on (not today's), and explained
 * by the drift stage (drift/explainWindow.ts). Reads only: the profile and the summaries
 * already exist for a window that was evaluated.
 */
export async function explainStoredResult(
  store: Store,
  plan: MonitorPlan,
  result: ResultIdentity,
): Promise<WindowExplanation> {
  const window: TimeWindow = { start: result.windowStart, end: result.windowEnd };
  const baseline = await baselineOf(store, plan, result, window);
  const profile = await getOrBuildProfile(store, profileSpecOf(plan), baseline);
  const [samples, reference] = await Promise.all([
    readWindowSamples(store, { model: plan.model, window, keys: profile.sliceKeys }),
    readReferenceSamples(store, profile),
  ]);
  return explainWindow(
    {
      metric: result.metric,
      feature: result.feature,
      slice: { key: result.sliceKey, value: result.sliceValue },
    },
    { features: plan.features, threshold: plan.threshold, criteria: DEFAULT_DRIFT_CRITERIA },
    profile,
    reference,
    samples.samples,
  );
}

/**
 * The baseline version a result names. A trailing baseline is the days before the window,
 * computed again from the window; a stored one (a file, a range) is the version as stored,
 * even when the monitor has loaded a newer one since.
 */
async function baselineOf(
  store: Store,
  plan: MonitorPlan,
  result: ResultIdentity,
  window: TimeWindow,
): Promise<BaselineIdentity> {
  if (plan.baseline.kind === 'trailing') {
    const trailing = await resolveBaseline(store, plan, window);
    if (trailing.name === result.baseline && trailing.version === result.baselineVersion)
      return trailing;
    throw new DriftwatchError(
      'DW_NOT_FOUND',
      `the result was judged against ${result.baseline} v${result.baselineVersion}, which the monitor no longer computes`,
    );
  }
  return {
    name: result.baseline,
    version: result.baselineVersion,
    source: {
      kind: 'stored',
      model: plan.model,
      baseline: result.baseline,
      version: result.baselineVersion,
    },
  };
}
