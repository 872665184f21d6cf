import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alert, AlertEventRecord } from '../../src/alerts/alert.js';
import {
  insertAcknowledgement,
  insertAlertEvents,
  insertAlertStates,
} from '../../src/store/alerts.js';
import type { Store } from '../../src/store/clickhouse.js';
import { insertOutbox, recordDeliveryAttempt } from '../../src/store/outbox.js';
import { insertMonitorResults, insertMonitorRun } from '../../src/store/results.js';
import { REPO_ROOT } from '../helpers/cli.js';
import { openTestStore } from '../helpers/store.js';
import { NULL_FIELDS } from '../../src/monitors/checkResult.js';

interface Target {
  rawSql: string;
  format: number;
  queryType: string;
}
interface Dashboard {
  panels: { title: string; type: string; targets: Target[] }[];
  templating: { list: { name: string; query: string }[] };
  annotations: { list: { name: string; target: Target }[] };
}

const dashboard = JSON.parse(
  fs.readFileSync(path.join(REPO_ROOT, 'deploy/grafana/driftwatch.json'), 'utf8'),
) as Dashboard;

/**
 * The query formats of Grafana's ClickHouse plugin (grafana/clickhouse-datasource,
 * src/data/utils.ts: mapQueryTypeToGrafanaFormat, after grafana/sqlds's format options):
 * 0 time series, 1 table, 2 logs, 3 traces. A time series is "long" rows (time, label
 * columns, values) sorted by time, which the plugin turns into one series per label set.
 */
const PLUGIN_FORMATS: Readonly<Record<string, number>> = {
  timeseries: 0,
  table: 1,
  logs: 2,
  traces: 3,
};
/** What each panel type shows. */
const QUERY_TYPE_OF_PANEL: Readonly<Record<string, string>> = {
  timeseries: 'timeseries',
  table: 'table',
};

/** What Grafana's ClickHouse plugin does with the variables and the time macro. */
function expand(sql: string): string {
  return sql
    .replaceAll('${model}', 'fraud-detector')
    .replaceAll('${check}', 'psi')
    .replaceAll('${feature}', 'amount')
    .replace(
      /\$__timeFilter\((\w+)\)/g,
      "$1 >= toDateTime64('2026-11-01 00:00:00', 3) AND $1 <= toDateTime64('2026-12-01 00:00:00', 3)",
    );
}

/**
 * Alert rows as the alert stage writes them: amount's PSI on the web channel fired and
 * escalated (acknowledged, still firing); KS of amount fired and resolved; two notifications,
 * one delivered and one dead.
 */
