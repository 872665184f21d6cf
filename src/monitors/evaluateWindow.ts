import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  detectFormat,
  inferCsvColumns,
  kindOfClickHouseType,
  type ColumnInfo,
} from '../baselines/tabularFile.js';
import { InputError } from '../errors.js';
import { computeFeatureDrift } from '../report/driftComputation.js';
import { DEFAULT_DRIFT_CRITERIA, type FeatureDrift } from '../report/featureDrift.js';
import {
  getLatestBaseline,
  insertBaselineFromFile,
  insertBaselineFromRange,
} from '../store/baselines.js';
import type { Store } from '../store/clickhouse.js';
import { queryClassificationAggregates } from '../store/classificationQueries.js';
import { describeFile } from '../store/fileTables.js';
import {
  labelledWindowRelation,
  monitorRelations,
  queryBaselineScores,
  queryFeaturePaths,
  queryTopSliceValues,
  queryWindowQuality,
  splitSliceLabel,
  type BaselineSource,
  type EventWindow,
  type SliceKey,
} from '../store/monitorQueries.js';
import {
  insertMonitorResults,
  insertMonitorRun,
  type CheckStatus,
  type MonitorResult,
} from '../store/results.js';
import { judgeWindow, type SliceQuality, type Verdict, type WindowAggregates } from './judge.js';
import type { MonitorPlan } from './plan.js';
import { labelWindowFor, type TimeWindow } from './windows.js';

export interface ResolvedBaseline {
  source: BaselineSource;
  name: string;
  version: number;
}

export interface WindowEvaluation {
  monitor: string;
  window: TimeWindow;
  labelWindow: TimeWindow | null;
  baseline: { name: string; version: number };
  status: CheckStatus;
  results: MonitorResult[];
  /** Every feature's drift per slice, with histograms: what a page of the window shows. */
  drift: FeatureDrift[];
  durationMs: number;
}

// A run is ok when something could be judged and nothing breached.
const STATUS_ORDER: CheckStatus[] = ['insufficient_data', 'ok', 'warn', 'critical'];

export function worstStatus(statuses: readonly CheckStatus[]): CheckStatus {
  return statuses.reduce<CheckStatus>(
    (worst, status) =>
      STATUS_ORDER.indexOf(status) > STATUS_ORDER.indexOf(worst) ? status : worst,
    'insufficient_data',
  );
}

/**
 * Evaluates one monitor on one window, with a handful of queries that each scan the window
 * once, and (unless `persist` is false, as in a backtest) stores every verdict under the
 * (monitor, window) key, so running a window twice stores its results once.
 */
export async function evaluateMonitorWindow(
  store: Store,
  plan: MonitorPlan,
  window: TimeWindow,
  options: { now?: Date; persist?: boolean } = {},
): Promise<WindowEvaluation> {
  const started = performance.now();
  const now = options.now ?? new Date();
  const baseline = await resolveBaseline(store, plan, window);
  const events: EventWindow = { model: plan.model, from: window.start, to: window.end };
  const topValues = await queryTopSliceValues(store, events, plan.slices, plan.maxSliceValues);
  const sliceKeys: SliceKey[] = plan.slices.map((attributes, k) => ({
    attributes,
    topValues: topValues[k] ?? [],
  }));
  const labelWindow = plan.labels ? labelWindowFor(window, plan.labels.delayMs, now) : null;
  const aggregates = await gatherAggregates(store, plan, baseline, events, sliceKeys, labelWindow);
  const verdicts = judgeWindow(plan, aggregates);
  const results = verdicts.map((verdict) => toResult(plan, window, baseline, verdict, labelWindow));
  const status = worstStatus(results.map((result) => result.status));
  const durationMs = performance.now() - started;
  if (options.persist !== false) {
    await insertMonitorResults(store, results);
    await insertMonitorRun(store, {
      monitor: plan.monitor,
      windowStart: window.start,
      windowEnd: window.end,
      status,
      checks: results.length,
      breaches: results.filter((result) => result.status === 'warn' || result.status === 'critical')
        .length,
      durationMs,
      monitorHash: plan.hash,
    });
  }
  return {
    monitor: plan.monitor,
    window,
    labelWindow,
    baseline: { name: baseline.name, version: baseline.version },
    status,
    results,
    drift: aggregates.drift,
    durationMs,
  };
}

