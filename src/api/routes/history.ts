import type { FastifyInstance } from 'fastify';
import type { MonitorPlan } from '../../monitors/plan.js';
import type { Store } from '../../store/clickhouse.js';
import { listMonitorRuns, queryHistory } from '../../store/results.js';

interface HistoryQuery {
  feature?: string;
  slice?: string;
  metric?: string;
  breaches?: boolean;
  limit?: number;
}

/** The drift history over HTTP: what the monitors found, per model, newest first. */
export function registerHistoryRoutes(
  app: FastifyInstance,
  deps: { store: Store; monitors: () => readonly MonitorPlan[] },
): void {
  app.get('/v1/monitors', async () =>
    deps.monitors().map((plan) => ({
      model: plan.model,
      schedule: plan.schedule,
      window_ms: plan.windowMs,
      checks: plan.checks.length,
      hash: plan.hash,
    })),
  );
  app.get<{ Params: { model: string }; Querystring: HistoryQuery }>(
    '/v1/monitors/:model/history',
    {
      schema: {
        querystring: {
          type: 'object',
          properties: {
            feature: { type: 'string' },
            slice: { type: 'string' },
            metric: { type: 'string' },
            breaches: { type: 'boolean' },
            limit: { type: 'integer', minimum: 1, maximum: 100000 },
          },
        },
      },
    },
    async (request) =>
      queryHistory(deps.store, {
        model: request.params.model,
        feature: request.query.feature,
        slice: request.query.slice,
        metric: request.query.metric,
        onlyBreaches: request.query.breaches,
        limit: request.query.limit ?? 500,
      }),
  );
  app.get<{ Params: { model: string } }>('/v1/monitors/:model/runs', async (request) =>
    listMonitorRuns(deps.store, request.params.model),
  );
}