async function insertAlertTrail(store: Store, end: Date): Promise<void> {
  const identity = (checkId: string) => ({
    monitor: 'fraud-detector',
    model: 'fraud-detector',
    checkId,
    metric: checkId,
    feature: 'amount',
    sliceKey: 'channel',
    sliceValue: 'web',
  });
  const before = new Date(end.getTime() - 1_800_000);
  const alert = (checkId: string, state: Alert['state']): Alert => ({
    ...identity(checkId),
    alertId: `alert-${checkId}`,
    state,
    severity: 'critical',
    episode: 1,
    breachingWindows: state === 'firing' ? 2 : 0,
    clearWindows: state === 'resolved' ? 1 : 0,
    since: before,
    firedAt: before,
    resolvedAt: state === 'resolved' ? end : null,
    lastNotifiedAt: end,
    lastWindowEnd: end,
    last: null,
  });
  await insertAlertStates(store, [alert('psi', 'firing'), alert('ks', 'resolved')]);
  const event = (
    checkId: string,
    at: Date,
    kind: AlertEventRecord['event'],
    from: AlertEventRecord['fromState'],
    to: AlertEventRecord['toState'],
  ): AlertEventRecord => ({
    ...identity(checkId),
    alertId: `alert-${checkId}`,
    episode: 1,
    event: kind,
    fromState: from,
    toState: to,
    severity: 'critical',
    windowStart: new Date(at.getTime() - 1_800_000),
    windowEnd: at,
    monitorHash: 'h',
    baseline: 'b',
    baselineVersion: 1,
    verdictStatus: kind === 'resolved' ? 'ok' : 'critical',
    value: 0.4,
    notified: true,
    suppressedBy: '',
    outboxIds: ['msg_1'],
  });
  await insertAlertEvents(store, [
    event('psi', before, 'firing', 'inactive', 'firing'),
    event('psi', end, 'escalated', 'firing', 'firing'),
    event('ks', before, 'firing', 'inactive', 'firing'),
    event('ks', end, 'resolved', 'firing', 'resolved'),
  ]);
  await insertAcknowledgement(store, {
    alertId: 'alert-psi',
    monitor: 'fraud-detector',
    episode: 1,
    acknowledgedBy: 'oncall',
    reason: 'on it',
    acknowledgedAt: end,
  });
  for (const [id, status] of [
    ['msg_1', 'delivered'],
    ['msg_2', 'dead'],
  ] as const) {
    await insertOutbox(store, [
      {
        id,
        destination: id === 'msg_1' ? 'email:oncall@example.com' : 'slack:#gone',
        channel: id === 'msg_1' ? 'email' : 'slack',
        kind: 'digest',
        monitor: 'fraud-detector',
        model: 'fraud-detector',
        severity: 'critical',
        windowStart: before,
        windowEnd: end,
        alertIds: ['alert-psi'],
        events: ['escalated'],
        message: '{}',
      },
    ]);
    await recordDeliveryAttempt(store, {
      outboxId: id,
      attempt: 1,
      status,
      error: status === 'dead' ? 'Slack refused the message: channel_not_found' : '',
      responseStatus: 200,
      nextAttemptAt: null,
      durationMs: 5,
      attemptedAt: end,
    });
  }
}

