import type { FastifyInstance, FastifyReply } from 'fastify';
import { backtestMonitor, invalidTimeRange } from '../../monitors/backtest.js';
import { evaluateMonitorWindow } from '../../monitors/evaluateWindow.js';
import type { MonitorPlan } from '../../monitors/plan.js';
import { truncateToMinute, windowEndingAt } from '../../monitors/windows.js';
import type { Store } from '../../store/clickhouse.js';

/**
 * Runs and backtests on demand: what `driftwatch run` and `driftwatch backtest` ask a
 * running service for while it holds the embedded store.
 */
export function registerMonitorRunRoutes(
  app: FastifyInstance,
  deps: { store: Store; monitors: () => readonly MonitorPlan[] },
): void {
  const findPlan = (model: string, reply: FastifyReply): MonitorPlan | undefined => {
    const plans = deps.monitors();
    const plan = plans.find((p) => p.model === model);
    if (!plan) {
      void reply.status(404).send({
        error: `no monitor for model "${model}" (monitors: ${plans.map((p) => p.model).join(', ') || 'none'})`,
        code: 'DW_NOT_FOUND',
      });
    }
    return plan;
  };
  const badRequest = (reply: FastifyReply, error: string) =>
    reply.status(400).send({ error, code: 'DW_BAD_REQUEST' });

  app.post<{ Params: { model: string }; Body: { window_end?: string } }>(
    '/v1/monitors/:model/run',
    {
      schema: {
        body: {
          type: 'object',
          properties: { window_end: { type: 'string', format: 'date-time' } },
          additionalProperties: false,
        },
      },
    },
    async (request, reply) => {
      const plan = findPlan(request.params.model, reply);
      if (!plan) return reply;
      const end = request.body?.window_end
        ? new Date(request.body.window_end)
        : truncateToMinute(new Date());
      if (Number.isNaN(end.getTime())) return badRequest(reply, 'window_end: not a time');
      return evaluateMonitorWindow(deps.store, plan, windowEndingAt(end, plan.windowMs));
    },
  );

  app.post<{ Params: { model: string }; Body: { from: string; to: string } }>(
    '/v1/monitors/:model/backtest',
    {
      schema: {
        body: {
          type: 'object',
          required: ['from', 'to'],
          properties: {
            from: { type: 'string', format: 'date-time' },
            to: { type: 'string', format: 'date-time' },
          },
          additionalProperties: false,
        },
      },
    },
    async (request, reply) => {
      const plan = findPlan(request.params.model, reply);
      if (!plan) return reply;
      const range = { from: new Date(request.body.from), to: new Date(request.body.to) };
      const invalid = invalidTimeRange(range.from, range.to);
      if (invalid) return badRequest(reply, invalid.replace(/--/g, ''));
      return backtestMonitor(deps.store, plan, range);
    },
  );
}
