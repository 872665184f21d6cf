import { randomBytes } from 'node:crypto';
import type { Silence } from './alert.js';
import {
  getAlert,
  insertAcknowledgement,
  insertSilence,
  type AlertSummary,
} from '../store/alerts.js';
import type { Store } from '../store/clickhouse.js';

/**
 * What an operator does to alerts, the same whether it comes from the CLI or the API:
 * acknowledge an open alert (no repeat notices this episode), or silence matching alerts
 * for a while. Both are stored with who and why: the audit trail reads them.
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
  return { ok: true, alert: { ...alert, acknowledgement } };
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
