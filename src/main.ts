import type { FastifyInstance } from 'fastify';
import { buildApp } from './api/app.js';
import type { Config } from './config/config.js';
import { createKafkaIngest, type KafkaIngest } from './ingest/kafkaConsumer.js';
import { createIngestMetrics, type IngestMetrics } from './ingest/metrics.js';
import { prepareMonitor, type WindowEvaluation } from './monitors/evaluateWindow.js';
import { truncateToMinute, windowEndingAt } from './monitors/windows.js';
import {
  formatMonitorError,
  loadMonitorDirectory,
  type MonitorFileError,
} from './monitors/monitorFile.js';
import type { MonitorPlan } from './monitors/plan.js';
import { createLogger, type Logger } from './observability/logger.js';
import { createMetricsRegistry, type MetricsRegistry } from './observability/metrics.js';
import { createMonitorScheduler, type MonitorScheduler } from './monitors/scheduler.js';
import { openStore, type Store } from './store/clickhouse.js';
import { migrate } from './store/migrate.js';

/** The composition root: every stage of the flow wired together, and nothing else. */
export interface ServiceOptions {
  kafka: boolean;
  http: boolean;
  schedule: boolean;
  log: (line: string) => void;
  /** Structured logs (JSON lines on stderr by default). */
  logger?: Logger;
  onEvaluation?: (evaluation: WindowEvaluation) => void | Promise<void>;
}

export interface Service {
  store: Store;
  app: FastifyInstance;
  metrics: IngestMetrics;
  registry: MetricsRegistry;
  logger: Logger;
  plans: MonitorPlan[];
  monitorErrors: MonitorFileError[];
  scheduler: MonitorScheduler;
  address: string | null;
  stop(): Promise<void>;
}

export async function startService(config: Config, options: ServiceOptions): Promise<Service> {
  const store = await openStore(config.store);
  await migrate(store);
  const { plans, errors } = loadMonitorDirectory(config.monitorsDir);
  // An invalid monitor file is refused; the others keep running.
  for (const error of errors) options.log(`monitor refused: ${formatMonitorError(error)}`);
  const metrics = createIngestMetrics();
  const registry = createMetricsRegistry();
  const logger = options.logger ?? createLogger();
  const app = buildApp({ store, metrics, registry, logger, monitors: () => plans });
  const address = options.http
    ? await app.listen({ host: config.http.host, port: config.http.port })
    : null;
  let kafka: KafkaIngest | undefined;
  if (options.kafka) {
    kafka = createKafkaIngest(store, metrics, { ...config.kafka, log: options.log });
    await kafka.start();
  }
  // Frames and score thresholds exist before events arrive, so they are summarized in them.
  for (const plan of plans) {
    try {
      await prepareMonitor(
        store,
        plan,
        windowEndingAt(truncateToMinute(new Date()), plan.windowMs),
      );
    } catch (error) {
      options.log(`monitor ${plan.monitor} could not be prepared: ${(error as Error).message}`);
    }
  }
  const scheduler = createMonitorScheduler(store, plans, {
    onEvaluation: options.onEvaluation,
    onError: (monitor, error) =>
      options.log(`monitor ${monitor} failed: ${(error as Error).message}`),
  });
  if (options.schedule) {
    await scheduler.catchUp();
    scheduler.start();
  }
  return {
    store,
    app,
    metrics,
    registry,
    logger,
    plans,
    monitorErrors: errors,
    scheduler,
    address,
    async stop() {
      await scheduler.stop();
      await kafka?.stop();
      await app.close();
      await store.close();
    },
  };
}
