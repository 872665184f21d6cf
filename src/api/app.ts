import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { IngestMetrics } from '../ingest/metrics.js';
import type { Logger } from '../observability/logger.js';
import { createMetricsRegistry, type MetricsRegistry } from '../observability/metrics.js';
import type { ReadinessCheck } from '../observability/readiness.js';
import { createEventPipeline } from '../ingest/pipeline.js';
import type { MonitorPlan } from '../monitors/plan.js';
import type { Store } from '../store/clickhouse.js';
import {
  DEFAULT_HTTP_LIMITS,
  httpServerTimeouts,
  observeRequests,
  requestId,
  type HttpLimits,
} from './requestObservability.js';
import { registerEventRoutes } from './routes/events.js';
import { registerHealthRoutes } from './routes/health.js';
import { registerHistoryRoutes } from './routes/history.js';
import { registerMonitorRunRoutes } from './routes/monitorRuns.js';
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
  /**
   * What /readyz checks besides the store: each stage that can be unready adds its own
   * (the Kafka consumer, for one) where the service is wired.
   */
  readiness?: readonly ReadinessCheck[];
  http?: Partial<HttpLimits>;
}

/** The HTTP face of driftwatch, built as a function so tests use inject() without a network. */
export function buildApp(deps: AppDependencies): FastifyInstance {
  const limits = { ...DEFAULT_HTTP_LIMITS, ...deps.http };
  const options = {
    bodyLimit: 64 * 1024 * 1024,
    requestTimeout: limits.requestTimeoutMs,
    // Node enforces these only when the server is built with them, and checks on an interval
    http: httpServerTimeouts(limits),
    genReqId: requestId,
  };
  const app = deps.logger
    ? Fastify({ ...options, loggerInstance: deps.logger as FastifyBaseLogger })
    : Fastify({ ...options, logger: false });
  const registry = deps.registry ?? createMetricsRegistry({ processMetrics: false });
  observeRequests(app, registry);
  // NDJSON bodies are read as text and split by the route, line by line.
  app.addContentTypeParser('application/x-ndjson', { parseAs: 'string' }, (_request, body, done) =>
    done(null, body),
  );
  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, request, reply) => {
    const status = error.statusCode ?? 500;
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    // 5xx details stay in the log; clients get a stable code.
    void reply.status(status).send({
      error: status >= 500 ? 'internal error' : error.message,
      code: status >= 500 ? 'DW_INTERNAL' : (error.code ?? 'DW_BAD_REQUEST'),
    });
  });
  const pipeline = createEventPipeline({ maxBytes: deps.maxEventBytes });
  registerEventRoutes(app, { store: deps.store, metrics: deps.metrics, routeBatch: pipeline });
  registerHistoryRoutes(app, { store: deps.store, monitors: deps.monitors });
  registerMonitorRunRoutes(app, { store: deps.store, monitors: deps.monitors });
  registerOpsRoutes(app, { store: deps.store, metrics: deps.metrics, registry });
  registerHealthRoutes(app, { store: deps.store, readiness: deps.readiness ?? [] });
  return app;
}
