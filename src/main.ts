import type { FastifyInstance } from 'fastify';
import { createAlertStage, type AlertStage } from './alerts/alertStage.js';
import type { Channels } from './alerts/channels/channel.js';
import { createAlertsApi } from './alerts/alertsApi.js';
import { checkAlertEnvironment } from './alerts/secrets.js';
import { buildApp } from './api/app.js';
import { listenWhileStarting, type StartupServer } from './api/startupServer.js';
import { checkApiBinding, type Config } from './config/config.js';
import { DriftwatchError, errorMessage } from './errors.js';
import { createKafkaIngest, createKafkaLagMonitor } from './ingest/kafkaConsumer.js';
import {
  consumerStopGraceMs,
  kafkaReadiness,
  superviseKafkaIngest,
  type KafkaSupervisor,
} from './ingest/kafkaSupervisor.js';
import { createIngestMetrics, type IngestMetrics } from './ingest/metrics.js';
import { pipelineOptions } from './ingest/pipeline.js';
import { startSummaryReconciler } from './ingest/summaryReconciler.js';
import { countingUnwatchedModels, createUnwatchedModelCounter } from './ingest/unwatchedModels.js';
import { createEventWriter } from './ingest/writer.js';
import { prepareMonitor, type WindowEvaluation } from './monitors/evaluateWindow.js';
import { windowEndingAt } from './timeWindow.js';
import { truncateToMinute } from './monitors/windows.js';
import {
  formatMonitorError,
  loadMonitorDirectory,
  monitorFileOptionsOf,
  type MonitorFileError,
} from './monitors/monitorFile.js';
import { createMonitorHealth } from './monitors/monitorHealth.js';
import { defaultBaselineRoots } from './monitors/monitorFileLimits.js';
import type { MonitorPlan } from './monitors/plan.js';
import { createLogger, redactSecrets, type Logger } from './observability/logger.js';
import { createMetricsRegistry, type MetricsRegistry } from './observability/metrics.js';
import { createStartupMetrics } from './observability/startupMetrics.js';
import type { ReadinessCheck } from './observability/readiness.js';
import { createMonitorScheduler, type MonitorScheduler } from './monitors/scheduler.js';
import { storeLocation, type Store } from './store/clickhouse.js';
import { connectStore, describeStoreWait } from './store/connect.js';
import { applyRetention } from './store/retention.js';
import { insertMonitorFileVersions } from './store/monitorFiles.js';
import { removeServiceRecord, writeServiceRecord } from './store/storeHolder.js';
import type { ServiceRole } from './roles.js';
import { softwareVersion } from './version.js';

/** The composition root: every stage of the flow wired together, and nothing else. */
export interface ServiceOptions {
  kafka: boolean;
  http: boolean;
  schedule: boolean;
  /** Recorded for operators (the store's holder record, logs); default `all`. */
  role?: ServiceRole;
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
  /** The Kafka consumer, started in the background, when this process consumes. */
  kafka: KafkaSupervisor | undefined;
  /** What /readyz checks besides the store; a stage may add its own. */
  readiness: ReadinessCheck[];
  address: string | null;
  stop(): Promise<void>;
}

export async function startService(config: Config, options: ServiceOptions): Promise<Service> {
  const startup: { server?: StartupServer } = {};
  try {
    return await startStages(config, options, startup);
  } catch (error) {
    await startup.server?.close();
    throw error;
  }
}

/**
 * While it starts, the service answers /healthz and /readyz (with what it waits for) from
 * `startup.server`, which its real app replaces once everything before listening is done.
 */
