import type { FastifyInstance } from 'fastify';
import { buildApp } from './api/app.js';
import type { AlertsApi } from './api/alerts.js';
import { checkApiBinding, type Config } from './config/config.js';
import { createKafkaIngest, type KafkaIngest } from './ingest/kafkaConsumer.js';
import { createIngestMetrics, type IngestMetrics } from './ingest/metrics.js';
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
import { insertMonitorFileVersions } from './store/monitorFiles.js';
import { softwareVersion } from './version.js';

/** The composition root: every stage of the flow wired together, and nothing else. */
export interface ServiceOptions {
  kafka: boolean;
  http: boolean;
  schedule: boolean;
  log: (line: string) => void;
  /** Structured logs (JSON lines on stderr by default). */
  logger?: Logger;
  onEvaluation?: (evaluation: WindowEvaluation) => void | Promise<void>;
  /**
   * Alert state for the API and dashboard, made once the store is open. Until src/alerts
   * provides one here, the alert routes answer 501.
   */
  alerts?: (store: Store) => AlertsApi;
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
  // Refused before anything opens: no tokens means loopback only.
  const accessLine = options.http ? checkApiBinding(config) : undefined;
  const store = await openStore(config.store);
  await migrate(store);
  const { plans, errors } = loadMonitorDirectory(config.monitorsDir);
  // An invalid monitor file is refused; the others keep running.
  for (const error of errors) options.log(`monitor refused: ${formatMonitorError(error)}`);
  // Each result carries its monitor file's hash; the text behind the hash is kept for audits.
  await insertMonitorFileVersions(
    store,
    plans.flatMap((plan) =>
      plan.source
        ? [
            {
              monitor: plan.monitor,
              model: plan.model,
              hash: plan.hash,
              path: plan.source.file,
              text: plan.source.text,
            },
          ]
        : [],
    ),
  );
  const metrics = createIngestMetrics();
  const registry = createMetricsRegistry();
  const logger = options.logger ?? createLogger();
  const app = buildApp({
    store,
    metrics,
    registry,
    logger,
    monitors: () => plans,
    auth: {
      tokens: config.api.tokens,
      ingestRequestsPerMinute: config.api.ingestRequestsPerMinute,
    },
    exports: { signingKey: config.exports.signingKey, version: softwareVersion() },
    alerts: options.alerts?.(store),
  });
  if (accessLine) options.log(accessLine);
  const address = options.http
    ? await app.listen({ host: config.http.host, port: config.http.port })
    : null;
  let kafka: KafkaIngest | undefined;
  if (options.kafka) {
    kafka = createKafkaIngest(store, metrics, { ...config.kafka, log: options.log });
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
    address,
    async stop() {
      await scheduler.stop();
      await kafka?.stop();
      await app.close();
      await store.close();
    },
  };
}
