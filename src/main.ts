import type { FastifyInstance } from 'fastify';
import { createAlertStage, type AlertStage } from './alerts/alertStage.js';
import type { Channels } from './alerts/channels/channel.js';
import { createAlertsApi } from './alerts/alertsApi.js';
import { checkAlertEnvironment } from './alerts/secrets.js';
import { buildApp } from './api/app.js';
import { checkApiBinding, type Config } from './config/config.js';
import { DriftwatchError } from './errors.js';
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
  /** Turn verdicts into alerts and deliver their notifications (default true). */
  alerts?: boolean;
  /** Replace alert channels (the demo's local receivers). */
  alertChannels?: Partial<Channels>;
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
  alerts: AlertStage;
  address: string | null;
  stop(): Promise<void>;
}

export async function startService(config: Config, options: ServiceOptions): Promise<Service> {
  // Refused before anything opens: no tokens means loopback only.
  const accessLine = options.http ? checkApiBinding(config) : undefined;
  const { plans, errors } = loadMonitorDirectory(config.monitorsDir);
  // An invalid monitor file is refused; the others keep running.
  for (const error of errors) options.log(`monitor refused: ${formatMonitorError(error)}`);
  // A webhook whose secret is missing would fail every delivery: refuse to start instead.
  const missing = checkAlertEnvironment(plans, config.alerts.readSecret);
  if (missing.length > 0 && options.alerts !== false) {
    throw new DriftwatchError(
      'DW_CONFIG',
      `alert webhooks need environment variables that are not set: ${missing.map((problem) => `${problem.model}: ${problem.message}`).join('; ')}`,
    );
  }
  const store = await openStore(config.store);
  await migrate(store);
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
    alerts: options.alerts === false ? undefined : createAlertsApi(store),
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
  const alerts = createAlertStage({
    store,
    plans,
    config: config.alerts,
    logger,
    registry,
    channels: options.alertChannels,
  });
  const scheduler = createMonitorScheduler(store, plans, {
    onEvaluation: async (evaluation) => {
      if (options.alerts !== false) await alerts.onEvaluation(evaluation);
      await options.onEvaluation?.(evaluation);
    },
    onError: (monitor, error) =>
      options.log(`monitor ${monitor} failed: ${(error as Error).message}`),
  });
  if (options.alerts !== false) alerts.delivery.start();
  if (options.schedule) {
    // Runs stored before a crash first, then the windows missed while down.
    if (options.alerts !== false) await alerts.catchUp();
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
    alerts,
    address,
    async stop() {
      await scheduler.stop();
      await alerts.stop();
      await kafka?.stop();
      await app.close();
      await store.close();
    },
  };
}
