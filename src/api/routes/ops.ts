import type { FastifyInstance } from 'fastify';
import type { IngestMetrics } from '../../ingest/metrics.js';
import type { MetricsRegistry } from '../../observability/metrics.js';
import type { Store } from '../../store/clickhouse.js';
import { countStored } from '../../store/events.js';

export function registerOpsRoutes(
  app: FastifyInstance,
  deps: { store: Store; metrics: IngestMetrics; registry: MetricsRegistry },
): void {
  app.get('/healthz', async () => {
    await deps.store.query('SELECT 1');
    return { status: 'ok' };
  });
  app.get('/metrics', async (_request, reply) => {
    void reply.type(deps.registry.contentType);
    const ingest = deps.metrics.registry;
    return (
      (await deps.registry.metrics()) + (ingest === deps.registry ? '' : await ingest.metrics())
    );
  });
  app.get('/v1/status', async () => countStored(deps.store));
}
