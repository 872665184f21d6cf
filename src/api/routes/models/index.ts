import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { backtestMonitor, invalidTimeRange } from '../../../monitors/backtest.js';
import { DriftwatchError } from '../../../errors.js';
import { freezeBaseline } from '../../../monitors/baselineActions.js';
import { checkResultToJson } from '../../../monitors/checkResult.js';
import {
  CBPE_ASSUMPTIONS,
  PERFORMANCE_RESULT_METRICS,
  performanceSeries,
} from '../../../monitors/performanceSeries.js';
import { evaluateMonitorWindow, type WindowEvaluation } from '../../../monitors/evaluateWindow.js';
import type { MonitorPlan } from '../../../monitors/plan.js';
import { windowEndingAt } from '../../../timeWindow.js';
import { backtestWindows, runWindowEnd } from '../../../monitors/windows.js';
import {
  alertingLater,
  describeRunAlerting,
  type RunAlerting,
} from '../../../alerts/runAlerting.js';
import { alertPlanToJson } from '../../../alerts/alertPlan.js';
import { listBaselines, type BaselineRecord } from '../../../store/baselines.js';
import type { Store } from '../../../store/clickhouse.js';
import {
  getHistogramResult,
  getSeriesExtent,
  listLatestRuns,
  listLatestWindowResults,
  listRunsPage,
  queryLabelSeries,
  queryModelMetricResults,
  queryResultSeries,
  queryResultsPage,
  storedRunOf,
  type LatestRun,
} from '../../../store/results.js';
import { apiError } from '../../errors.js';
import {
  Baseline,
  Histogram,
  HistogramQuery,
  LabelSeries,
  ModelDetail,
  ModelParams,
  ModelSummary,
  PageOf,
  PageQuery,
  PerformanceSeries,
  Result,
  Run,
  Series,
  SeriesQuery,
  SliceTimeRangeQuery,
  Time,
} from '../../schemas.js';
import { pageOf, parseSlice, parseTime, worstFirst } from '../shared.js';

export interface ModelRouteOptions {
  store: Store;
  monitors: () => readonly MonitorPlan[];
  /** Where a baseline file named through the API may lie. */
  baselineRoots: readonly string[];
  /** A run asked for here goes where a scheduled run goes (the alert stage), when there is one. */
  onRunEvaluated?: (evaluation: WindowEvaluation) => Promise<RunAlerting>;
}

const tags = ['models'];

