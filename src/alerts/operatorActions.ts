import { randomBytes } from 'node:crypto';
import type { Silence } from './alert.js';
import {
  getAlert,
  insertAcknowledgement,
  insertSilence,
  type AlertSummary,
} from '../store/alerts.js';
import type { Store } from '../store/clickhouse.js';
import { insertOutbox, listDestinationsTold } from '../store/outbox.js';
import { acknowledgementNotification } from './routing.js';

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
