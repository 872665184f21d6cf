import { describe, expect, it } from 'vitest';
import {
  pagerdutyEventErrors,
  postableAlertsProblems,
  teamsMessageProblems,
} from '../../../test/helpers/alertReceivers.js';
import type { NotificationItem, NotificationMessage } from '../notification.js';
import { alertmanagerAlerts, alertNameOf } from './alertmanager.js';
import { pagerdutyEvents, pagerdutySeverity } from './pagerduty.js';
import { renderTeamsMessage, TEAMS_ITEM_CAP } from './teams.js';
import { linksFor } from './text.js';

/**
 * The bodies the on-call channels send, each checked by its protocol's own rules (the
 * stand-ins' validators: PagerDuty's documented event rules, Microsoft's Adaptive Card
 * parser, Alertmanager's OpenAPI postableAlerts and its alert validation).
 */
const LINKS = linksFor('https://dw.example.com/', 'fraud');
const KEY = 'R0123456789abcdef0123456789abcd'.padEnd(32, 'f');
const ALERT_ID = '0123456789abcdef0123456789abcdef';

function item(overrides: Partial<NotificationItem> = {}): NotificationItem {
  return {
    alert_id: ALERT_ID,
    event: 'firing',
    state: 'firing',
    severity: 'critical',
    episode: 1,
    check: 'psi',
    metric: 'psi',
    feature: 'amount',
    slice: { key: 'channel', value: 'web' },
    status: 'critical',
    value: 0.8039,
    value_lower: null,
    value_upper: null,
    band_lower: null,
    band_upper: null,
    estimated_value: null,
    p_value: null,
    adjusted_p_value: null,
    warn_threshold: 0.1,
    critical_threshold: 0.25,
    effect: null,
    min_effect: null,
    n_reference: 20000,
    n_current: 1510,
    note: null,
    consecutive_windows: 2,
    since: '2026-11-22T11:00:00.000Z',
    fired_at: '2026-11-22T11:30:00.000Z',
    resolved_at: null,
    ...overrides,
  };
}

function message(items: NotificationItem[], overrides: Partial<NotificationMessage> = {}) {
  const base: NotificationMessage = {
    type: 'alerts',
    model: 'fraud',
    monitor: 'fraud',
    severity: 'critical',
    window: { start: '2026-11-22T11:30:00.000Z', end: '2026-11-22T12:00:00.000Z' },
    baseline: { name: 'file:fraud.csv', version: 2 },
    monitor_hash: 'abc',
    items,
  };
  return { ...base, ...overrides };
}

const NO_DATA = item({
  check: 'null_rate',
  metric: 'null_rate',
  feature: '',
  slice: { key: '', value: 'all' },
  status: 'no_data',
  value: null,
  warn_threshold: null,
  critical_threshold: 0.05,
});