async function startStages(
  config: Config,
  options: ServiceOptions,
  startup: { server?: StartupServer },
): Promise<Service> {
  // Refused before anything opens: no tokens means loopback only.
  const accessLine = options.http ? checkApiBinding(config) : undefined;
  const logger = options.logger ?? createLogger();
  // Created first, so /metrics answers while start-up waits (the start-up server serves it).
  const registry = createMetricsRegistry();
  const startupMetrics = createStartupMetrics(registry);
  const startupServer = { registry, tokens: config.api.tokens };
  // The store first: a store another process holds is the one thing to say; a server that
  // does not answer yet is waited for (DRIFTWATCH_STORE_WAIT_SECONDS), not crash-looped on,
  // and probes are answered meanwhile.
  if (options.http && config.store.kind === 'server') {
    startup.server = await listenWhileStarting(
      config.http,
      { check: 'store', detail: `connecting to the store at ${storeLocation(config.store)}` },
      startupServer,
    );
  }
  const store = await connectStore(config.store, {
    logger,
    onWaiting: (wait) => {
      startupMetrics.storeAttemptFailed();
      startup.server?.notReady('store', describeStoreWait(wait));
    },
  });
  if (options.http) {
    startup.server ??= await listenWhileStarting(
      config.http,
      { check: 'monitors', detail: 'loading the monitor files' },
      startupServer,
    );
  }
  const { plans, errors } = loadMonitorDirectory(config.monitorsDir, monitorFileOptionsOf(config));
  // An invalid monitor file is refused; the others keep running, and /readyz says so.
  const monitorHealth = createMonitorHealth(registry);
  for (const error of errors) {
    options.log(`monitor refused: ${formatMonitorError(error)}`);
    monitorHealth.refused(error.file, formatMonitorError(error));
  }
  // A webhook whose secret is missing would fail every delivery: refuse to start instead.
  const missing = checkAlertEnvironment(plans, config.alerts.readSecret);
  if (missing.length > 0 && options.alerts !== false) {
    await store.close();
    throw new DriftwatchError(
      'DW_CONFIG',
      `alert webhooks need environment variables that are not set: ${missing.map((problem) => `${problem.model}: ${problem.message}`).join('; ')}`,
    );
  }
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
  // Frames and score thresholds exist before events arrive, so they are summarized in them.
  for (const [index, plan] of plans.entries()) {
    // ~25 s for a baseline of a million rows: /readyz says which one, /healthz stays alive.
    startup.server?.notReady(
      'monitors',
      `preparing monitor ${plan.monitor} (${index + 1} of ${plans.length})`,
    );
    try {
      await prepareMonitor(
        store,
        plan,
        windowEndingAt(truncateToMinute(new Date()), plan.windowMs),
      );
      monitorHealth.succeeded(plan.monitor);
    } catch (error) {
      const reason = redactSecrets(errorMessage(error));
      options.log(`monitor ${plan.monitor} could not be prepared: ${reason}`);
      logger.error({ stage: 'monitors', monitor: plan.monitor, reason }, 'monitor cannot run');
      monitorHealth.failed(plan.monitor, reason);
    }
  }
  const metrics = createIngestMetrics(registry);
  const retention = await applyRetention(store, config.ingest.retention);
  logger.info({ retention }, 'retention (days, 0 = kept forever) applied as table TTLs');
  // One writer per process: HTTP and Kafka batches are written together, one flush at a time.
  // Events of a model no monitor watches are counted by model, whichever way they came.
  const watched = new Set(plans.map((plan) => plan.model));
  const writer = countingUnwatchedModels(
    createEventWriter(store, {
      metrics,
      logger,
      lingerMessages: config.ingest.lingerMessages,
      lingerMs: config.ingest.lingerMs,
    }),
    createUnwatchedModelCounter(registry, (model) => watched.has(model)),
  );
  // Before any ingest: hours a crashed writer left half-summarized are checked and repaired.
  startup.server?.notReady(
    'summaries',
    'checking the summaries of hours a stopped writer left open',
  );
  const summaries = await startSummaryReconciler(store, {
    writer,
    registry,
    logger,
    finerGraceMs: config.ingest.finerGraceMs,
  });
  const readiness: ReadinessCheck[] = [monitorHealth.readiness];
  const role = options.role ?? 'all';
  const alerts = createAlertStage({
    store,
    plans,
    config: config.alerts,
    logger,
    registry,
    channels: options.alertChannels,
  });
  // One delivery loop per store: the process that runs the monitors (scheduler or all).
  const deliversAlerts = options.alerts !== false && (options.schedule || role === 'all');
  const app = buildApp({
    store,
    metrics,
    registry,
    logger,
    monitors: () => plans,
    baselineRoots: config.baselineRoots ?? defaultBaselineRoots(config.monitorsDir),
    ingest: config.ingest,
    writer,
    auth: {
      tokens: config.api.tokens,
      ingestRequestsPerMinute: config.api.ingestRequestsPerMinute,
    },
    exports: { signingKey: config.exports.signingKey, version: softwareVersion() },
    alerts:
      options.alerts === false
        ? undefined
        : createAlertsApi(store, {
            plans: () => plans,
            refused: () => errors,
            config: config.alerts,
            deliveringStage: deliversAlerts ? alerts : undefined,
          }),
    // "Run now" alerts as a scheduled run does, in the process whose alert stage owns alerts.
    ...(options.alerts !== false && options.schedule
      ? { onRunEvaluated: (evaluation) => alerts.onEvaluation(evaluation) }
      : {}),
    readiness,
    http: { requestTimeoutMs: config.http.requestTimeoutMs },
    trustProxy: config.http.trustProxy,
  });
  if (accessLine) options.log(accessLine);
  // The port is handed over: a probe in the instant between the two may find it closed.
  await startup.server?.close();
  const address = options.http
    ? await app.listen({ host: config.http.host, port: startup.server?.port ?? config.http.port })
    : null;
  startupMetrics.started();
  if (config.store.kind === 'embedded') {
    // Lets a CLI command on the same directory find this service and ask it instead.
    writeServiceRecord(config.store.dataDir, {
      url: address,
      role,
      command: ['driftwatch', ...process.argv.slice(2)].join(' '),
      started_at: new Date().toISOString(),
    });
  }
  let kafka: KafkaSupervisor | undefined;
  if (options.kafka) {
    // In the background: the HTTP side and the monitors need not wait for the brokers. The
    // group's lag is read on its own, whatever state the consumer is in.
    const stallAfterMs = config.ingest.stallAfterMs;
    const lag = createKafkaLagMonitor(metrics, {
      ...config.kafka,
      stallAfterMs,
      logger,
      log: options.log,
    });
    const stopGraceMs = consumerStopGraceMs(config.stopGraceMs);
    kafka = superviseKafkaIngest(
      () =>
        createKafkaIngest(store, metrics, {
          ...config.kafka,
          pipeline: pipelineOptions(config.ingest),
          stallAfterMs,
          lag,
          stopGraceMs,
          writer,
          logger,
          log: options.log,
        }),
      { brokers: config.kafka.brokers, log: options.log, lag, stopGraceMs },
    );
    readiness.push(kafkaReadiness(kafka));
  }
  const scheduler = createMonitorScheduler(store, plans, {
    logger,
    onEvaluation: async (evaluation) => {
      monitorHealth.succeeded(evaluation.monitor);
      if (options.alerts !== false) await alerts.onEvaluation(evaluation);
      await options.onEvaluation?.(evaluation);
    },
    onError: (monitor, error) => {
      const reason = redactSecrets(errorMessage(error));
      options.log(`monitor ${monitor} failed: ${reason}`);
      monitorHealth.failed(monitor, reason);
    },
  });
  if (deliversAlerts) alerts.delivery.start();
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
    kafka,
    readiness,
    address,
    async stop() {
      await scheduler.stop();
      await alerts.stop();
      await kafka?.stop();
      await app.close();
      await summaries.stop();
      await writer.close();
      if (config.store.kind === 'embedded') removeServiceRecord(config.store.dataDir);
      await store.close();
    },
  };
}
