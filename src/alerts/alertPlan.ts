import {
  NULL_FIELDS,
  isWholeResult,
  type CheckResult,
  type KeptResult,
  type ResultStatus,
} from '../monitors/checkResult.js';
import type { AlertingPlan, MonitorPlan } from '../monitors/plan.js';
import { advanceWindow, type StoredRun } from './advanceWindow.js';
import type { Alert } from './alert.js';
import { sliceLabel } from './identity.js';
import { destinationsOf, routeNotices } from './routing.js';

/**
 * Plan before enabling (Terraform's `plan`, for alerting): what the alert stage would have
 * sent, route by route and week by week, had the monitor been live over a backtest's range.
 * The same lifecycle and routing as the live stage (advanceWindow, routeNotices), in memory,
 * from no alert; no silence or acknowledgement applies (they are people's, not the monitor's).
 */
export interface AlertPlan {
  /** One per destination of the monitor's routes, in the order of its file. */
  routes: RoutePlan[];
  /** Every alert that would have notified anyone, with what it would have said. */
  alerts: PlannedAlert[];
}

export interface RoutePlan {
  destination: string;
  channel: string;
  notifications: number;
  /** Every UTC week (Monday) the range touches, quiet ones included. */
  weeks: RouteWeek[];
}

export interface RouteWeek {
  /** The Monday (UTC) the week starts, YYYY-MM-DD. */
  week: string;
  notifications: number;
  /** The alerts those notifications carried (ids, see `alerts`). */
  alertIds: string[];
}

export interface PlannedAlert {
  alertId: string;
  /** "psi · amount · channel=web"; a model-level check says "(model)" for its feature. */
  subject: string;
  severity: string;
  /** Notices by kind (firing, escalated, repeated, resolved) across every route. */
  notices: Record<string, number>;
  firstWindowEnd: string;
}

const NO_ALERTING: AlertingPlan = {
  forWindows: 1,
  resolveAfterWindows: 1,
  repeatIntervalMs: 4 * 3_600_000,
  sendResolved: true,
  routes: [],
};

export interface AlertPlanner {
  /**
   * One replayed window's verdicts, oldest first: whole records, or for quiet verdicts
   * (ok, insufficient_data, awaiting_data) their status alone (ResultStatus).
   */
  add(windowStart: Date, windowEnd: Date, results: readonly KeptResult[]): void;
  plan(range: { from: Date; to: Date }): AlertPlan;
}

