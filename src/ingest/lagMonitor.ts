import { errorMessage } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import {
  createConsumerProgress,
  type PartitionOffsets,
  type ProgressReport,
} from './consumerProgress.js';
import type { IngestMetrics } from './metrics.js';

/** Reads, from the brokers, every partition's watermarks and the group's committed offsets. */
export interface GroupOffsetsReader {
  read(): Promise<PartitionOffsets[]>;
  close(): Promise<void>;
}

export interface LagMonitor {
  /** Reads at once, then every interval, until stopped. */
  start(): void;
  stop(): Promise<void>;
  /** One read now (what the timer does). */
  check(): Promise<void>;
  /** All partitions, or those `holds` keeps (one consumer's assignment). */
  report(holds?: (topic: string, partition: number) => boolean): ProgressReport;
}

export interface LagMonitorOptions {
  stallAfterMs: number;
  /** Between reads; default a quarter of the stall time, at most 5 s. */
  intervalMs?: number;
  metrics: IngestMetrics;
  logger?: Logger;
  log?: (line: string) => void;
  now?: () => number;
}

/** The longest a stop waits for the reader to close (a read in flight against a silent broker). */
const CLOSE_WAIT_MS = 2_000;

/** Between two reads: a quarter of the stall time, at most 5 s. */
export function defaultLagIntervalMs(stallAfterMs: number): number {
  return Math.min(5_000, Math.max(100, stallAfterMs / 4));
}

/**
 * The consumer group's lag and stalls, on a timer of its own and from a client of its own:
 * it goes on while the consumer crashes, restarts, rejoins or never connects, so a group
 * that makes no progress shows growing lag and `stalled` whatever state its consumers are in.
 * Every partition of the group's topics is reported (the group's lag, the same from each of
 * its processes); when the brokers cannot be read, the last figures stay and age — a stall
 * is then reported once the stall time passes without progress.
 */
export function createLagMonitor(
  reader: GroupOffsetsReader,
  options: LagMonitorOptions,
): LagMonitor {
  const { metrics, logger } = options;
  const notice = options.log ?? (() => undefined);
  const now = options.now ?? Date.now;
  const progress = createConsumerProgress({ stallAfterMs: options.stallAfterMs, now });
  const intervalMs = options.intervalMs ?? defaultLagIntervalMs(options.stallAfterMs);
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> | undefined;
  let stalled = false;
  let failing = false;
  let stopped = false;

  async function read(): Promise<void> {
    try {
      const offsets = await reader.read();
      if (stopped) return;
      const { gone } = progress.observe(offsets);
      for (const [topic, partition] of gone) metrics.forgetPartition(topic, partition);
      metrics.recordLagRead({ ok: true, atMs: now() });
      if (failing) {
        failing = false;
        logger?.info('the lag monitor reads the brokers again');
      }
    } catch (error) {
      if (stopped) return;
      metrics.recordLagRead({ ok: false });
      if (!failing) {
        failing = true;
        const line = `cannot read the group's committed offsets and the partitions' watermarks: ${errorMessage(error)}; lag shows the last figures read`;
        logger?.warn({ err: errorMessage(error) }, line);
        notice(line);
      }
    }
    publish();
  }

  function publish(): void {
    const report = progress.report();
    for (const partition of report.partitions) {
      metrics.recordPartition({
        topic: partition.topic,
        partition: partition.partition,
        lag: partition.lag,
        committedOffset: partition.committed,
        lastProgressMs: partition.lastProgressMs,
      });
    }
    metrics.setConsumerStalled(report.stalled);
    if (report.stalled === stalled) return;
    stalled = report.stalled;
    const line = stalled ? `stalled: ${describeStall(report, now())}` : 'making progress again';
    if (stalled) logger?.error({ partitions: report.partitions.filter((p) => p.stalled) }, line);
    else logger?.info(line);
    notice(line);
  }

  const check = (): Promise<void> => {
    inFlight ??= read().finally(() => (inFlight = undefined));
    return inFlight;
  };

  return {
    start() {
      if (timer || stopped) return;
      void check();
      timer = setInterval(() => void check(), intervalMs);
      timer.unref();
    },
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      timer = undefined;
      // Closing the client ends a read in flight; a broker that never answers is not waited for.
      await Promise.race([reader.close().catch(() => undefined), sleep(CLOSE_WAIT_MS)]);
    },
    check,
    report: (holds) => progress.report(holds),
  };
}

/** "predictions/3 lag 1200, no progress for 75 s; ..." — the first five stalled partitions. */
export function describeStall(report: ProgressReport, atMs: number): string {
  const stuck = report.partitions.filter((p) => p.stalled);
  const parts = stuck
    .slice(0, 5)
    .map(
      (p) =>
        `${p.topic}/${p.partition} lag ${p.lag}, no progress for ${Math.round((atMs - p.lastProgressMs) / 1000)} s`,
    );
  const more = stuck.length > 5 ? ` and ${stuck.length - 5} more` : '';
  return `${parts.join('; ')}${more}`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
