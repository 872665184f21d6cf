/**
 * Once a long-running command (`serve`, `ingest`) begins to stop, the process ends within
 * `graceMs`, whatever still holds it (a broker that never answers, a request that never
 * ends): orchestrators send SIGKILL after their own grace, and a process that lingers after
 * saying it stopped misleads. The stages bound their own stops within it; this is the
 * backstop. What the Kafka consumer did not commit is redelivered to the next owner.
 */
export function exitWithinGrace(graceMs: number, log: (line: string) => void): void {
  const timer = setTimeout(() => {
    log(
      `still stopping after ${graceMs / 1000} s (DRIFTWATCH_STOP_GRACE_SECONDS): exiting now; what the Kafka consumer did not commit is redelivered`,
    );
    process.exit(1);
  }, graceMs);
  timer.unref();
}