describe('PagerDuty events', () => {
  it('triggers with the alert id as dedup_key, what fired and where, and links to why', () => {
    const [event, ...rest] = pagerdutyEvents(
      { id: 'msg_1', kind: 'alert', message: message([item()]) },
      KEY,
      LINKS,
    );
    expect(rest).toEqual([]);
    expect(pagerdutyEventErrors(JSON.stringify(event))).toEqual([]);
    expect(event).toMatchObject({
      routing_key: KEY,
      event_action: 'trigger',
      dedup_key: ALERT_ID,
      payload: {
        summary: 'fraud psi · amount · channel=web: 0.8039 ≥ 0.25',
        source: 'fraud',
        severity: 'critical',
        timestamp: '2026-11-22T12:00:00.000Z',
        component: 'amount',
        group: 'channel=web',
        class: 'psi',
        custom_details: { check: 'psi', value: 0.8039, threshold: 0.25, consecutive_windows: 2 },
      },
      client: 'driftwatch',
      links: [
        { href: `https://dw.example.com/dashboard/alerts/${ALERT_ID}` },
        { href: 'https://dw.example.com/dashboard/models/fraud' },
      ],
    });
  });

  it('maps severities (no_data of a critical check is error) and leaves links out without a public URL', () => {
    expect(pagerdutySeverity(item())).toBe('critical');
    expect(pagerdutySeverity(item({ severity: 'warn', status: 'warn' }))).toBe('warning');
    expect(pagerdutySeverity(NO_DATA)).toBe('error');
    expect(pagerdutySeverity({ ...NO_DATA, severity: 'warn' })).toBe('warning');
    const [event] = pagerdutyEvents(
      { id: 'm', kind: 'alert', message: message([NO_DATA]) },
      KEY,
      null,
    );
    expect(pagerdutyEventErrors(JSON.stringify(event))).toEqual([]);
    expect(event?.payload?.summary).toBe('fraud null_rate · (model) · all: no data');
    expect(event?.payload).not.toHaveProperty('component');
    expect(event).not.toHaveProperty('links');
    expect(event).not.toHaveProperty('client_url');
  });

  it('resolves and acknowledges by the same dedup_key; a test triggers info and resolves it', () => {
    const resolved = pagerdutyEvents(
      {
        id: 'm',
        kind: 'resolved',
        message: message([item({ event: 'resolved', state: 'resolved' })]),
      },
      KEY,
      LINKS,
    );
    expect(resolved).toEqual([{ routing_key: KEY, event_action: 'resolve', dedup_key: ALERT_ID }]);
    const ack = pagerdutyEvents(
      { id: 'm', kind: 'acknowledge', message: message([item({ event: 'repeated' })]) },
      KEY,
      LINKS,
    );
    expect(ack).toEqual([{ routing_key: KEY, event_action: 'acknowledge', dedup_key: ALERT_ID }]);
    const test = pagerdutyEvents(
      { id: 'msg_t', kind: 'test', message: message([], { type: 'test', severity: null }) },
      KEY,
      LINKS,
    );
    expect(
      test.map((event) => [event.event_action, event.dedup_key, event.payload?.severity]),
    ).toEqual([
      ['trigger', 'driftwatch-test-msg_t', 'info'],
      ['resolve', 'driftwatch-test-msg_t', undefined],
    ]);
    for (const event of [...resolved, ...ack, ...test])
      expect(pagerdutyEventErrors(JSON.stringify(event))).toEqual([]);
  });

  it('the validator refuses what PagerDuty refuses', () => {
    expect(pagerdutyEventErrors('{"event_action":"trigger"}')).toEqual([
      "'routing_key' is invalid (must be 32 characters)",
      "'payload' is missing",
    ]);
    expect(
      pagerdutyEventErrors(JSON.stringify({ routing_key: KEY, event_action: 'resolve' })),
    ).toEqual(["'dedup_key' is required for resolve events"]);
  });
});

describe('Teams Adaptive Cards', () => {
  it('a valid Adaptive Card 1.4 saying what fired, where, value against threshold, the window and a link', () => {
    const body = renderTeamsMessage(message([item(), NO_DATA]), LINKS);
    const { problems, card } = teamsMessageProblems(JSON.stringify(body));
    expect(problems).toEqual([]);
    expect(card).toMatchObject({ type: 'AdaptiveCard', version: '1.4' });
    const text = JSON.stringify(card);
    for (const shown of [
      'CRITICAL · fraud',
      '2 firing',
      'Window',
      '2026-11-22T11:30:00.000Z .. 2026-11-22T12:00:00.000Z',
      'firing: psi',
      '"Feature","value":"amount"',
      '"Slice","value":"channel=web"',
      '0.8039 ≥ 0.25',
      '(model-level check)',
      'no data',
      'https://dw.example.com/dashboard/models/fraud',
    ])
      expect(text).toContain(shown);
  });

  it('resolved cards, a test card, a cap, escaped names, and no buttons without a public URL', () => {
    const resolved = renderTeamsMessage(
      message([item({ event: 'resolved', resolved_at: '2026-11-22T12:00:00.000Z' })]),
      null,
    );
    expect(teamsMessageProblems(JSON.stringify(resolved)).problems).toEqual([]);
    expect(JSON.stringify(resolved)).toContain('RESOLVED · fraud');
    expect(resolved.attachments[0]?.content).not.toHaveProperty('actions');
    const test = renderTeamsMessage(message([], { type: 'test', severity: null }), LINKS);
    expect(teamsMessageProblems(JSON.stringify(test)).problems).toEqual([]);
    expect(JSON.stringify(test)).toContain('TEST · fraud');
    const many = renderTeamsMessage(
      message(
        Array.from({ length: 40 }, (_, i) => item({ feature: `f_${i}_*x*`, alert_id: `${i}` })),
      ),
      LINKS,
    );
    const json = JSON.stringify(many);
    expect(teamsMessageProblems(json).problems).toEqual([]);
    expect(json).toContain(`and ${40 - TEAMS_ITEM_CAP} more`);
    expect(json).toContain('f\\\\_0\\\\_\\\\*x\\\\*');
  });

  it('the validator refuses what is not a card', () => {
    expect(teamsMessageProblems('{"text":"hi"}').problems).toEqual(['type must be "message"']);
    const bad = {
      type: 'message',
      attachments: [
        {
          contentType: 'application/vnd.microsoft.card.adaptive',
          content: {
            type: 'AdaptiveCard',
            version: '1.4',
            body: [{ type: 'TextBlok', text: 'x' }],
          },
        },
      ],
    };
    expect(teamsMessageProblems(JSON.stringify(bad)).problems.join()).toMatch(/TextBlok/);
  });
});

