import type { FastifyInstance } from 'fastify';
import { toPrometheus, type IngestMetrics } from '../../ingest/metrics.js';
import type { MetricsRegistry } from '../../observability/metrics.js';
import type { Store } from '../../store/clickhouse.js';
import { countStored, listDeadLetters } from '../../store/events.js';

export function registerOpsRoutes(
  app: FastifyInstance,
  deps: { store: Store; metrics: IngestMetrics; registry: MetricsRegistry },
): void {
  app.get('/metrics', async (_request, reply) => {
    void reply.type(deps.registry.contentType);
    return toPrometheus(deps.metrics.snapshot()) + (await deps.registry.metrics());
  });
  app.get('/v1/status', async () => countStored(deps.store));
  app.get<{ Querystring: { limit?: number } }>(
    '/v1/dead-letters',
    {
      schema: {
        querystring: {
          type: 'object',
          properties: { limit: { type: 'integer', minimum: 1, maximum: 10000 } },
        },
      },
    },
    async (request) => listDeadLetters(deps.store, request.query.limit ?? 100),
  );
}
