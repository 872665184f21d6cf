import { randomBytes } from 'node:crypto';
import type { AlertsConfig } from '../config/config.js';
import { errorMessage } from '../errors.js';
import type { WindowEvaluation } from '../monitors/evaluateWindow.js';
import type { AlertingPlan, MonitorPlan } from '../monitors/plan.js';
import type { Logger } from '../observability/logger.js';
import type { MetricsRegistry } from '../observability/metrics.js';
import type { AlertEventRecord } from './alert.js';
import {
  getAlertProgressMark,
  insertAlertEvents,
  insertAlertStates,
  listAcknowledgements,
  listAlertStates,
  listSilences,
  setAlertProgress,
} from '../store/alerts.js';
import type { Store } from '../store/clickhouse.js';
import {
  getLastTriggers,
  getTriggeredAlerts,
  insertOutbox,
  type OutboxEntry,
  type OutboxRecord,
} from '../store/outbox.js';
import { listRunResults, listRunWindowEnds, wasRunStoredAfter } from '../store/results.js';
import { advanceWindow, type StoredRun, type WindowOutcome } from './advanceWindow.js';
import { createAlertmanagerChannel } from './channels/alertmanager.js';
import type { Channels } from './channels/channel.js';
import { createEmailChannel } from './channels/email.js';
import { createPagerdutyChannel } from './channels/pagerduty.js';
import { createSlackChannel } from './channels/slack.js';
import { createTeamsChannel } from './channels/teams.js';
import { createWebhookChannel } from './channels/webhook.js';
import { createDeliveryLoop, type DeliveryLoop } from './delivery.js';
import { createAlertMetrics, type AlertMetrics } from './metrics.js';
import type { NotificationMessage } from './notification.js';
import { linksFor } from './render/text.js';
import {
  destinationsOf,
  routeNotices,
  type Destination,
  type OutboxNotification,
} from './routing.js';
import type { RunAlerting } from './runAlerting.js';
import {
  resolveAlertmanagerTarget,
  resolvePagerdutyTarget,
  resolveTeamsTarget,
  resolveWebhookTarget,
} from './secrets.js';
import { findSilence } from './silences.js';
import type { Alert } from './lifecycle.js';

export interface AlertStageOptions {
  store: Store;
  plans: readonly MonitorPlan[];
  config: AlertsConfig;
  logger: Logger;
  registry: MetricsRegistry;
  /** Replace a channel (the demo prints Slack messages when no token is set). */
  channels?: Partial<Channels>;
  /** Deliver only these notifications (default: everything in the outbox). */
  deliverOnly?: (entry: OutboxEntry) => boolean;
  now?: () => Date;
}

/** What the stage needs to know of an evaluated window: whose, and which. */
export type EvaluatedWindow = Pick<WindowEvaluation, 'monitor' | 'window'>;

/** One pass over a monitor's unhandled runs, and the window the stage had handled before it. */
interface PendingRuns {
  before: { windowEnd: Date; processedAt: Date } | undefined;
  processed: ProcessedRun[];
}

export interface ProcessedRun {
  monitor: string;
  windowEnd: Date;
  /** The newest window already handled, evaluated again: its alerts were decided again. */
  again: boolean;
  outcome: WindowOutcome;
  notifications: OutboxNotification[];
}

export interface AlertStage {
  /**
   * Reads the monitor's stored runs after the last one processed (up to `upTo`), oldest
   * first, and turns their verdicts into alert transitions and outbox notifications. A
   * monitor never processed before starts with its newest run, not with all of history.
   * The newest window processed, stored again since (a re-run), is decided again first;
   * older windows stored again change the history only (alerts follow the newest window).
   */
  processMonitor(monitor: string, upTo?: Date): Promise<ProcessedRun[]>;
  /**
   * For the scheduler and "run now": what became of the evaluated window (runAlerting.ts).
   * Never throws; a failure is logged, counted, and retried next run.
   */
  onEvaluation(evaluation: EvaluatedWindow): Promise<RunAlerting>;
  /** Every monitor's runs stored while the stage was not running (after a crash). */
  catchUp(): Promise<void>;
  /** One test notification to each destination of a model's routes. */
  enqueueTest(model: string): Promise<OutboxNotification[]>;
  delivery: DeliveryLoop;
  metrics: AlertMetrics;
  stop(): Promise<void>;
}

const NO_ALERTING: AlertingPlan = {
  forWindows: 1,
  resolveAfterWindows: 1,
  repeatIntervalMs: 4 * 3_600_000,
  sendResolved: true,
  routes: [],
};

