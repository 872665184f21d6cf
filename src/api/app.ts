import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { loadIngestConfig, type IngestConfig } from '../config/config.js';
import type { IngestMetrics } from '../ingest/metrics.js';
import { createEventWriter, type EventWriter } from '../ingest/writer.js';
import type { Logger } from '../observability/logger.js';
import type { MetricsRegistry } from '../observability/metrics.js';
import { createEventPipeline, pipelineOptions } from '../ingest/pipeline.js';
import type { MonitorPlan } from '../monitors/plan.js';
import type { Store } from '../store/clickhouse.js';
import { registerDeadLetterRoutes } from './routes/deadLetters.js';
import { registerEventRoutes } from './routes/events.js';
import { registerHistoryRoutes } from './routes/history.js';
import { registerOpsRoutes } from './routes/ops.js';

export interface AppDependencies {
  store: Store;
  metrics: IngestMetrics;
  /** The monitors the service runs, for the history routes. */
  monitors: () => readonly MonitorPlan[];
  /** Ingest limits and validation bounds; the defaults of loadIngestConfig when absent. */
  ingest?: IngestConfig;
  /** The process's one event writer (shared with the Kafka consumer); its own when absent. */
  writer?: EventWriter;
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
  const registry = deps.registry ?? deps.metrics.registry;
  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, _request, reply) => {
    const status = error.statusCode ?? 500;
    // 5xx details stay in the log; clients get a stable code.
    void reply.status(status).send({
      error: status >= 500 ? 'internal error' : error.message,
      code: status >= 500 ? 'DW_INTERNAL' : (error.code ?? 'DW_BAD_REQUEST'),
    });
  });
  const ingest = deps.ingest ?? loadIngestConfig({});
  registerEventRoutes(app, {
    prepareBatch: createEventPipeline(pipelineOptions(ingest)),
    writer:
      deps.writer ?? createEventWriter(deps.store, { metrics: deps.metrics, logger: deps.logger }),
    metrics: deps.metrics,
    limits: {
      maxBodyBytes: ingest.maxBodyBytes,
      maxEventBytes: ingest.maxEventBytes,
      deadLetterPayloadBytes: ingest.deadLetterPayloadBytes,
      concurrency: ingest.httpConcurrency,
    },
    logger: deps.logger,
  });
  registerDeadLetterRoutes(app, { store: deps.store });
  registerHistoryRoutes(app, { store: deps.store, monitors: deps.monitors });
  registerOpsRoutes(app, { store: deps.store, metrics: deps.metrics, registry });
  return app;
}
