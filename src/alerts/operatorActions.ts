import { randomBytes } from 'node:crypto';
import type { AlertsConfig } from '../config/config.js';
import { DriftwatchError } from '../errors.js';
import type { MonitorPlan } from '../monitors/plan.js';
import { silentLogger } from '../observability/logger.js';
import { createMetricsRegistry } from '../observability/metrics.js';
import type { Silence } from './alert.js';
import {
  expireSilence,
  findAlertIdsByPrefix,
  getAlert,
  insertAcknowledgement,
  insertSilence,
  type AlertSummary,
} from '../store/alerts.js';
import type { Store } from '../store/clickhouse.js';
import { insertOutbox, listDestinationsTold, listOutbox } from '../store/outbox.js';
import { createAlertStage, type AlertStage } from './alertStage.js';
import { acknowledgementNotification } from './routing.js';
import { checkAlertEnvironment } from './secrets.js';

/**
 * What an operator does to alerts, the same whether it comes from the CLI or the API:
 * acknowledge an open alert (no repeat notices this episode; PagerDuty is told), or silence
 * matching alerts for a while. Both are stored with who and why: the audit trail reads them.
 */
export type AcknowledgeOutcome =
  | { ok: true; alert: AlertSummary }
  | { ok: false; reason: 'not_found' | 'not_open'; state?: string };

export async function acknowledgeAlert(
  store: Store,
  request: { alertId: string; by: string; reason: string; at?: Date },
): Promise<AcknowledgeOutcome> {
  const detail = await getAlert(store, request.alertId);
  if (!detail) return { ok: false, reason: 'not_found' };
  const alert = detail.alert;
  if (alert.state !== 'firing' && alert.state !== 'pending')
    return { ok: false, reason: 'not_open', state: alert.state };
  const acknowledgement = {
    alertId: alert.alertId,
    monitor: alert.monitor,
    episode: alert.episode,
    acknowledgedBy: request.by,
    reason: request.reason,
    acknowledgedAt: request.at ?? new Date(),
  };
  await insertAcknowledgement(store, acknowledgement);
  await tellPagerduty(store, alert);
  return { ok: true, alert: { ...alert, acknowledgement } };
}

/**
 * An acknowledgement in driftwatch acknowledges the alert in PagerDuty too: through the
 * outbox (written before it is sent, retried, delivered by the service's delivery loop), to
 * each PagerDuty destination that was sent this episode's trigger.
 */
async function tellPagerduty(store: Store, alert: AlertSummary): Promise<void> {
  if (alert.since === null) return;
  const destinations = await listDestinationsTold(store, {
    alertId: alert.alertId,
    channel: 'pagerduty',
    kind: 'alert',
    since: alert.since,
  });
  if (destinations.length === 0) return;
  const rows = destinations.map((destination) => acknowledgementNotification(alert, destination));
  await insertOutbox(
    store,
    rows.map((row) => ({ ...row, message: JSON.stringify(row.message) })),
  );
}

export async function createSilence(
  store: Store,
  request: {
    model: string;
    feature?: string;
    slice?: string;
    checkId?: string;
    endsAt: Date;
    reason: string;
    by: string;
    now?: Date;
  },
): Promise<Silence> {
  const now = request.now ?? new Date();
  const silence: Silence = {
    silenceId: `sil_${randomBytes(8).toString('hex')}`,
    model: request.model,
    feature: request.feature ?? '',
    slice: request.slice ?? '',
    checkId: request.checkId ?? '',
    startsAt: now,
    endsAt: request.endsAt,
    reason: request.reason,
    createdBy: request.by,
    createdAt: now,
    expiredBy: '',
    expiredAt: null,
  };
  await insertSilence(store, silence);
  return silence;
}

/** An alert id that names no alert, or several: said with the candidates, like git. */
export class AlertLookupError extends DriftwatchError {
  readonly reason: 'not_found' | 'ambiguous' | 'too_short';
  readonly candidates: readonly string[];

  constructor(
    reason: AlertLookupError['reason'],
    message: string,
    candidates: readonly string[] = [],
  ) {
    super('DW_INPUT', message);
    this.name = 'AlertLookupError';
    this.reason = reason;
    this.candidates = candidates;
  }
}

/** The fewest characters of an alert id accepted as a prefix (git's default abbreviation). */
export const MIN_ALERT_ID_PREFIX = 4;
const MAX_CANDIDATES_SHOWN = 10;

/** The one alert whose id starts with `text` (a whole id, or a unique prefix of one). */
export async function resolveAlertId(store: Store, text: string): Promise<string> {
  const prefix = text.trim().toLowerCase();
  if (prefix.length < MIN_ALERT_ID_PREFIX)
    throw new AlertLookupError(
      'too_short',
      `alert id "${text}" is too short: give at least ${MIN_ALERT_ID_PREFIX} characters`,
    );
  const ids = await findAlertIdsByPrefix(store, prefix, MAX_CANDIDATES_SHOWN + 1);
  if (ids.length === 1 && ids[0]) return ids[0];
  if (ids.length === 0) throw new AlertLookupError('not_found', `no alert "${text}"`);
  const more = ids.length > MAX_CANDIDATES_SHOWN ? ', …' : '';
  throw new AlertLookupError(
    'ambiguous',
    `alert id "${text}" is ambiguous: it starts ${ids.slice(0, MAX_CANDIDATES_SHOWN).join(', ')}${more}; give more characters`,
    ids.slice(0, MAX_CANDIDATES_SHOWN),
  );
}

/** Ends a silence now, recording who ended it. Null when there is no such silence. */
export async function endSilence(
  store: Store,
  request: { silenceId: string; by: string; at?: Date },
): Promise<Silence | null> {
  return expireSilence(store, request.silenceId, request.by, request.at ?? new Date());
}

export interface TestDelivery {
  destination: string;
  status: string;
  lastError: string;
}

/**
 * One test notification through each of a model's routes, delivered now, and how each went.
 * In the service that delivers alerts, its own stage sends them (one delivery loop per
 * store: a second would send them twice). Elsewhere a stage of its own sends only these test
 * notifications, with a handful of quick attempts (a person waits for the answer).
 */
export async function sendTestNotifications(
  store: Store,
  plan: MonitorPlan,
  options: { config: AlertsConfig; timeoutMs: number; deliveringStage?: AlertStage },
): Promise<TestDelivery[]> {
  const problems = checkAlertEnvironment([plan], options.config.readSecret);
  if (problems.length > 0)
    throw new DriftwatchError('DW_INPUT', problems.map((problem) => problem.message).join('; '));
  const stage =
    options.deliveringStage ??
    createAlertStage({
      deliverOnly: (entry) => entry.kind === 'test' && entry.model === plan.model,
      store,
      plans: [plan],
      config: {
        ...options.config,
        delivery: {
          ...options.config.delivery,
          maxAttempts: 3,
          retryBaseMs: 1000,
          retryMaxMs: 4000,
        },
      },
      logger: silentLogger(),
      registry: createMetricsRegistry({ processMetrics: false }),
    });
  try {
    const sent = await stage.enqueueTest(plan.model);
    if (sent.length === 0) return [];
    const ids = sent.map((notification) => notification.id);
    await stage.delivery.drain({ ids, timeoutMs: options.timeoutMs });
    return (await listOutbox(store, { ids })).map((entry) => ({
      destination: entry.destination,
      status: entry.status,
      lastError: entry.lastError,
    }));
  } finally {
    if (stage !== options.deliveringStage) await stage.stop();
  }
}