/**
 * The alert stage: fed by the verdicts a monitor run stored (never by the evaluator's
 * memory), so what it decides can always be recomputed from the store. For each run, in
 * window order: advance every alert's lifecycle, route the notices, then write the outbox,
 * the audit trail, the alert states and the progress mark, in that order. Ids are
 * deterministic, so a crash anywhere in between repeats the same writes on the next run
 * and never produces a second notification.
 */
export function createAlertStage(options: AlertStageOptions): AlertStage {
  const { store, config, logger } = options;
  const now = options.now ?? (() => new Date());
  const plans = new Map(options.plans.map((plan) => [plan.monitor, plan]));
  const metrics = createAlertMetrics(options.registry, store);
  const links = (model: string) => linksFor(config.publicUrl, model);
  // Tools that live elsewhere get links only to an address their users can open.
  const publicLinks = (model: string) => (config.publicUrlSet ? links(model) : null);
  const receiver = (monitor: string) => plans.get(monitor)?.receivers;
  const channels: Channels = {
    slack:
      options.channels?.slack ??
      createSlackChannel({
        token: config.slack.token,
        apiUrl: config.slack.apiUrl,
        timeoutMs: config.delivery.timeoutMs,
        links,
        logger,
      }),
    email:
      options.channels?.email ??
      createEmailChannel({
        smtp: config.smtp,
        from: config.emailFrom,
        timeoutMs: config.delivery.timeoutMs,
        links,
      }),
    webhook:
      options.channels?.webhook ??
      createWebhookChannel({
        resolve: (monitor, name) => {
          const webhook = plans.get(monitor)?.webhooks?.[name];
          return webhook ? resolveWebhookTarget(webhook, config.readSecret) : null;
        },
        timeoutMs: config.delivery.timeoutMs,
        links,
        access: config.monitorAccess,
      }),
    pagerduty:
      options.channels?.pagerduty ??
      createPagerdutyChannel({
        resolve: (monitor, name) => {
          const plan = receiver(monitor)?.pagerduty[name];
          return plan ? resolvePagerdutyTarget(plan, config.readSecret) : null;
        },
        timeoutMs: config.delivery.timeoutMs,
        links: publicLinks,
        access: config.monitorAccess,
      }),
    teams:
      options.channels?.teams ??
      createTeamsChannel({
        resolve: (monitor, name) => {
          const plan = receiver(monitor)?.teams[name];
          return plan ? resolveTeamsTarget(plan, config.readSecret) : null;
        },
        timeoutMs: config.delivery.timeoutMs,
        links: publicLinks,
        access: config.monitorAccess,
      }),
    alertmanager:
      options.channels?.alertmanager ??
      createAlertmanagerChannel({
        resolve: (monitor, name) => {
          const plan = plans.get(monitor);
          const am = plan?.receivers?.alertmanager[name];
          if (!plan || !am) return null;
          const target = resolveAlertmanagerTarget(am, config.readSecret);
          return 'missing' in target ? target : { ...target, schedule: plan.schedule };
        },
        timeoutMs: config.delivery.timeoutMs,
        links: publicLinks,
        access: config.monitorAccess,
      }),
  };
  const delivery = createDeliveryLoop({
    store,
    channels,
    logger,
    metrics,
    policy: {
      maxAttempts: config.delivery.maxAttempts,
      baseDelayMs: config.delivery.retryBaseMs,
      maxDelayMs: config.delivery.retryMaxMs,
    },
    pollMs: config.delivery.pollMs,
    only: options.deliverOnly,
  });
  const queues = new Map<string, Promise<unknown>>();

  function serialised<T>(monitor: string, job: () => Promise<T>): Promise<T> {
    const previous = queues.get(monitor) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(job);
    queues.set(monitor, next);
    return next;
  }

  async function processRun(
    plan: MonitorPlan,
    windowEnd: Date,
    again = false,
  ): Promise<ProcessedRun> {
    const results = await listRunResults(store, plan.monitor, windowEnd);
    const first = results[0];
    const run: StoredRun = {
      monitor: plan.monitor,
      model: plan.model,
      windowStart: first?.windowStart ?? new Date(windowEnd.getTime() - plan.windowMs),
      windowEnd,
      monitorHash: first?.monitorHash ?? plan.hash,
      baseline: first?.baseline ?? '',
      baselineVersion: first?.baselineVersion ?? 0,
      results,
    };
    const alerting = plan.alerting ?? NO_ALERTING;
    const existing = await listAlertStates(store, plan.monitor);
    const open = existing.filter((alert) => alert.state === 'firing' || alert.state === 'pending');
    const acks = await listAcknowledgements(
      store,
      open.map((alert) => alert.alertId),
    );
    const silences = await listSilences(store, { model: plan.model, activeAt: now() });
    const outcome = advanceWindow(existing, run, {
      settings: alerting,
      checks: plan.checks,
      silences,
      acknowledged: new Set(acks.map((ack) => `${ack.alertId}:${ack.episode}`)),
      now: now(),
      again,
    });
    const destinations = destinationsOf(alerting.routes, plan.webhooks ?? {}, plan.receivers);
    const wantsTriggers =
      destinations.some((d) => d.channel === 'webhook') && outcome.breaching.length > 0;
    const notifications = routeNotices(outcome, {
      run,
      destinations,
      lastTriggers: wantsTriggers ? await getLastTriggers(store, plan.monitor) : new Map(),
      triggered: await triggeredBefore(plan, destinations, outcome),
      firing: stillFiring(existing, outcome.changed).filter(
        (alert) => alert.lastNotifiedAt !== null && !findSilence(silences, alert, now()),
      ),
    });
    // Outbox first: once a transition is on record, its notification already exists.
    await insertOutbox(store, notifications.map(toRecord));
    await insertAlertEvents(store, eventRecords(outcome, notifications));
    await insertAlertStates(store, outcome.changed);
    await setAlertProgress(store, plan.monitor, windowEnd);
    for (const notification of notifications) metrics.enqueued(notification.channel, 1);
    if (notifications.length > 0) delivery.wake();
    logger.info(
      {
        stage: 'alerts',
        monitor: plan.monitor,
        window_end: windowEnd.toISOString(),
        again,
        events: outcome.events.length,
        notifications: notifications.length,
      },
      again ? 'alert stage decided a re-evaluated window again' : 'alert stage processed a run',
    );
    return { monitor: plan.monitor, windowEnd, again, outcome, notifications };
  }

  /** For webhooks that post resolutions: which of this run's resolved alerts they were told of. */
  async function triggeredBefore(
    plan: MonitorPlan,
    destinations: readonly Destination[],
    outcome: WindowOutcome,
  ): Promise<Map<string, Map<string, Date>>> {
    const resolved = outcome.notices.filter((notice) => notice.kind === 'resolved');
    const posts = destinations.some((d) => d.webhook?.policy.sendResolved);
    if (!posts || resolved.length === 0) return new Map();
    const since = Math.min(...resolved.map((notice) => notice.alert.since?.getTime() ?? 0));
    return getTriggeredAlerts(
      store,
      plan.monitor,
      resolved.map((notice) => notice.alert.alertId),
      new Date(since),
    );
  }

  /**
   * Processes the monitor's stored runs the stage has not handled, up to `upTo`, and says
   * which window it had handled before: read once, inside the monitor's serialisation, so
   * what a run's console line says agrees with what was processed.
   */
  async function processPending(monitor: string, upTo?: Date): Promise<PendingRuns> {
    const plan = plans.get(monitor);
    if (!plan) return { before: undefined, processed: [] };
    return serialised(monitor, async () => {
      const mark = await getAlertProgressMark(store, monitor);
      const processed: ProcessedRun[] = [];
      if (!mark) {
        const [newest] = (await listRunWindowEnds(store, monitor, { upTo })).slice(-1);
        if (newest) processed.push(await processRun(plan, newest));
        return { before: mark, processed };
      }
      const reached = upTo === undefined || upTo.getTime() >= mark.windowEnd.getTime();
      if (reached && (await wasRunStoredAfter(store, monitor, mark.windowEnd, mark.processedAt)))
        processed.push(await processRun(plan, mark.windowEnd, true));
      for (const end of await listRunWindowEnds(store, monitor, { after: mark.windowEnd, upTo }))
        processed.push(await processRun(plan, end));
      return { before: mark, processed };
    });
  }

  async function processMonitor(monitor: string, upTo?: Date): Promise<ProcessedRun[]> {
    return (await processPending(monitor, upTo)).processed;
  }

  async function safely(monitor: string, upTo?: Date): Promise<PendingRuns | null> {
    try {
      return await processPending(monitor, upTo);
    } catch (error) {
      metrics.stageFailure();
      logger.error(
        { stage: 'alerts', monitor, reason: errorMessage(error) },
        'alert stage failed; the run is processed again with the next one',
      );
      return null;
    }
  }

  /** What became of one evaluated window, from what the stage processed up to it. */
  async function onEvaluation(evaluation: EvaluatedWindow): Promise<RunAlerting> {
    const end = evaluation.window.end.getTime();
    const pending = await safely(evaluation.monitor, evaluation.window.end);
    if (pending === null) {
      // Only a failed pass reads the mark on its own, to say how far the stage had got.
      const mark = await getAlertProgressMark(store, evaluation.monitor).catch(() => undefined);
      return { taken: 'failed', newestHandled: mark?.windowEnd ?? null, notifications: 0 };
    }
    const newestHandled = pending.before?.windowEnd ?? null;
    const mine = pending.processed.find((run) => run.windowEnd.getTime() === end);
    if (!mine) return { taken: 'history_only', newestHandled, notifications: 0 };
    return {
      taken: mine.again ? 'again' : 'new',
      newestHandled,
      notifications: mine.notifications.length,
    };
  }

  return {
    processMonitor,
    onEvaluation,
    async catchUp() {
      for (const monitor of plans.keys()) await safely(monitor);
    },
    async enqueueTest(model) {
      const plan = [...plans.values()].find((candidate) => candidate.model === model);
      if (!plan) return [];
      const at = now();
      const message: NotificationMessage = {
        type: 'test',
        model: plan.model,
        monitor: plan.monitor,
        severity: null,
        window: {
          start: new Date(at.getTime() - plan.windowMs).toISOString(),
          end: at.toISOString(),
        },
        baseline: { name: '', version: 0 },
        monitor_hash: plan.hash,
        items: [],
      };
      // One test per destination, however many routes share it.
      const destinations = new Map(
        destinationsOf(
          (plan.alerting ?? NO_ALERTING).routes,
          plan.webhooks ?? {},
          plan.receivers,
        ).map((d) => [d.key, d]),
      );
      const notifications = [...destinations.values()].map((destination): OutboxNotification => ({
        id: `msg_${randomBytes(16).toString('hex')}`,
        destination: destination.key,
        channel: destination.channel,
        kind: 'test',
        monitor: plan.monitor,
        model: plan.model,
        severity: '',
        windowStart: new Date(message.window.start),
        windowEnd: at,
        alertIds: [],
        events: [],
        message,
      }));
      await insertOutbox(store, notifications.map(toRecord));
      return notifications;
    },
    delivery,
    metrics,
    async stop() {
      await Promise.all([...queues.values()].map((queue) => queue.catch(() => undefined)));
      await delivery.stop();
      await Promise.all(Object.values(channels).map((channel) => channel.close?.()));
    },
  };
}

