import { errorMessage } from '../errors.js';
import { probeBrokers } from './brokerProbe.js';
import type { KafkaIngest } from './kafkaConsumer.js';
import type { ReadinessCheck } from '../observability/readiness.js';

export interface KafkaSupervisor {
  /** True once the consumer has joined its group. */
  connected(): boolean;
  /** Ready to ingest: connected, running, and not stalled (no progress while lag grows). */
  health(): { ok: boolean; detail?: string };
  /** Resolves when the consumer has started (never, if stopped first). */
  readonly started: Promise<void>;
  /** Stops trying, or stops the consumer (finishing the batch in hand). */
  stop(): Promise<void>;
}

export interface KafkaSupervisorOptions {
  brokers: readonly string[];
  log: (line: string) => void;
  /** Between attempts while no broker answers. */
  retryMs?: number;
  /** How long a TCP connection to a broker may take to open. */
  probeTimeoutMs?: number;
}

/**
 * Starts the Kafka consumer without holding up the caller (the service's HTTP side, the
 * scheduler): says within seconds when no broker answers, and keeps trying in the
 * background. kafkajs itself retries an unreachable cluster silently for about half a
 * minute and cannot be interrupted meanwhile, so it is started only once a bootstrap broker
 * accepts a TCP connection. When kafkajs gives up on a running consumer (an error it does
 * not retry), that consumer is stopped — its batches in hand written, uncommitted ones
 * redelivered — and a new one is started the same way, instead of the process living on
 * without consuming.
 */
export function superviseKafkaIngest(
  createIngest: () => KafkaIngest,
  options: KafkaSupervisorOptions,
): KafkaSupervisor {
  const retryMs = options.retryMs ?? 5000;
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
      await started.catch(() => undefined);
      await running.catch(() => undefined);
      await current?.stop();
    },
  };
}

/** The consumer's readiness for /readyz: not ready while unconnected, crashed or stalled. */
export function kafkaReadiness(kafka: KafkaSupervisor): ReadinessCheck {
  return { name: 'kafka', check: async () => kafka.health() };
}
