import { Counter, Gauge } from 'prom-client';
import type { MetricsRegistry } from '../observability/metrics.js';
import type { Store } from '../store/clickhouse.js';
import { countOutboxByStatus, type DeliveryStatus, type OutboxChannel } from '../store/outbox.js';

/**
 * The alert stage's counters on the service's registry. The notification gauge is read from
 * the outbox at scrape time, so dead notifications stay visible across restarts until
 * someone looks at them (`driftwatch alerts --dead`).
 */
export interface AlertMetrics {
  attempt(channel: OutboxChannel, outcome: 'delivered' | 'retry' | 'dead'): void;
  enqueued(channel: OutboxChannel, count: number): void;
  stageFailure(): void;
}

export function createAlertMetrics(registry: MetricsRegistry, store: Store): AlertMetrics {
  const attempts = new Counter({
    name: 'driftwatch_alert_delivery_attempts_total',
    help: 'Notification delivery attempts by channel and outcome (delivered, retry, dead)',
    labelNames: ['channel', 'outcome'] as const,
    registers: [registry],
  });
  const enqueued = new Counter({
    name: 'driftwatch_alert_notifications_enqueued_total',
    help: 'Notifications written to the outbox by this process, by channel',
    labelNames: ['channel'] as const,
    registers: [registry],
  });
  const failures = new Counter({
    name: 'driftwatch_alert_stage_failures_total',
    help: 'Runs the alert stage could not process (retried from the stored verdicts on the next run)',
    registers: [registry],
  });
  let last: Record<DeliveryStatus, number> | null = null;
  new Gauge({
    name: 'driftwatch_alert_notifications',
    help: 'Notifications in the outbox by delivery status (pending, retrying, delivered, dead)',
    labelNames: ['status'] as const,
    registers: [registry],
    async collect() {
      try {
        last = await countOutboxByStatus(store);
      } catch {
        // The store is briefly unreachable: the previous figures stand.
      }
      if (!last) return;
      for (const [status, n] of Object.entries(last)) this.set({ status }, n);
    },
  });
  return {
    attempt: (channel, outcome) => attempts.inc({ channel, outcome }),
    enqueued: (channel, count) => enqueued.inc({ channel }, count),
    stageFailure: () => failures.inc(),
  };
}