describe('Alertmanager alerts', () => {
  const now = new Date('2026-11-22T12:03:00.000Z');
  const options = { links: LINKS, now, validForMs: 4 * 15 * 60_000 };

  it('stable labels, facts in annotations, endsAt four intervals ahead while firing', () => {
    const [alert, ...rest] = alertmanagerAlerts(message([item()]), options);
    expect(rest).toEqual([]);
    expect(postableAlertsProblems(JSON.stringify([alert]))).toEqual([]);
    expect(alert).toEqual({
      labels: {
        alertname: 'DriftwatchPsi',
        model: 'fraud',
        monitor: 'fraud',
        check: 'psi',
        feature: 'amount',
        slice: 'channel=web',
        severity: 'critical',
      },
      annotations: {
        summary: 'fraud psi · amount · channel=web: 0.8039 ≥ 0.25',
        description:
          'psi on amount in slice channel=web; window 2026-11-22T11:30:00.000Z .. 2026-11-22T12:00:00.000Z; baseline file:fraud.csv v2; 2 breaching window(s) since 2026-11-22T11:00:00.000Z',
        status: 'critical',
        value: '0.8039',
        threshold: '0.25',
        window_start: '2026-11-22T11:30:00.000Z',
        window_end: '2026-11-22T12:00:00.000Z',
        alert_id: ALERT_ID,
        explanation_url: `https://dw.example.com/dashboard/alerts/${ALERT_ID}`,
      },
      startsAt: '2026-11-22T11:30:00.000Z',
      endsAt: '2026-11-22T13:03:00.000Z',
      generatorURL: 'https://dw.example.com/dashboard/models/fraud',
    });
    expect(alertNameOf('null_rate')).toBe('DriftwatchNullRate');
  });

  it('a resolution ends at its window; an escalation ends the warning alert and starts the critical one', () => {
    const [resolved] = alertmanagerAlerts(
      message([item({ event: 'resolved', resolved_at: '2026-11-22T12:00:00.000Z' })]),
      options,
    );
    expect(resolved?.endsAt).toBe('2026-11-22T12:00:00.000Z');
    const escalated = alertmanagerAlerts(message([item({ event: 'escalated' })]), options);
    expect(postableAlertsProblems(JSON.stringify(escalated))).toEqual([]);
    expect(escalated.map((alert) => [alert.labels.severity, alert.endsAt])).toEqual([
      ['warning', '2026-11-22T12:00:00.000Z'],
      ['critical', '2026-11-22T13:03:00.000Z'],
    ]);
    const [noData] = alertmanagerAlerts(message([NO_DATA]), { ...options, links: null });
    expect(noData?.labels).not.toHaveProperty('feature');
    expect(noData?.annotations.status).toBe('no_data');
    expect(noData).not.toHaveProperty('generatorURL');
    const [test] = alertmanagerAlerts(message([], { type: 'test', severity: null }), options);
    expect(test?.labels).toEqual({
      alertname: 'DriftwatchTest',
      model: 'fraud',
      monitor: 'fraud',
      severity: 'info',
    });
    expect(postableAlertsProblems(JSON.stringify([test]))).toEqual([]);
  });

  it('the validator refuses what Alertmanager refuses', () => {
    expect(postableAlertsProblems('{"labels":{}}')).toEqual(['body must be array']);
    expect(postableAlertsProblems('[{"labels":{"bad-name":"x"}}]')).toEqual([
      '[0]: invalid label name "bad-name"',
    ]);
    expect(
      postableAlertsProblems(
        '[{"labels":{"a":"b"},"startsAt":"2026-01-02T00:00:00Z","endsAt":"2026-01-01T00:00:00Z"}]',
      ),
    ).toEqual(['[0]: start time must be before end time']);
  });
});
