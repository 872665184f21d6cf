import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { IngestMetrics } from '../../../ingest/metrics.js';
import type { MetricsRegistry } from '../../../observability/metrics.js';
import {
  readinessAnswer,
  runReadinessChecks,
  type ReadinessCheck,
} from '../../../observability/readiness.js';
import type { Store } from '../../../store/clickhouse.js';
import { countStored } from '../../../store/events.js';
import { IngestionStatus, Ok } from '../../schemas.js';

export interface OpsRouteOptions {
  store: Store;
  metrics: IngestMetrics;
  registry: MetricsRegistry;
  /** Read on each request: a stage started after listen (the Kafka consumer) can add its check. */
  readiness: readonly ReadinessCheck[];
}

const tags = ['operations'];

const ReadinessReport = Type.Object({
  status: Type.Union([Type.Literal('ready'), Type.Literal('degraded'), Type.Literal('not ready')]),
  checks: Type.Record(
    Type.String(),
    Type.Object({
      ok: Type.Boolean(),
      detail: Type.Optional(Type.String()),
      degraded: Type.Optional(Type.Boolean()),
    }),
  ),
});

/** Health, Prometheus metrics, what is stored, and the dead letters. */
export const opsRoutes: FastifyPluginAsyncTypebox<OpsRouteOptions> = async (app, options) => {
  const { store } = options;

  app.get(
    '/healthz',
    {
      config: { access: 'public' },
      schema: { summary: 'The process answers', tags, response: { 200: Ok } },
    },
    async () => ({ status: 'ok' as const }),
  );

  const storeAnswers: ReadinessCheck = {
    name: 'store',
    check: async () => {
      await store.query('SELECT 1');
      return { ok: true };
    },
  };
  app.get(
    '/readyz',
    {
      // Probes (kubelet, Docker's healthcheck, a load balancer) send no token; the answer
      // says only whether each stage is ready.
      config: { access: 'public' },
      schema: {
        summary: 'Ready to serve: the store answers and every stage reports ready (503 if not)',
        tags,
        response: {
          200: ReadinessReport,
          503: ReadinessReport,
        },
      },
    },
    async (_request, reply) => {
      const report = await runReadinessChecks([storeAnswers, ...options.readiness]);
      void reply.status(report.ready ? 200 : 503);
      return readinessAnswer(report);
    },
  );

  app.get(
    '/metrics',
    {
      config: { access: 'metrics' },
      schema: {
        summary: 'Prometheus metrics: ingestion, the process, and the latest drift per model',
        tags,
        // The text format on success; errors are JSON, like every other route's.
        response: {
          200: {
            description: 'the Prometheus text exposition format',
            content: { 'text/plain; version=0.0.4': { schema: Type.String() } },
          },
        },
      },
    },
    async (_request, reply) => {
      void reply.type(options.registry.contentType);
      // Ingest's metrics live on the service's registry; a bare app (tests) has them apart.
      const ingest = options.metrics.registry;
      return (
        (await options.registry.metrics()) +
        (ingest === options.registry ? '' : await ingest.metrics())
      );
    },
  );

  app.get(
    '/v1/status',
    {
      config: { access: 'read' },
      schema: {
        summary: 'Events stored per kind (after deduplication) and dead letters',
        tags,
        response: {
          200: Type.Object({
            events: Type.Object({
              predictions: Type.Integer(),
              features: Type.Integer(),
              labels: Type.Integer(),
            }),
            dead_letters: Type.Integer(),
          }),
        },
      },
    },
    async () => countStored(store),
  );

  app.get(
    '/v1/ingestion',
    {
      config: { access: 'read' },
      schema: {
        summary: 'Ingestion status: what is stored and what this process ingested since it started',
        tags,
        response: { 200: IngestionStatus },
      },
    },
    async () => {
      const counts = await countStored(store);
      const snapshot = options.metrics.snapshot();
      return {
        stored: { ...counts.events, dead_letters: counts.dead_letters },
        since_start: {
          events: snapshot.events,
          bytes: snapshot.bytes,
          bad_messages: snapshot.bad_messages,
          insert_failures: snapshot.insert_failures,
          batches: snapshot.batches,
        },
      };
    },
  );
};
