import { Gauge } from 'prom-client';
import type { MetricsRegistry } from '../observability/metrics.js';
import type { ReadinessCheck } from '../observability/readiness.js';

/**
 * Which monitors cannot run, and why: a file refused at start, a baseline that does not
 * load, a run that fails. Before this, such a monitor was one log line at start while
 * /readyz said ready. Now /readyz's `monitors` check names them (status `degraded`: the
 * others run, so probes still pass) and /metrics counts them
 * (`driftwatch_monitor_failing{monitor}`, `driftwatch_monitor_files_refused`). A monitor
 * that runs again is cleared.
 */
export interface MonitorHealth {
  /** A monitor file the service refused to load, with its first error. */
  refused(file: string, reason: string): void;
  /** A monitor that could not be prepared or run. */
  failed(monitor: string, reason: string): void;
  /** A monitor that was prepared or ran: what failed before is over. */
  succeeded(monitor: string): void;
  readiness: ReadinessCheck;
}

/** Named in /readyz at most, each reason cut to this length. */
const LISTED = 5;
const REASON_CHARS = 300;

export function createMonitorHealth(registry: MetricsRegistry): MonitorHealth {
  const failing = new Map<string, string>();
  const refused = new Map<string, string>();
  const failingGauge = new Gauge({
    name: 'driftwatch_monitor_failing',
    help: 'Whether a monitor cannot run (1) or runs (0): its baseline does not load, or its last run failed',
    labelNames: ['monitor'],
    registers: [registry],
  });
  const refusedGauge = new Gauge({
    name: 'driftwatch_monitor_files_refused',
    help: 'Monitor files refused when the service started (see driftwatch validate)',
    registers: [registry],
  });
  refusedGauge.set(0);
  const cut = (text: string) =>
    text.length > REASON_CHARS ? `${text.slice(0, REASON_CHARS)}…` : text;
  return {
    refused(file, reason) {
      if (!refused.has(file)) refused.set(file, cut(reason));
      refusedGauge.set(refused.size);
    },
    failed(monitor, reason) {
      failing.set(monitor, cut(reason));
      failingGauge.set({ monitor }, 1);
    },
    succeeded(monitor) {
      failing.delete(monitor);
      failingGauge.set({ monitor }, 0);
    },
    readiness: {
      name: 'monitors',
      check: async () => {
        if (failing.size === 0 && refused.size === 0) return { ok: true };
        const problems = [
          ...[...failing].map(([monitor, reason]) => `monitor ${monitor} cannot run: ${reason}`),
          ...[...refused].map(([file, reason]) => `monitor file ${file} refused: ${reason}`),
        ];
        const more = problems.length > LISTED ? `; and ${problems.length - LISTED} more` : '';
        return {
          ok: true,
          degraded: true,
          detail: `${problems.slice(0, LISTED).join('; ')}${more}`,
        };
      },
    },
  };
}
