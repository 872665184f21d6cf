import { Registry, collectDefaultMetrics } from 'prom-client';

/**
 * One Prometheus registry per service instance. Every stage registers its own counters
 * and gauges here (prefixed `driftwatch_`), and GET /metrics renders it: failures are
 * seen wherever they happen. A registry per instance (not prom-client's global one)
 * keeps tests and several services in one process apart.
 */
export type MetricsRegistry = Registry;

export function createMetricsRegistry(options: { processMetrics?: boolean } = {}): Registry {
  const registry = new Registry();
  if (options.processMetrics ?? true)
    collectDefaultMetrics({ register: registry, prefix: 'driftwatch_' });
  return registry;
}
