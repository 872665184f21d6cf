/**
 * Readiness: can this process do its work now? `/healthz` says only that the process
 * answers (a liveness probe restarts a process, so it must not depend on the store);
 * `/readyz` runs every readiness check (a readiness probe takes the process out of a load
 * balancer while one fails). Each stage that can be unready adds a check where the service
 * is wired (src/main.ts): the store is one, the Kafka consumer another.
 */
export interface ReadinessCheck {
  /** Short and stable: it names the check in /readyz's answer. */
  name: string;
  check(): Promise<ReadinessResult>;
}

export interface ReadinessResult {
  ok: boolean;
  /** Why not, for an operator. */
  detail?: string;
  /**
   * Ready, but part of the work cannot be done (a monitor whose baseline does not load):
   * said in the answer (`status: degraded`), while probes still get 200, so one team's broken
   * monitor does not take everyone's ingest out of the load balancer.
   */
  degraded?: boolean;
}

export interface ReadinessReport {
  ready: boolean;
  checks: Record<string, ReadinessResult>;
}

/** Runs every check at once; one that throws or outlasts `timeoutMs` counts as not ready. */
export async function runReadinessChecks(
  checks: readonly ReadinessCheck[],
  timeoutMs = 2000,
): Promise<ReadinessReport> {
  const results = await Promise.all(
    checks.map(async (readiness): Promise<[string, ReadinessResult]> => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<ReadinessResult>((resolve) => {
        timer = setTimeout(
          () => resolve({ ok: false, detail: `no answer within ${timeoutMs} ms` }),
          timeoutMs,
        );
      });
      try {
        const result = await Promise.race([readiness.check(), timeout]);
        return [readiness.name, result];
      } catch (error) {
        return [readiness.name, { ok: false, detail: (error as Error).message }];
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  return { ready: results.every(([, result]) => result.ok), checks: Object.fromEntries(results) };
}

/** /readyz's answer to a report: one shape from the running app and the start-up server. */
export function readinessAnswer(report: ReadinessReport): {
  status: 'ready' | 'degraded' | 'not ready';
  checks: Record<string, ReadinessResult>;
} {
  const degraded = Object.values(report.checks).some((check) => check.degraded === true);
  return {
    status: !report.ready ? 'not ready' : degraded ? 'degraded' : 'ready',
    checks: report.checks,
  };
}
