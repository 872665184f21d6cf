import { Registry, collectDefaultMetrics } from 'prom-client';

/**
 * One Prometheus registry per service instance. Every stage registers its own counters
 * and gauges here (prefixed `driftwatch_`), and GET /metrics renders it: failures are
 * seen wherever they happen. A registry per instance (not prom-client's global one)
 * keeps tests and several services in one process apart.
 */
export type MetricsRegistry = Registry;

const PREFIX = 'driftwatch_';

/**
 * prom-client's process metrics include three gauges named like counters
 * (`nodejs_active_handles_total`, `_requests_total`, `_resources_total`), which
 * `promtool check metrics` refuses. Each is the sum over `type` of the gauge of the same
 * name without `_total`, which stays: `sum(driftwatch_nodejs_active_handles)` is the total.
 */
const MISNAMED_PROCESS_GAUGES = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

export function createMetricsRegistry(options: { processMetrics?: boolean } = {}): Registry {
  const registry = new Registry();
  if (options.processMetrics ?? true) {
    collectDefaultMetrics({ register: registry, prefix: PREFIX });
    for (const name of MISNAMED_PROCESS_GAUGES) registry.removeSingleMetric(PREFIX + name);
  }
  return registry;
}

/**
 * `create` made once per registry: a stage's metrics are registered once however many of it
 * a process (or a test) builds on one registry; prom-client refuses a name registered twice.
 */
export function oncePerRegistry<T>(create: (registry: Registry) => T): (registry: Registry) => T {
  const made = new WeakMap<Registry, T>();
  return (registry) => {
    let metrics = made.get(registry);
    if (metrics === undefined) made.set(registry, (metrics = create(registry)));
    return metrics;
  };
}
