import type { FastifyInstance } from 'fastify';
import { runReadinessChecks, type ReadinessCheck } from '../../observability/readiness.js';
import type { Store } from '../../store/clickhouse.js';

/**
 * Liveness (the process answers; no dependency is asked) and readiness (the store and every
 * check the stages added answer). `readiness` is read on each request, so a stage started
 * after the HTTP server (the Kafka consumer) can add its check later.
 */
export function registerHealthRoutes(
  app: FastifyInstance,
  deps: { store: Store; readiness: readonly ReadinessCheck[] },
): void {
  const store: ReadinessCheck = {
    name: 'store',
    check: async () => {
      await deps.store.query('SELECT 1');
      return { ok: true };
    },
  };
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const report = await runReadinessChecks([store, ...deps.readiness]);
    void reply.status(report.ready ? 200 : 503);
    return { status: report.ready ? 'ready' : 'not ready', checks: report.checks };
  });
}