async function gatherAggregates(
  store: Store,
  plan: MonitorPlan,
  baseline: ResolvedBaseline,
  events: EventWindow,
  sliceKeys: SliceKey[],
  labelWindow: TimeWindow | null,
): Promise<WindowAggregates> {
  const metrics = new Set(plan.checks.map((check) => check.metric));
  const numeric = plan.features.filter((feature) => feature.kind === 'numeric');
  const categorical = plan.features.filter((feature) => feature.kind === 'categorical');
  const drift = await computeFeatureDrift(
    store,
    monitorRelations(baseline.source, events, [...numeric, ...categorical], sliceKeys),
    { numeric: numeric.map((f) => f.name), categorical: categorical.map((f) => f.name) },
    { bins: 10, criteria: DEFAULT_DRIFT_CRITERIA, maxCategories: 1000 },
  );
  const ranges = plan.features.map((feature) => {
    if (feature.range) return feature.range;
    const entry = drift.find((d) => d.name === feature.name && d.slice === 'all');
    return entry?.kind === 'numeric' ? entry.reference_range : null;
  });
  const quality = await queryWindowQuality(store, events, sliceKeys, {
    features: plan.features,
    ranges,
    threshold: plan.threshold,
  });
  const baselineScores = await queryBaselineScores(
    store,
    baseline.source,
    sliceKeys,
    plan.threshold ?? 0.5,
  );
  const paths = metrics.has('schema')
    ? await queryFeaturePaths(store, baseline.source, events)
    : { baseline: [], current: [] };
  const needsLabels = metrics.has('auroc') || metrics.has('actual_positive_rate');
  const classification =
    needsLabels && labelWindow
      ? await queryClassificationAggregates(
          store,
          labelledWindowRelation(
            { model: plan.model, from: labelWindow.start, to: labelWindow.end },
            sliceKeys,
          ),
          plan.threshold ?? 0.5,
          false,
        )
      : null;
  return {
    drift,
    quality: quality.map((row) => ({
      ...splitSliceLabel(row.slice),
      rows: row.rows,
      scored: row.scored,
      predictedPositives: row.predictedPositives,
      duplicateIds: row.duplicateIds,
      wrongType: Object.fromEntries(plan.features.map((f, i) => [f.name, row.wrongType[i] ?? 0])),
      outOfRange: Object.fromEntries(plan.features.map((f, i) => [f.name, row.outOfRange[i] ?? 0])),
    })) satisfies SliceQuality[],
    baselineScores: baselineScores.map((row) => ({ ...splitSliceLabel(row.slice), ...row })),
    paths,
    classification:
      classification?.map((row) => ({ ...splitSliceLabel(row.slice), ...row })) ?? null,
  };
}

function toResult(
  plan: MonitorPlan,
  window: TimeWindow,
  baseline: ResolvedBaseline,
  verdict: Verdict,
  labelWindow: TimeWindow | null,
): MonitorResult {
  const labelled = verdict.metric === 'auroc' || verdict.metric === 'actual_positive_rate';
  return {
    monitor: plan.monitor,
    model: plan.model,
    windowStart: window.start,
    windowEnd: window.end,
    checkId: verdict.checkId,
    metric: verdict.metric,
    feature: verdict.feature,
    sliceKey: verdict.sliceKey,
    sliceValue: verdict.sliceValue,
    status: verdict.status,
    value: verdict.value,
    pValue: verdict.pValue,
    adjustedPValue: verdict.adjustedPValue,
    correction: verdict.adjustedPValue !== null ? plan.falseDiscoveryRate : 'none',
    warnThreshold: verdict.warnThreshold,
    criticalThreshold: verdict.criticalThreshold,
    nReference: verdict.nReference,
    nCurrent: verdict.nCurrent,
    baseline: baseline.name,
    baselineVersion: baseline.version,
    monitorHash: plan.hash,
    details: {
      ...verdict.details,
      ...(labelled && labelWindow
        ? {
            label_window: {
              start: labelWindow.start.toISOString(),
              end: labelWindow.end.toISOString(),
            },
          }
        : {}),
    },
  };
}