export function createAlertPlanner(monitor: MonitorPlan): AlertPlanner {
  const alerting = monitor.alerting ?? NO_ALERTING;
  const destinations = destinationsOf(alerting.routes, monitor.webhooks ?? {}, monitor.receivers);
  const alerts = new Map<string, Alert>();
  const lastTriggers = new Map<string, Date>();
  const triggered = new Map<string, Map<string, Date>>();
  const sent: { destination: string; windowEnd: Date; alertIds: string[] }[] = [];
  const planned = new Map<string, PlannedAlert>();
  // the alerts above by check, feature and slice: a status is matched to its alert without a hash
  const known = new Set<string>();

  function add(windowStart: Date, windowEnd: Date, results: readonly KeptResult[]): void {
    const first = results.find(isWholeResult);
    const info = {
      monitor: monitor.monitor,
      model: monitor.model,
      windowStart,
      windowEnd,
      monitorHash: first?.monitorHash ?? monitor.hash,
      baseline: first?.baseline ?? '',
      baselineVersion: first?.baselineVersion ?? 0,
    };
    const run: StoredRun = { ...info, results: lifecycleInput(results, info, known) };
    const outcome = advanceWindow([...alerts.values()], run, {
      settings: alerting,
      checks: monitor.checks,
      silences: [],
      acknowledged: new Set(),
      now: windowEnd,
    });
    for (const alert of outcome.changed) {
      alerts.set(alert.alertId, alert);
      known.add(subjectKey(alert));
    }
    // as the live stage: Alertmanager is told again of every announced alert still firing
    const firing = [...alerts.values()].filter(
      (alert) => alert.state === 'firing' && alert.lastNotifiedAt !== null,
    );
    const notifications = routeNotices(outcome, {
      run,
      destinations,
      lastTriggers,
      triggered,
      firing,
    });
    for (const notification of notifications) {
      sent.push({
        destination: notification.destination,
        windowEnd,
        alertIds: notification.alertIds,
      });
      if (notification.kind === 'trigger') {
        lastTriggers.set(notification.destination, windowEnd);
        const told = triggered.get(notification.destination) ?? new Map<string, Date>();
        for (const id of notification.alertIds) told.set(id, windowEnd);
        triggered.set(notification.destination, told);
      }
    }
    for (const notice of outcome.notices) {
      if (!notifications.some((n) => n.alertIds.includes(notice.alert.alertId))) continue;
      const entry = planned.get(notice.alert.alertId) ?? {
        alertId: notice.alert.alertId,
        subject: subjectOf(notice.alert),
        severity: notice.alert.severity ?? 'warn',
        notices: {},
        firstWindowEnd: windowEnd.toISOString(),
      };
      entry.notices[notice.kind] = (entry.notices[notice.kind] ?? 0) + 1;
      if (notice.alert.severity === 'critical') entry.severity = 'critical';
      planned.set(entry.alertId, entry);
    }
  }

  function plan(range: { from: Date; to: Date }): AlertPlan {
    const weeks = weeksOf(range.from, range.to);
    const routes = destinations.map((destination) => {
      const mine = sent.filter((row) => row.destination === destination.key);
      return {
        destination: destination.key,
        channel: destination.channel,
        notifications: mine.length,
        weeks: weeks.map((week) => {
          const inWeek = mine.filter((row) => weekOf(row.windowEnd) === week);
          return {
            week,
            notifications: inWeek.length,
            alertIds: [...new Set(inWeek.flatMap((row) => row.alertIds))].sort(),
          };
        }),
      };
    });
    return { routes, alerts: [...planned.values()] };
  }

  return { add, plan };
}

type Subject = Pick<CheckResult, 'checkId' | 'feature' | 'sliceKey' | 'sliceValue'>;

/** An alert's check, feature and slice as one key (the monitor is the planner's). */
function subjectKey(subject: Subject): string {
  return `${subject.checkId}\u0000${subject.feature}\u0000${subject.sliceKey}\u0000${subject.sliceValue}`;
}

/**
 * What the lifecycle (advanceWindow) is given of a window: every whole record, and a status
 * only where it can change something. A quiet status is clear ("ok") or nothing to an alert,
 * and either leaves an alert never seen before (not among `known`) as it was: inactive, with
 * no event, notice or state worth keeping; such statuses are left out, except one per check
 * that judged data (not awaiting_data), since an alert of that check whose last verdict was
 * "no data" is cleared by it (lifecycle.ts, observeAbsence). A status that is kept becomes a
 * record of nothing measured: the lifecycle reads its identity and status; the values it
 * keeps as the alert's last facts only go into messages, which a plan does not show.
 */
function lifecycleInput(
  results: readonly KeptResult[],
  run: Omit<StoredRun, 'results'>,
  known: ReadonlySet<string>,
): CheckResult[] {
  const input: CheckResult[] = [];
  const judgedData = new Set<string>();
  const judges = (status: string) => status !== 'no_data' && status !== 'awaiting_data';
  const left: ResultStatus[] = [];
  for (const result of results) {
    if (isWholeResult(result) || known.has(subjectKey(result))) {
      input.push(isWholeResult(result) ? result : recordOfStatus(result, run));
      if (judges(result.status)) judgedData.add(result.checkId);
    } else if (judges(result.status)) left.push(result);
  }
  for (const result of left) {
    if (judgedData.has(result.checkId)) continue;
    judgedData.add(result.checkId);
    input.push(recordOfStatus(result, run));
  }
  return input;
}

function recordOfStatus(result: ResultStatus, run: Omit<StoredRun, 'results'>): CheckResult {
  return {
    ...NULL_FIELDS,
    monitor: run.monitor,
    model: run.model,
    windowStart: run.windowStart,
    windowEnd: run.windowEnd,
    checkId: result.checkId,
    metric: result.metric,
    feature: result.feature,
    sliceKey: result.sliceKey,
    sliceValue: result.sliceValue,
    status: result.status,
    correction: 'none',
    nReference: 0,
    nCurrent: 0,
    baseline: run.baseline,
    baselineVersion: run.baselineVersion,
    monitorHash: run.monitorHash,
    details: {},
  };
}

