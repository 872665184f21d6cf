import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { IngestMetrics } from '../ingest/metrics.js';
import type { Logger } from '../observability/logger.js';
import { createMetricsRegistry, type MetricsRegistry } from '../observability/metrics.js';
import { createEventPipeline } from '../ingest/pipeline.js';
import type { MonitorPlan } from '../monitors/plan.js';
import type { Store } from '../store/clickhouse.js';
import { registerEventRoutes } from './routes/events.js';
import { registerHistoryRoutes } from './routes/history.js';
import { registerOpsRoutes } from './routes/ops.js';

export interface AppDependencies {
  store: Store;
  metrics: IngestMetrics;
  /** The monitors the service runs, for the history routes. */
  monitors: () => readonly MonitorPlan[];
  maxEventBytes?: number;
  /** Request logs (with request ids) go here; none when absent. */
  logger?: Logger;
  /** Every stage's Prometheus metrics, rendered at /metrics. */
  registry?: MetricsRegistry;
}

/** The HTTP face of driftwatch, built as a function so tests use inject() without a network. */
export function buildApp(deps: AppDependencies): FastifyInstance {
  const app = deps.logger
    ? Fastify({ loggerInstance: deps.logger as FastifyBaseLogger, bodyLimit: 64 * 1024 * 1024 })
    : Fastify({ logger: false, bodyLimit: 64 * 1024 * 1024 });
  const registry = deps.registry ?? createMetricsRegistry({ processMetrics: false });
  // NDJSON bodies are read as text and split by the route, line by line.
  app.addContentTypeParser('application/x-ndjson', { parseAs: 'string' }, (_request, body, done) =>
    done(null, body),
  );
  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, _request, reply) => {
    const status = error.statusCode ?? 500;
    // 5xx details stay in the log; clients get a stable code.
    void reply.status(status).send({
      error: status >= 500 ? 'internal error' : error.message,
      code: status >= 500 ? 'DW_INTERNAL' : (error.code ?? 'DW_BAD_REQUEST'),
    });
  });
  const pipeline = createEventPipeline({ maxBytes: deps.maxEventBytes });
  registerEventRoutes(app, { store: deps.store, metrics: deps.metrics, routeBatch: pipeline });
  registerHistoryRoutes(app, { store: deps.store, monitors: deps.monitors });
  registerOpsRoutes(app, { store: deps.store, metrics: deps.metrics, registry });
  return app;
}