/** Models, their monitors, runs, drift series, histograms, labels and baselines. */
export const modelRoutes: FastifyPluginAsyncTypebox<ModelRouteOptions> = async (app, options) => {
  const { store } = options;
  const findPlan = (model: string): MonitorPlan => {
    const plan = options.monitors().find((candidate) => candidate.model === model);
    if (!plan) throw apiError('DW_NOT_FOUND', `no monitor for model "${model}"`);
    return plan;
  };

  app.get(
    '/v1/models',
    {
      config: { access: 'read' },
      schema: {
        summary: 'Every monitored model with its status, worst first',
        tags,
        response: { 200: Type.Array(ModelSummary) },
      },
    },
    async () => {
      const latest = new Map((await listLatestRuns(store)).map((run) => [run.monitor, run]));
      return worstFirst(
        options.monitors().map((plan) => summarise(plan, latest.get(plan.monitor))),
      );
    },
  );

  app.get(
    '/v1/models/:model',
    {
      config: { access: 'read' },
      schema: {
        summary: 'One model: its monitor, checks and every result of the newest window',
        tags,
        params: ModelParams,
        response: { 200: ModelDetail },
      },
    },
    async (request) => {
      const plan = findPlan(request.params.model);
      const latestRun = (await listLatestRuns(store)).find((run) => run.monitor === plan.monitor);
      const latest = await listLatestWindowResults(store, plan.model);
      return {
        ...summarise(plan, latestRun),
        features: plan.features.map((feature) => ({ name: feature.name, kind: feature.kind })),
        slices: plan.slices,
        check_list: plan.checks.map((check) => ({
          id: check.id,
          metric: check.metric,
          features: 'features' in check ? check.features : [],
          warn: 'warn' in check ? check.warn : null,
          critical: 'critical' in check ? check.critical : 'min' in check ? check.min : null,
        })),
        latest,
      };
    },
  );

  app.get(
    '/v1/models/:model/runs',
    {
      config: { access: 'read' },
      schema: {
        summary: 'Evaluated windows, newest first',
        tags,
        params: ModelParams,
        querystring: Type.Object(
          {
            from: Type.Optional(Type.String({ format: 'date-time' })),
            to: Type.Optional(Type.String({ format: 'date-time' })),
            ...PageQuery,
          },
          { additionalProperties: false },
        ),
        response: { 200: PageOf(Run, 'RunPage') },
      },
    },
    async (request) => {
      const plan = findPlan(request.params.model);
      const { limit = 100, offset = 0 } = request.query;
      const page = await listRunsPage(store, {
        monitor: plan.monitor,
        from: parseTime('from', request.query.from),
        to: parseTime('to', request.query.to),
        limit,
        offset,
      });
      return pageOf({ items: page.items.map(storedRunOf), total: page.total }, limit, offset);
    },
  );

  app.get(
    '/v1/models/:model/series',
    {
      config: { access: 'read' },
      schema: {
        summary: "One check's value over time for a feature and slice, with its thresholds",
        description:
          'Windows are merged into buckets when there are more than max_points: each point then carries the last value, the range and the worst status of its bucket.',
        tags,
        params: ModelParams,
        querystring: SeriesQuery,
        response: { 200: Series },
      },
    },
    async (request) => {
      const plan = findPlan(request.params.model);
      const slice = parseSlice(request.query.slice ?? 'all');
      const filter = {
        model: plan.model,
        checkId: request.query.check_id,
        feature: request.query.feature ?? '',
        sliceKey: slice.key,
        sliceValue: slice.value,
        from: parseTime('from', request.query.from),
        to: parseTime('to', request.query.to),
      };
      const maxPoints = request.query.max_points ?? 2000;
      const extent = await getSeriesExtent(store, filter);
      const span = extent ? extent.last.getTime() - extent.first.getTime() : 0;
      const bucketMs =
        extent && extent.windows > maxPoints
          ? Math.max(plan.windowMs, Math.ceil(span / maxPoints))
          : 1; // one point per window
      const points = extent ? await queryResultSeries(store, { ...filter, bucketMs }) : [];
      return {
        model: plan.model,
        check_id: filter.checkId,
        feature: filter.feature,
        slice: request.query.slice ?? 'all',
        bucket_seconds: extent && extent.windows > maxPoints ? Math.round(bucketMs / 1000) : 0,
        points,
      };
    },
  );

  app.get(
    '/v1/models/:model/histogram',
    {
      config: { access: 'read' },
      schema: {
        summary: 'Baseline against current histogram of a feature in one window',
        tags,
        params: ModelParams,
        querystring: HistogramQuery,
        response: { 200: Histogram },
      },
    },
    async (request) => {
      const plan = findPlan(request.params.model);
      const slice = parseSlice(request.query.slice ?? 'all');
      const result = await getHistogramResult(store, {
        model: plan.model,
        feature: request.query.feature,
        sliceKey: slice.key,
        sliceValue: slice.value,
        windowEnd: parseTime('window_end', request.query.window_end),
      });
      const histogram = result?.details.histogram as
        | { edges?: number[]; categories?: string[]; reference: number[]; current: number[] }
        | undefined;
      if (!result || !histogram) {
        throw apiError(
          'DW_NOT_FOUND',
          `no histogram stored for feature "${request.query.feature}" in slice "${request.query.slice ?? 'all'}"`,
        );
      }
      return {
        model: plan.model,
        feature: request.query.feature,
        slice: request.query.slice ?? 'all',
        window_start: result.window_start,
        window_end: result.window_end,
        baseline: result.baseline,
        baseline_version: result.baseline_version,
        edges: histogram.edges ?? null,
        categories: histogram.categories ?? null,
        reference: histogram.reference,
        current: histogram.current,
      };
    },
  );

  app.get(
    '/v1/models/:model/labels',
    {
      config: { access: 'read' },
      schema: {
        summary: 'AUROC and label coverage over time',
        tags,
        params: ModelParams,
        querystring: SliceTimeRangeQuery,
        response: { 200: LabelSeries },
      },
    },
    async (request) => {
      const plan = findPlan(request.params.model);
      const slice = parseSlice(request.query.slice ?? 'all');
      const points = await queryLabelSeries(store, {
        model: plan.model,
        sliceKey: slice.key,
        sliceValue: slice.value,
        from: parseTime('from', request.query.from),
        to: parseTime('to', request.query.to),
      });
      return {
        model: plan.model,
        slice: request.query.slice ?? 'all',
        points: points.map((point) => ({
          ...point,
          coverage:
            point.predictions && point.predictions > 0 ? point.labelled / point.predictions : null,
        })),
      };
    },
  );

  app.get(
    '/v1/models/:model/performance',
    {
      config: { access: 'read' },
      schema: {
        summary: 'Performance estimated before labels (CBPE) beside the realized values over time',
        tags,
        params: ModelParams,
        querystring: SliceTimeRangeQuery,
        response: { 200: PerformanceSeries },
      },
    },
    async (request) => {
      const plan = findPlan(request.params.model);
      const slice = parseSlice(request.query.slice ?? 'all');
      const results = await queryModelMetricResults(store, {
        model: plan.model,
        metrics: PERFORMANCE_RESULT_METRICS,
        sliceKey: slice.key,
        sliceValue: slice.value,
        from: parseTime('from', request.query.from),
        to: parseTime('to', request.query.to),
      });
      return {
        model: plan.model,
        slice: request.query.slice ?? 'all',
        assumptions: CBPE_ASSUMPTIONS,
        metrics: performanceSeries(results),
      };
    },
  );

  app.get(
    '/v1/models/:model/baselines',
    {
      config: { access: 'read' },
      schema: {
        summary: "The model's baselines and every version",
        tags,
        params: ModelParams,
        response: { 200: Type.Array(Baseline) },
      },
    },
    async (request) => {
      const plan = findPlan(request.params.model);
      return (await listBaselines(store, plan.model)).map(baselineView);
    },
  );

  app.post(
    '/v1/models/:model/baselines',
    {
      config: { access: 'admin' },
      schema: {
        summary:
          "Freeze a new baseline version: a time range of the model's own events, or a training file on the service's machine",
        description:
          'Give from and to, or file: a CSV, Parquet or Arrow file inside the allowed baseline roots (DRIFTWATCH_BASELINE_ROOTS).',
        tags,
        params: ModelParams,
        body: Type.Object(
          {
            from: Type.Optional(Time),
            to: Type.Optional(Time),
            file: Type.Optional(Type.String({ minLength: 1, description: 'an absolute path' })),
          },
          { additionalProperties: false },
        ),
        response: { 201: Baseline },
      },
    },
    async (request, reply) => {
      const plan = findPlan(request.params.model);
      const { file, from, to } = request.body;
      if ((file === undefined) === (from === undefined && to === undefined))
        throw apiError('DW_BAD_REQUEST', 'body: give from and to, or file');
      if (file === undefined && (from === undefined || to === undefined))
        throw apiError('DW_BAD_REQUEST', 'body: give both from and to');
      try {
        const record = await freezeBaseline(
          store,
          plan,
          file !== undefined
            ? { file, roots: options.baselineRoots }
            : { from: parseTime('from', from) as Date, to: parseTime('to', to) as Date },
        );
        void reply.status(201);
        return baselineView(record);
      } catch (error) {
        if (error instanceof DriftwatchError && error.code === 'DW_INPUT')
          throw apiError('DW_BAD_REQUEST', error.message);
        throw error;
      }
    },
  );

  app.post(
    '/v1/models/:model/runs',
    {
      config: { access: 'operate' },
      schema: {
        summary: 'Evaluate one window of the schedule now and store its results',
        description:
          "window_end must be a tick of the monitor's schedule (windows lie on its grid); without it, the last complete scheduled window. Running a window again replaces its results. The answer says what the alert stage did with it: alerts follow the newest window.",
        tags,
        params: ModelParams,
        body: Type.Object({ window_end: Type.Optional(Time) }, { additionalProperties: false }),
        response: {
          200: Type.Object({ run: Run, results: Type.Array(Result), alerts: RunAlertingView }),
        },
      },
    },
    async (request) => {
      const plan = findPlan(request.params.model);
      const requested = parseTime('window_end', request.body?.window_end);
      if (requested && requested.getTime() > Date.now()) {
        throw apiError('DW_BAD_REQUEST', 'body/window_end is in the future');
      }
      const chosen = runWindowEnd(plan.schedule, requested, new Date());
      if ('error' in chosen) throw apiError('DW_BAD_REQUEST', `body/window_end: ${chosen.error}`);
      const evaluation = await evaluateMonitorWindow(
        store,
        plan,
        windowEndingAt(chosen.end, plan.windowMs),
      );
      const alerting =
        (await options.onRunEvaluated?.(evaluation)) ??
        (await alertingLater(store, plan.monitor, evaluation.window.end));
      // What was stored, read back as every other route shows results.
      const { items: results } = await queryResultsPage(
        store,
        {
          model: plan.model,
          from: new Date(evaluation.window.end.getTime() - 1),
          to: evaluation.window.end,
        },
        { limit: 100_000, offset: 0 },
      );
      return {
        run: storedRunOf({
          monitor: plan.monitor,
          windowStart: evaluation.window.start,
          windowEnd: evaluation.window.end,
          status: evaluation.status,
          checks: evaluation.results.length,
          breaches: evaluation.results.filter((r) => r.status === 'warn' || r.status === 'critical')
            .length,
          durationMs: evaluation.durationMs,
          monitorHash: plan.hash,
        }),
        results,
        alerts: runAlertingView(alerting),
      };
    },
  );

  app.post(
    '/v1/models/:model/backtest',
    {
      config: { access: 'operate' },
      schema: {
        summary: 'Replay windows between from and to without storing anything',
        tags,
        params: ModelParams,
        body: Type.Object({ from: Time, to: Time }, { additionalProperties: false }),
        response: {
          200: Type.Object({
            windows: Type.Array(
              Type.Object({
                window_end: Time,
                status: Type.String({
                  description: "the window's worst status, or expired (past retention: see reason)",
                }),
                fired: Type.Integer(),
                checks: Type.Integer(),
                events: Type.Optional(
                  Type.Integer({ description: 'events in the window (none when expired)' }),
                ),
                reason: Type.Optional(
                  Type.String({ description: 'why an expired window could not be replayed' }),
                ),
              }),
            ),
            fired: Type.Array(Result, { description: 'every warn and critical result' }),
            alerts: AlertPlanView,
          }),
        },
      },
    },
    async (request) => {
      const plan = findPlan(request.params.model);
      const from = parseTime('from', request.body.from) as Date;
      const to = parseTime('to', request.body.to) as Date;
      const invalid = invalidTimeRange(from, to, plan.windowMs);
      if (invalid) throw apiError('DW_BAD_REQUEST', invalid.replace(/--/g, 'body/'));
      const count = backtestWindows(from, to, plan.windowMs).length;
      if (count > 1000) {
        throw apiError('DW_BAD_REQUEST', `${count} windows: backtest at most 1000 per call`);
      }
      const backtest = await backtestMonitor(store, plan, { from, to });
      return {
        windows: backtest.windows.map((window) => ({
          window_end: window.end.toISOString(),
          status: window.status,
          fired: window.fired,
          checks: window.checks,
          ...(window.events !== undefined ? { events: window.events } : {}),
          ...(window.reason !== undefined ? { reason: window.reason } : {}),
        })),
        fired: backtest.fired.map((result) => checkResultToJson(result)),
        alerts: alertPlanToJson(backtest.alerts),
      };
    },
  );
};

