import { errorMessage } from '../errors.js';
import type { ReadinessCheck } from '../observability/readiness.js';
import { probeBrokers } from './brokerProbe.js';
import { within } from './deadline.js';
import type { KafkaIngest } from './kafkaConsumer.js';
import type { LagMonitor } from './lagMonitor.js';

export interface KafkaSupervisor {
  /** True once the consumer has joined its group. */
  connected(): boolean;
  /** Ready to ingest: connected, running, and not stalled (no progress while lag grows). */
  health(): { ok: boolean; detail?: string };
  /** Resolves when the consumer has started (never, if stopped first). */
  readonly started: Promise<void>;
  /**
   * Stops trying, or stops the consumer (finishing the batch in hand), within the grace
   * whatever the state: running, starting, being replaced, or waiting for a broker.
   */
  stop(): Promise<void>;
}

export interface KafkaSupervisorOptions {
  brokers: readonly string[];
  log: (line: string) => void;
  /** Between attempts while no broker answers. */
  retryMs?: number;
  /** How long a TCP connection to a broker may take to open. */
  probeTimeoutMs?: number;
  /**
   * The group's lag monitor: started now, kept across the consumers this starts (so lag and
   * stalls are reported while a consumer crashes and is replaced), stopped with it.
   */
  lag?: LagMonitor;
  /** A stop ends within this (default 10 s); give each consumer the same stop grace. */
  stopGraceMs?: number;
}

/** The consumer's share of the process's stop grace: all but 5 s (closing the rest), ≥ 1 s. */
export function consumerStopGraceMs(processGraceMs: number): number {
  return Math.max(1_000, processGraceMs - 5_000);
}

/**
 * Starts the Kafka consumer without holding up the caller (the service's HTTP side, the
 * scheduler): says within seconds when no broker answers, and keeps trying in the
 * background. kafkajs itself retries an unreachable cluster silently for about half a
 * minute and cannot be interrupted meanwhile, so it is started only once a bootstrap broker
 * accepts a TCP connection. When kafkajs gives up on a running consumer (an error it does
 * not retry), that consumer is stopped — its batches in hand written, uncommitted ones
 * redelivered — and a new one is started the same way, instead of the process living on
 * without consuming. A stop ends within its grace in any of these states; what is not
 * committed by then is redelivered to the next owner.
 */
export function superviseKafkaIngest(
  createIngest: () => KafkaIngest,
  options: KafkaSupervisorOptions,
): KafkaSupervisor {
  const retryMs = options.retryMs ?? 5000;
  const stopGraceMs = options.stopGraceMs ?? 10_000;
  let stopped = false;
  let wake: () => void = () => undefined;
  let current: KafkaIngest | undefined;
  let isConnected = false;
  /** Why the consumer is being replaced, while it is. */
  let replacing: string | undefined;
  /** The start in progress: the first, or one replacing a consumer kafkajs gave up on. */
  let running: Promise<void> = Promise.resolve();
  const pause = () =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, retryMs);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  async function run(): Promise<void> {
    let silentSince: number | null = null;
    while (!stopped) {
      const answers = await probeBrokers(options.brokers, options.probeTimeoutMs ?? 3000);
      if (stopped) return;
      if (answers.every((answer) => answer.error !== null)) {
        // say it at once, then once a minute while it lasts
        if (silentSince === null || Date.now() - silentSince >= 60_000) {
          options.log(
            `no Kafka broker answers at ${answers.map((a) => `${a.broker} (${a.error})`).join(', ')}; ` +
              `trying again every ${retryMs / 1000} s in the background`,
          );
          silentSince = Date.now();
        }
        await pause();
        continue;
      }
      const ingest = createIngest();
      current = ingest;
      ingest.consumer.on(ingest.consumer.events.CRASH, (event) => {
        if (event.payload.restart || stopped || current !== ingest) return;
        running = replace(ingest, errorMessage(event.payload.error));
      });
      try {
        await ingest.start();
        isConnected = true;
        return;
      } catch (error) {
        if (stopped) return; // the stop ended this start
        options.log(
          `cannot start the Kafka consumer: ${errorMessage(error)}; retrying in ${retryMs / 1000} s`,
        );
        await current.stop().catch(() => undefined);
        current = undefined;
        await pause();
      }
    }
  }

  async function replace(crashed: KafkaIngest, reason: string): Promise<void> {
    replacing = `the Kafka consumer stopped: ${reason}; starting a new one`;
    options.log(`${replacing} in ${retryMs / 1000} s`);
    isConnected = false;
    await crashed.stop().catch(() => undefined);
    if (current === crashed) current = undefined;
    if (stopped) return;
    await pause();
    if (stopped) return;
    await run();
    replacing = undefined;
  }

  options.lag?.start();
  const started = run();
  running = started;
  return {
    connected: () => isConnected,
    health: () =>
      isConnected && current
        ? current.health()
        : { ok: false, detail: replacing ?? 'not connected to Kafka yet' },
    started: started.then(() => (stopped ? new Promise<void>(() => undefined) : undefined)),
    async stop() {
      stopped = true;
      wake();
      const deadline = Date.now() + stopGraceMs;
      const lagStopped = options.lag?.stop();
      // The consumer in hand — running, or still joining its group — stops first: a start
      // in progress then fails at once instead of being waited for.
      await within(current?.stop() ?? Promise.resolve(), deadline);
      await within(Promise.all([started, running]), deadline);
      await within(current?.stop() ?? Promise.resolve(), deadline);
      await lagStopped;
    },
  };
}

/** The consumer's readiness for /readyz: not ready while unconnected, crashed or stalled. */
export function kafkaReadiness(kafka: KafkaSupervisor): ReadinessCheck {
  return { name: 'kafka', check: async () => kafka.health() };
}
