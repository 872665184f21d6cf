import { Type, type Static } from 'typebox';
import type { Principal } from './auth/tokens.js';

/**
 * The seam where alert state plugs into the API, the dashboard and the exports. The API
 * owns these shapes; src/alerts implements `AlertsApi` over its tables and main.ts passes
 * it to buildApp as `alerts`. Without it, the alert routes answer 501 and the dashboard's
 * alerts panel says alerting is not enabled.
 */
export const ALERT_STATES = ['pending', 'firing', 'resolved'] as const;

export const Alert = Type.Object(
  {
    alert_id: Type.String(),
    model: Type.String(),
    check_id: Type.String(),
    metric: Type.String(),
    feature: Type.String(),
    slice: Type.String({ description: '"all" or key=value' }),
    severity: Type.String({ description: 'warn or critical' }),
    state: Type.String({ description: ALERT_STATES.join(', ') }),
    since: Type.String({ format: 'date-time' }),
    last_window_end: Type.String({ format: 'date-time' }),
    value: Type.Union([Type.Number(), Type.Null()]),
    acknowledged: Type.Union([
      Type.Object({
        by: Type.String(),
        at: Type.String({ format: 'date-time' }),
        comment: Type.String(),
      }),
      Type.Null(),
    ]),
    silenced_until: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  },
  { title: 'Alert' },
);
export type Alert = Static<typeof Alert>;

export const AlertsQuery = Type.Object(
  {
    model: Type.Optional(Type.String()),
    state: Type.Optional(Type.String({ description: 'comma-separated: pending,firing,resolved' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
    offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
  },
  { additionalProperties: false },
);
export type AlertsQuery = Static<typeof AlertsQuery>;

export const AcknowledgeBody = Type.Object(
  { comment: Type.String({ maxLength: 2000, default: '' }) },
  { additionalProperties: false },
);

export const SilenceBody = Type.Object(
  {
    model: Type.String(),
    check_id: Type.Optional(Type.String()),
    feature: Type.Optional(Type.String()),
    slice: Type.Optional(Type.String()),
    until: Type.String({ format: 'date-time' }),
    comment: Type.String({ minLength: 1, maxLength: 2000, description: 'why: required' }),
  },
  { additionalProperties: false },
);
export type SilenceBody = Static<typeof SilenceBody>;

export const Silence = Type.Object(
  {
    silence_id: Type.String(),
    model: Type.String(),
    check_id: Type.Union([Type.String(), Type.Null()]),
    feature: Type.Union([Type.String(), Type.Null()]),
    slice: Type.Union([Type.String(), Type.Null()]),
    until: Type.String({ format: 'date-time' }),
    by: Type.String(),
    comment: Type.String(),
    created_at: Type.String({ format: 'date-time' }),
  },
  { title: 'Silence' },
);
export type Silence = Static<typeof Silence>;

export const ALERT_EVENT_KINDS = [
  'pending',
  'firing',
  'escalated',
  'repeated',
  'cancelled',
  'resolved',
] as const;

export const AlertEvent = Type.Object(
  {
    alert_id: Type.String(),
    model: Type.String(),
    monitor: Type.String(),
    check_id: Type.String(),
    metric: Type.String(),
    feature: Type.String({ description: 'empty for checks of the whole window' }),
    slice: Type.String({ description: '"all" or key=value' }),
    episode: Type.Integer({
      description: '1 for the first pending/firing spell, +1 for each new one',
    }),
    event: Type.String({ description: ALERT_EVENT_KINDS.join(', ') }),
    from_state: Type.String({ description: 'inactive, pending, firing or resolved' }),
    to_state: Type.String({ description: 'pending, firing, resolved or inactive' }),
    severity: Type.Union([Type.String({ description: 'warn or critical' }), Type.Null()]),
    window_start: Type.String({ format: 'date-time' }),
    window_end: Type.String({
      format: 'date-time',
      description: 'the end of the window whose run caused it: where it sits on a time axis',
    }),
    monitor_hash: Type.String({ description: 'SHA-256 of the monitor file of that run' }),
    baseline: Type.String(),
    baseline_version: Type.Integer(),
    verdict_status: Type.String({ description: "that run's verdict for the alert's check" }),
    value: Type.Union([Type.Number(), Type.Null()]),
    notified: Type.Boolean({ description: 'a notification carried it' }),
    suppressed_by: Type.String({
      description: 'why a notice was withheld: silence:<id>, acknowledged, or empty',
    }),
    recorded_at: Type.String({ format: 'date-time' }),
  },
  { title: 'AlertEvent' },
);
export type AlertEvent = Static<typeof AlertEvent>;

export const AlertEventsQuery = Type.Object(
  {
    model: Type.Optional(Type.String()),
    alert_id: Type.Optional(Type.String()),
    check_id: Type.Optional(Type.String()),
    feature: Type.Optional(Type.String({ description: 'empty: checks of the whole window' })),
    slice: Type.Optional(Type.String({ description: '"all" or key=value' })),
    event: Type.Optional(
      Type.String({ description: `comma-separated: ${ALERT_EVENT_KINDS.join(',')}` }),
    ),
    from: Type.Optional(Type.String({ format: 'date-time', description: 'window_end after' })),
    to: Type.Optional(Type.String({ format: 'date-time', description: 'window_end at or before' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
    offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
  },
  { additionalProperties: false },
);
export type AlertEventsQuery = Static<typeof AlertEventsQuery>;

export interface AlertEventFilter {
  model?: string;
  alertId?: string;
  checkId?: string;
  feature?: string;
  slice?: { key: string; value: string };
  events?: readonly (typeof ALERT_EVENT_KINDS)[number][];
  from?: Date;
  to?: Date;
  limit: number;
  offset: number;
}

export interface AlertsApi {
  list(filter: {
    model?: string;
    states?: readonly string[];
    limit: number;
    offset: number;
  }): Promise<{ items: Alert[]; total: number }>;
  /** undefined when no such alert. `by` is the token's name, never the token. */
  acknowledge(alertId: string, by: Principal, comment: string): Promise<Alert | undefined>;
  silence(request: SilenceBody, by: Principal): Promise<Silence>;
  /** The audit trail, oldest first: each transition or notice with the run that caused it. */
  events(filter: AlertEventFilter): Promise<{ items: AlertEvent[]; total: number }>;
}