const AlertPlanView = Type.Object(
  {
    routes: Type.Array(
      Type.Object({
        destination: Type.String(),
        channel: Type.String(),
        notifications: Type.Integer(),
        weeks: Type.Array(
          Type.Object({
            week: Type.String({ description: 'the Monday (UTC) the week starts, YYYY-MM-DD' }),
            notifications: Type.Integer(),
            alert_ids: Type.Array(Type.String()),
          }),
        ),
      }),
    ),
    alerts: Type.Array(
      Type.Object({
        alert_id: Type.String(),
        subject: Type.String({ description: 'check · feature · slice' }),
        severity: Type.String(),
        notices: Type.Record(Type.String(), Type.Integer()),
        first_window_end: Time,
      }),
    ),
  },
  {
    title: 'AlertPlan',
    description:
      'what each route would have been sent, week by week, had alerts been on over the range',
  },
);

const RunAlertingView = Type.Object(
  {
    taken: Type.String({ description: 'new, again, history_only, later or failed' }),
    newest_handled: Type.Union([Time, Type.Null()], {
      description: 'the newest window the alert stage had handled before this run',
    }),
    notifications: Type.Integer({ description: 'notifications this window put in the outbox' }),
    message: Type.String(),
  },
  { title: 'RunAlerting', description: 'what the alert stage did with the window' },
);