function subjectOf(alert: Alert): string {
  return [alert.checkId, alert.feature || '(model)', sliceLabel(alert)].join(' · ');
}

const DAY = 86_400_000;

/** The Monday (UTC) of the week holding `at`, YYYY-MM-DD (a window belongs to its end's week). */
export function weekOf(at: Date): string {
  const day = Math.floor((at.getTime() - 1) / DAY); // a window ending at 00:00 is the day before's
  const monday = day - ((new Date(day * DAY).getUTCDay() + 6) % 7);
  return new Date(monday * DAY).toISOString().slice(0, 10);
}

function weeksOf(from: Date, to: Date): string[] {
  const last = Date.parse(weekOf(to));
  const weeks: string[] = [];
  for (
    let monday = Date.parse(weekOf(new Date(from.getTime() + 1)));
    monday <= last;
    monday += 7 * DAY
  )
    weeks.push(new Date(monday).toISOString().slice(0, 10));
  return weeks;
}

/** The plan as the API answers it (snake_case), and back (the CLI through a service). */
export interface AlertPlanJson {
  routes: {
    destination: string;
    channel: string;
    notifications: number;
    weeks: { week: string; notifications: number; alert_ids: string[] }[];
  }[];
  alerts: {
    alert_id: string;
    subject: string;
    severity: string;
    notices: Record<string, number>;
    first_window_end: string;
  }[];
}

export function alertPlanToJson(plan: AlertPlan): AlertPlanJson {
  return {
    routes: plan.routes.map((route) => ({
      destination: route.destination,
      channel: route.channel,
      notifications: route.notifications,
      weeks: route.weeks.map((week) => ({
        week: week.week,
        notifications: week.notifications,
        alert_ids: week.alertIds,
      })),
    })),
    alerts: plan.alerts.map((alert) => ({
      alert_id: alert.alertId,
      subject: alert.subject,
      severity: alert.severity,
      notices: alert.notices,
      first_window_end: alert.firstWindowEnd,
    })),
  };
}

export function alertPlanFromJson(json: AlertPlanJson): AlertPlan {
  return {
    routes: json.routes.map((route) => ({
      destination: route.destination,
      channel: route.channel,
      notifications: route.notifications,
      weeks: route.weeks.map((week) => ({
        week: week.week,
        notifications: week.notifications,
        alertIds: week.alert_ids,
      })),
    })),
    alerts: json.alerts.map((alert) => ({
      alertId: alert.alert_id,
      subject: alert.subject,
      severity: alert.severity,
      notices: alert.notices,
      firstWindowEnd: alert.first_window_end,
    })),
  };
}

/**
 * The plan as `driftwatch backtest` prints it: per route, notifications per week and the
 * alerts they carried; then each alert once, with what it would have said.
 */
export function describeAlertPlan(plan: AlertPlan): string {
  if (plan.routes.length === 0)
    return 'alerts: the monitor has no routes: nobody would have been notified\n';
  const short = (id: string) => id.slice(0, 8);
  const lines = ['notifications each route would have received (alerts on, no silences):'];
  for (const route of plan.routes) {
    lines.push(`  ${route.destination}: ${route.notifications} in all`);
    for (const week of route.weeks)
      lines.push(
        `    week of ${week.week}: ${week.notifications}${week.alertIds.length > 0 ? `  (${week.alertIds.map(short).join(', ')})` : ''}`,
      );
  }
  if (plan.alerts.length > 0) {
    lines.push('alerts:');
    for (const alert of plan.alerts) {
      const said = Object.entries(alert.notices)
        .map(([kind, n]) => `${n} ${kind}`)
        .join(', ');
      lines.push(
        `  ${short(alert.alertId)}  ${alert.severity.padEnd(8)} ${alert.subject}  (${said}; first ${alert.firstWindowEnd})`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}