/**
 * The baseline a window is compared with. A file baseline is loaded as a new version when
 * the file's bytes change; a range baseline is frozen once; a trailing one is simply the
 * period before the window.
 */
export async function resolveBaseline(
  store: Store,
  plan: MonitorPlan,
  window: TimeWindow,
): Promise<ResolvedBaseline> {
  const spec = plan.baseline;
  if (spec.kind === 'trailing') {
    return {
      source: {
        kind: 'events',
        window: {
          model: plan.model,
          from: new Date(window.start.getTime() - spec.durationMs),
          to: window.start,
        },
      },
      name: `trailing:${spec.durationMs / 1000}s`,
      version: 0,
    };
  }
  if (spec.kind === 'range') {
    const name = `range:${spec.from.toISOString()}..${spec.to.toISOString()}`;
    const existing = await getLatestBaseline(store, plan.model, name);
    const record =
      existing ??
      (await insertBaselineFromRange(store, {
        model: plan.model,
        name,
        from: spec.from,
        to: spec.to,
        features: plan.features.map((f) => ({ name: f.name, kind: f.kind })),
      }));
    return {
      source: { kind: 'stored', model: plan.model, name, version: record.version },
      name,
      version: record.version,
    };
  }
  const record = await loadFileBaseline(store, plan, spec.path, { onlyIfChanged: true });
  return {
    source: { kind: 'stored', model: plan.model, name: record.name, version: record.version },
    name: record.name,
    version: record.version,
  };
}

export function fileBaselineName(file: string): string {
  return `file:${path.basename(file)}`;
}

/** Loads a training file as the model's baseline; with onlyIfChanged, reuses the stored version of the same bytes. */
export async function loadFileBaseline(
  store: Store,
  plan: Pick<MonitorPlan, 'model' | 'features' | 'slices'>,
  file: string,
  options: { onlyIfChanged: boolean },
): Promise<{ name: string; version: number; rowCount: number; created: boolean }> {
  if (!fs.existsSync(file)) throw new InputError({ file }, 'baseline file not found');
  const name = fileBaselineName(file);
  const digest = createHash('sha256').update(fs.readFileSync(file)).digest('hex');
  const source = `${path.resolve(file)}#sha256:${digest}`;
  if (options.onlyIfChanged) {
    const existing = await getLatestBaseline(store, plan.model, name);
    if (existing?.source === source)
      return { name, version: existing.version, rowCount: existing.rowCount, created: false };
  }
  const format = detectFormat(file);
  const columns: ColumnInfo[] =
    format === 'CSVWithNames'
      ? (await inferCsvColumns(file)).columns
      : (await describeFile(store, file, format)).map((c) => ({
          name: c.name,
          kind: kindOfClickHouseType(c.type),
        }));
  const present = new Set(columns.map((c) => c.name));
  const attributes = [...new Set(plan.slices.flat())].filter((name) => present.has(name));
  const record = await insertBaselineFromFile(store, {
    model: plan.model,
    name,
    file,
    format,
    // Declared kinds win over inference: a feature of integers declared categorical stays one.
    columns: columns.map((c) => ({
      ...c,
      kind: attributes.includes(c.name)
        ? 'categorical'
        : (plan.features.find((f) => f.name === c.name)?.kind ?? c.kind),
    })),
    roles: {
      features: plan.features
        .filter((f) => present.has(f.name))
        .map((f) => ({ name: f.name, kind: f.kind })),
      attributes,
      score: present.has('score') ? 'score' : undefined,
      label: present.has('label') ? 'label' : undefined,
    },
    source,
  });
  return { name, version: record.version, rowCount: record.rowCount, created: true };
}
