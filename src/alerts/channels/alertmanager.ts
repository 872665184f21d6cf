import { nextScheduledTick } from '../../monitors/windows.js';
import { alertmanagerAlerts } from '../render/alertmanager.js';
import type { AlertmanagerTarget } from '../secrets.js';
import type { Delivery, NotificationChannel } from './channel.js';
import {
  postWithinMonitorAccess,
  receiverOf,
  sendJson,
  type ReceiverChannelOptions,
} from './httpPost.js';

export type AlertmanagerChannelOptions = ReceiverChannelOptions<
  AlertmanagerTarget & { schedule: string }
>;

/** Prometheus sends firing alerts with endsAt this many evaluation intervals ahead. */
export const RESEND_INTERVALS = 4;

/**
 * Prometheus Alertmanager: `POST {url}/api/v2/alerts` with the run's alerts. A firing
 * alert's endsAt is four of the monitor's schedule intervals after the request, as
 * Prometheus sets it, and each run sends it again: while driftwatch runs, Alertmanager never
 * ends an alert by itself; if driftwatch stops, its alerts end after four intervals. 200 is
 * delivered, a 400 (the body does not validate) is final, 5xx and 429 are retried. A resent
 * request is harmless: Alertmanager identifies alerts by their labels.
 */
export function createAlertmanagerChannel(
  options: AlertmanagerChannelOptions,
): NotificationChannel {
  const post =
    options.post ??
    postWithinMonitorAccess(options.access, {
      resolveHost: options.resolveHost,
    });
  const now = options.now ?? (() => new Date());
  return {
    async send(delivery: Delivery) {
      const what = `Alertmanager "${delivery.target}"`;
      const receiver = receiverOf(options, delivery, what);
      if ('outcome' in receiver) return receiver.outcome;
      const { target } = receiver;
      const at = now();
      const alerts = alertmanagerAlerts(delivery.message, {
        links: options.links(delivery.model),
        now: at,
        validForMs: RESEND_INTERVALS * evaluationIntervalMs(target.schedule, at),
      });
      return sendJson(
        post,
        {
          url: `${target.url}/api/v2/alerts`,
          headers: {
            'content-type': 'application/json',
            'user-agent': 'driftwatch',
            ...(target.authorization ? { authorization: target.authorization } : {}),
          },
          body: JSON.stringify(alerts),
          timeoutMs: options.timeoutMs,
        },
        what,
        now,
      );
    },
  };
}

const HORIZON_MS = 8 * 86_400_000;

/**
 * How often a schedule runs, seen from `now`: the longer of the wait for its next run and
 * the gap from that run to the one after (Prometheus's evaluation interval, for a cron
 * schedule that may be irregular: weekdays at 9 wait three days over a weekend). A schedule
 * that runs less than twice in eight days counts as eight days.
 */
export function evaluationIntervalMs(schedule: string, now: Date): number {
  const first = nextScheduledTick(schedule, now, HORIZON_MS);
  if (first === null) return HORIZON_MS;
  const second = nextScheduledTick(schedule, first, now.getTime() + HORIZON_MS - first.getTime());
  if (second === null) return HORIZON_MS;
  return Math.max(first.getTime() - now.getTime(), second.getTime() - first.getTime());
}
