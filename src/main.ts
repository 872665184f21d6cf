import type { FastifyInstance } from 'fastify';
import { buildApp } from './api/app.js';
import type { Config } from './config/config.js';
import { createKafkaIngest, type KafkaIngest } from './ingest/kafkaConsumer.js';
import { createIngestMetrics, type IngestMetrics } from './ingest/metrics.js';
import { pipelineOptions } from './ingest/pipeline.js';
import { createEventWriter } from './ingest/writer.js';
import type { WindowEvaluation } from './monitors/evaluateWindow.js';
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
import { applyRetention } from './store/retention.js';

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
  /** The Kafka consumer when running: `kafka.health()` is its readiness ({ ok, detail }). */
  kafka: KafkaIngest | undefined;
  address: string | null;
  stop(): Promise<void>;
}

export async function startService(config: Config, options: ServiceOptions): Promise<Service> {
  const store = await openStore(config.store);
  await migrate(store);
  const { plans, errors } = loadMonitorDirectory(config.monitorsDir);
  // An invalid monitor file is refused; the others keep running.
  for (const error of errors) options.log(`monitor refused: ${formatMonitorError(error)}`);
  const registry = createMetricsRegistry();
  const metrics = createIngestMetrics(registry);
  const logger = options.logger ?? createLogger();
  const retention = await applyRetention(store, config.ingest.retention);
  logger.info({ retention }, 'retention (days, 0 = kept forever) applied as table TTLs');
  // One writer per process: HTTP and Kafka batches are written together, one flush at a time.
  const writer = createEventWriter(store, { metrics, logger });
  const app = buildApp({
    store,
    metrics,
    registry,
    logger,
    ingest: config.ingest,
    writer,
    monitors: () => plans,
  });
  const address = options.http
    ? await app.listen({ host: config.http.host, port: config.http.port })
    : null;
  let kafka: KafkaIngest | undefined;
  if (options.kafka) {
    kafka = createKafkaIngest(store, metrics, {
      ...config.kafka,
      pipeline: pipelineOptions(config.ingest),
      stallAfterMs: config.ingest.stallAfterMs,
      writer,
      logger,
      log: options.log,
    });
    await kafka.start();
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
    kafka,
    address,
    async stop() {
      await scheduler.stop();
      await kafka?.stop();
      await app.close();
      await store.close();
    },
  };
}
