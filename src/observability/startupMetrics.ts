import { Counter, Gauge, type Registry } from 'prom-client';

/**
 * Start-up on the service's registry, so /metrics says it while the service waits (the
 * start-up server serves the same registry as the app that replaces it): whether the
 * service is still starting, and how often its store refused or failed to answer.
 */
export interface StartupMetrics {
  /** A connection attempt to the store failed and will be retried. */
  storeAttemptFailed(): void;
  /** The service serves its real app: start-up is over. */
  started(): void;
}

export function createStartupMetrics(registry: Registry): StartupMetrics {
  const starting = new Gauge({
    name: 'driftwatch_starting',
    help: '1 while the service starts (waiting for its store, preparing monitors), 0 once it serves',
    registers: [registry],
  });
  const failedAttempts = new Counter({
    name: 'driftwatch_store_wait_failed_attempts_total',
    help: 'Connection attempts to the store that failed during start-up and were retried',
    registers: [registry],
  });
  starting.set(1);
  return {
    storeAttemptFailed: () => failedAttempts.inc(),
    started: () => starting.set(0),
  };
}