/** The monitor's alerts firing after a window: the stored ones as this window left them. */
function stillFiring(existing: readonly Alert[], changed: readonly Alert[]): Alert[] {
  const byId = new Map(existing.map((alert) => [alert.alertId, alert]));
  for (const alert of changed) byId.set(alert.alertId, alert);
  return [...byId.values()].filter((alert) => alert.state === 'firing');
}

function toRecord(notification: OutboxNotification): OutboxRecord {
  return { ...notification, message: JSON.stringify(notification.message) };
}

function eventRecords(
  outcome: WindowOutcome,
  notifications: readonly OutboxNotification[],
): AlertEventRecord[] {
  return outcome.events.map((event) => ({
    alertId: event.alert.alertId,
    monitor: event.alert.monitor,
    model: event.alert.model,
    checkId: event.alert.checkId,
    metric: event.alert.metric,
    feature: event.alert.feature,
    sliceKey: event.alert.sliceKey,
    sliceValue: event.alert.sliceValue,
    episode: event.alert.episode,
    event: event.event,
    fromState: event.fromState,
    toState: event.alert.state,
    severity: event.alert.severity,
    windowStart: event.run.windowStart,
    windowEnd: event.run.windowEnd,
    monitorHash: event.run.monitorHash,
    baseline: event.run.baseline,
    baselineVersion: event.run.baselineVersion,
    verdictStatus: event.verdictStatus,
    value: event.value,
    ...carriedBy(event.alert.alertId, notifications),
    suppressedBy: event.suppressedBy ?? '',
  }));
}

function carriedBy(alertId: string, notifications: readonly OutboxNotification[]) {
  const outboxIds = notifications
    .filter((notification) => notification.alertIds.includes(alertId))
    .map((notification) => notification.id);
  return { notified: outboxIds.length > 0, outboxIds };
}
