import { getAlertProgressMark } from '../store/alerts.js';
import type { Store } from '../store/clickhouse.js';

/**
 * What the alert stage does with a window a person ran (`driftwatch run`, POST
 * /v1/models/:model/runs), said in the run's answer so nobody has to guess. Alerts follow the
 * newest window:
 *  - `new`: newer than any window the stage has handled: taken as a scheduled run is;
 *  - `again`: the newest window it handled, evaluated again: alerts decided again from the
 *    state before it, notified where what people were told is no longer true;
 *  - `history_only`: older than the newest window handled: the drift history is corrected,
 *    alerts are not (they follow the newest window);
 *  - `later`: no alert stage runs in this process: the service's takes the window at its
 *    next run (a tick, or its start) when it is new or the newest; otherwise history only;
 *  - `failed`: the stage failed (logged and counted); it takes the run again next time.
 */
export type RunAlertingKind = 'new' | 'again' | 'history_only' | 'later' | 'failed';

export interface RunAlerting {
  taken: RunAlertingKind;
  /** The newest window the stage had handled before this one (null: none yet). */
  newestHandled: Date | null;
  /** Notifications this window put in the outbox. */
  notifications: number;
}

export function describeRunAlerting(alerting: RunAlerting): string {
  const newest = alerting.newestHandled?.toISOString();
  const sent = `${alerting.notifications} notification${alerting.notifications === 1 ? '' : 's'}`;
  switch (alerting.taken) {
    case 'new':
      return `alerts: taken by the alert stage (${sent})`;
    case 'again':
      return `alerts: the newest window evaluated again: alerts decided again from their state before it (${sent})`;
    case 'history_only':
      return `alerts: history only: the alert stage has handled a newer window (${newest ?? '-'}), and alerts follow the newest window`;
    case 'later':
      return newest === undefined
        ? 'alerts: no alert stage runs here: the service takes the newest stored window when it starts'
        : `alerts: no alert stage runs here: the service takes this window at its next run if it is not older than ${newest}; otherwise history only`;
    case 'failed':
      return 'alerts: the alert stage failed (see the log); it takes this window again at its next run';
  }
}

/** For a process without an alert stage: what the service's will do with the window. */
export async function alertingLater(
  store: Store,
  monitor: string,
  windowEnd: Date,
): Promise<RunAlerting> {
  const mark = await getAlertProgressMark(store, monitor);
  const newestHandled = mark?.windowEnd ?? null;
  const older = newestHandled !== null && windowEnd.getTime() < newestHandled.getTime();
  return { taken: older ? 'history_only' : 'later', newestHandled, notifications: 0 };
}