function runAlertingView(alerting: RunAlerting) {
  return {
    taken: alerting.taken,
    newest_handled: alerting.newestHandled?.toISOString() ?? null,
    notifications: alerting.notifications,
    message: describeRunAlerting(alerting),
  };
}

function summarise(plan: MonitorPlan, run: LatestRun | undefined) {
  return {
    model: plan.model,
    monitor: plan.monitor,
    monitor_hash: plan.hash,
    monitor_file: plan.source?.file ?? null,
    schedule: plan.schedule,
    window_seconds: Math.round(plan.windowMs / 1000),
    checks: plan.checks.length,
    status: run?.status ?? 'unknown',
    last_run: run
      ? {
          window_end: run.lastWindowEnd,
          finished_at: run.finishedAt,
          checks: run.checks,
          breaches: run.breaches,
          monitor_hash: run.monitorHash,
        }
      : null,
    runs: run?.runs ?? 0,
  };
}

/** A baseline version as the API shows it (the store gives its time as RFC 3339). */
function baselineView(record: BaselineRecord) {
  return {
    model: record.model,
    name: record.name,
    version: record.version,
    kind: record.kind,
    source: record.source,
    row_count: record.rowCount,
    created_at: record.createdAt,
    columns: record.columns.map((column) => ({ name: column.name, kind: column.kind })),
  };
}