describe('the Grafana dashboard', () => {
  let store: Store;
  beforeAll(async () => {
    store = await openTestStore();
    const end = new Date('2026-11-22T10:00:00Z');
    await insertMonitorRun(store, {
      monitor: 'fraud-detector',
      windowStart: new Date(end.getTime() - 1_800_000),
      windowEnd: end,
      status: 'critical',
      checks: 2,
      breaches: 1,
      durationMs: 5,
      monitorHash: 'h',
    });
    await insertMonitorResults(
      store,
      ['all', 'web'].map((slice) => ({
        ...NULL_FIELDS,
        monitor: 'fraud-detector',
        model: 'fraud-detector',
        windowStart: new Date(end.getTime() - 1_800_000),
        windowEnd: end,
        checkId: 'psi',
        metric: 'psi',
        feature: 'amount',
        sliceKey: slice === 'all' ? '' : 'channel',
        sliceValue: slice,
        status: slice === 'web' ? 'critical' : 'ok',
        value: slice === 'web' ? 0.4 : 0.02,
        correction: 'none',
        warnThreshold: 0.1,
        criticalThreshold: 0.25,
        nReference: 100,
        nCurrent: 100,
        baseline: 'b',
        baselineVersion: 1,
        monitorHash: 'h',
        details: {},
      })),
    );
    await insertAlertTrail(store, end);
  });
  afterAll(async () => store.close());

  it("runs every panel query and variable query over driftwatch's tables", async () => {
    const queries = [
      ...dashboard.panels.flatMap((panel) =>
        panel.targets.map((t) => [panel.title, t.rawSql] as const),
      ),
      ...dashboard.templating.list
        .filter((v) => v.query.startsWith('SELECT'))
        .map((v) => [v.name, v.query] as const),
      ...dashboard.annotations.list.map((a) => [a.name, a.target.rawSql] as const),
    ];
    expect(queries.length).toBeGreaterThanOrEqual(13);
    const answered: Record<string, number> = {};
    for (const [name, sql] of queries) {
      const rows = await store.query<Record<string, unknown>>(expand(sql));
      answered[name] = rows.length;
    }
    expect(answered['Models: status of the newest window (worst first)']).toBe(1);
    expect(answered['Breaches in the time range, newest first']).toBe(1);
    expect(answered.model).toBe(1);
    expect(answered['Open alerts (firing first, then by severity)']).toBe(1);
    expect(answered['Alert transitions of ${model} in the time range, newest first']).toBe(4);
    expect(
      answered['Notifications not delivered (dead, retrying, pending) in the time range'],
    ).toBe(1);
    // The drift panel's markers: PSI of amount fired, then escalated.
    expect(answered['Alert transitions']).toBe(2);
  });

  it("asks for each panel's data in the plugin's format for that panel", () => {
    const targets = [
      ...dashboard.panels.flatMap((panel) =>
        panel.targets.map((target) => ({ where: panel.title, shows: panel.type, target })),
      ),
      // An annotation is a table of events: time, text, tags.
      ...dashboard.annotations.list.map((a) => ({
        where: a.name,
        shows: 'table',
        target: a.target,
      })),
    ];
    const formats = targets.map(({ where, target }) => ({
      where,
      format: target.format,
      queryType: target.queryType,
    }));
    expect(formats).toEqual(
      targets.map(({ where, shows }) => {
        const queryType = QUERY_TYPE_OF_PANEL[shows] ?? `(no panel type ${shows})`;
        return { where, format: PLUGIN_FORMATS[queryType], queryType };
      }),
    );
  });

  it('gives time-series panels rows by time with the slice as a label, one series per slice', async () => {
    const drift = dashboard.panels.find((panel) => panel.title.startsWith('Drift over time'));
    const rows = await store.query<Record<string, unknown>>(
      expand(drift?.targets[0]?.rawSql ?? ''),
    );
    const times = rows.map((row) => String(row.time));
    expect(times).toEqual([...times].sort());
    // The plugin splits long rows by their text columns: here the slice.
    const labels = rows.map((row) =>
      Object.entries(row)
        .filter(([name, value]) => name !== 'time' && typeof value === 'string')
        .map(([name, value]) => `${name}=${String(value)}`)
        .join(','),
    );
    expect(new Set(labels)).toEqual(new Set(['slice=all', 'slice=channel=web']));
    expect(rows.every((row) => typeof row.value === 'number')).toBe(true);
  });

  it('shows who acknowledged an open alert, and why a notification is dead', async () => {
    const sql = (title: string) =>
      expand(
        dashboard.panels.find((panel) => panel.title === title)?.targets[0]?.rawSql ?? 'SELECT 0',
      );
    const [open] = await store.query<Record<string, unknown>>(
      sql('Open alerts (firing first, then by severity)'),
    );
    expect(open).toMatchObject({
      check_id: 'psi',
      slice: 'channel=web',
      state: 'firing',
      severity: 'critical',
      acknowledged_by: 'oncall',
      acknowledgement: 'on it',
    });
    const [dead] = await store.query<Record<string, unknown>>(
      sql('Notifications not delivered (dead, retrying, pending) in the time range'),
    );
    expect(dead).toMatchObject({
      destination: 'slack:#gone',
      status: 'dead',
      last_error: 'Slack refused the message: channel_not_found',
    });
    const annotation = dashboard.annotations.list[0]?.target.rawSql ?? '';
    const marks = await store.query<{ text: string; tags: string }>(expand(annotation));
    expect(marks.map((m) => [m.text, m.tags])).toEqual([
      ['firing (critical): psi of amount on channel=web, value 0.4', 'driftwatch,firing,critical'],
      [
        'escalated (critical): psi of amount on channel=web, value 0.4',
        'driftwatch,escalated,critical',
      ],
    ]);
  });
});
