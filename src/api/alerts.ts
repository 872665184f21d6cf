import { Type, type Static } from 'typebox';

/**
 * The seam where alert state plugs into the API, the dashboard and the exports. The API
 * owns these shapes; src/alerts implements `AlertsApi` over its tables and main.ts passes
 * it to buildApp as `alerts`. Without it, the alert routes answer 501 and the dashboard's
 * alerts panel says alerting is not enabled.
 */
export const ALERT_STATES = ['pending', 'firing', 'resolved'] as const;

/** A silence as an alert it covers carries it: who, why, until when. */
export const AlertSilence = Type.Object({
  silence_id: Type.String(),
  by: Type.String({ description: 'who created it' }),
  reason: Type.String({ description: 'why' }),
  until: Type.String({ format: 'date-time', description: 'when it ends' }),
});

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
    episode: Type.Integer({
      description: '1 for the first pending/firing spell, +1 for each new one',
    }),
    since: Type.String({ format: 'date-time' }),
    last_window_end: Type.String({ format: 'date-time' }),
    value: Type.Union([Type.Number(), Type.Null()]),
    acknowledged: Type.Union([
      Type.Object({
        by: Type.String(),
        at: Type.String({ format: 'date-time' }),
        reason: Type.String(),
        comment: Type.String({ description: 'deprecated: the same as reason' }),
      }),
      Type.Null(),
    ]),
    threshold: Type.Union([Type.Number(), Type.Null()], {
      description:
        'the threshold its severity crossed (warn or critical), as in force at its last window; null for a check without a numeric threshold (new categories)',
    }),
    silenced_until: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    silences: Type.Array(AlertSilence, {
      description: 'the active silences that cover it, oldest first (empty: not silenced)',
    }),
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

/**
 * One vocabulary in the CLI and the API: `reason` (why), `by` (who), `for` (how long) or
 * `until` (when it ends). `comment` is the deprecated name of `reason`, still accepted.
 */
const Reason = Type.String({ minLength: 1, maxLength: 2000 });
const By = Type.String({
  minLength: 1,
  maxLength: 200,
  description:
    "who: recorded only by a service without API tokens (the CLI on the same machine); with tokens, the token's name is recorded",
});

export const AcknowledgeBody = Type.Object(
  {
    reason: Type.Optional(
      Type.String({ maxLength: 2000, description: 'why, or what is being done' }),
    ),
    comment: Type.Optional(Type.String({ maxLength: 2000, description: 'deprecated: use reason' })),
    by: Type.Optional(By),
  },
  { additionalProperties: false },
);
export type AcknowledgeBody = Static<typeof AcknowledgeBody>;

export const SilenceBody = Type.Object(
  {
    model: Type.String(),
    check_id: Type.Optional(Type.String()),
    feature: Type.Optional(Type.String()),
    slice: Type.Optional(Type.String({ description: 'web, or channel=web' })),
    for: Type.Optional(
      Type.String({ description: 'how long from now, e.g. 30m, 4h, 2d (or give until)' }),
    ),
    until: Type.Optional(
      Type.String({ format: 'date-time', description: 'when it ends (or give for)' }),
    ),
    reason: Type.Optional({ ...Reason, description: 'why: required' }),
    comment: Type.Optional({ ...Reason, description: 'deprecated: use reason' }),
    by: Type.Optional(By),
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
    starts_at: Type.String({ format: 'date-time' }),
    until: Type.String({ format: 'date-time', description: 'when it ends (or ended)' }),
    by: Type.String({ description: 'who created it' }),
    reason: Type.String({ description: 'why' }),
    comment: Type.String({ description: 'deprecated: the same as reason' }),
    created_at: Type.String({ format: 'date-time' }),
    expired_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
      description: 'when someone ended it early',
    }),
    expired_by: Type.Union([Type.String(), Type.Null()], { description: 'who ended it early' }),
    active: Type.Boolean({ description: 'in force now' }),
  },
  { title: 'Silence' },
);
export type Silence = Static<typeof Silence>;

export const SILENCE_STATES = ['active', 'expired', 'all'] as const;

export const SilencesQuery = Type.Object(
  {
    model: Type.Optional(Type.String()),
    state: Type.Optional(
      Type.Union(
        SILENCE_STATES.map((state) => Type.Literal(state)),
        { description: 'active (default), expired, or all' },
      ),
    ),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
    offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
  },
  { additionalProperties: false },
);
export type SilencesQuery = Static<typeof SilencesQuery>;

export const EndSilenceBody = Type.Object(
  { by: Type.Optional(By) },
  { additionalProperties: false },
);

export const Notification = Type.Object(
  {
    notification_id: Type.String(),
    destination: Type.String(),
    channel: Type.String(),
    kind: Type.String({ description: 'digest, alert, trigger, resolved or test' }),
    model: Type.String(),
    monitor: Type.String(),
    window_end: Type.String({ format: 'date-time' }),
    status: Type.String({ description: 'pending, retrying, delivered or dead' }),
    attempts: Type.Integer(),
    last_error: Type.String(),
    last_attempt_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    created_at: Type.String({ format: 'date-time' }),
    message: Type.Unknown({ description: 'the notification as sent (no secrets)' }),
  },
  { title: 'Notification' },
);
export type Notification = Static<typeof Notification>;

export const NotificationsQuery = Type.Object(
  {
    model: Type.Optional(Type.String()),
    status: Type.Optional(
      Type.Union(
        ['pending', 'retrying', 'delivered', 'dead'].map((status) => Type.Literal(status)),
        { description: 'pending, retrying, delivered or dead' },
      ),
    ),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
  },
  { additionalProperties: false },
);
export type NotificationsQuery = Static<typeof NotificationsQuery>;

export const AlertTestBody = Type.Object(
  {
    timeout_seconds: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 300, default: 60, description: 'give up waiting after' }),
    ),
  },
  { additionalProperties: false },
);

export const AlertTestResult = Type.Object(
  {
    model: Type.String(),
    deliveries: Type.Array(
      Type.Object({
        destination: Type.String(),
        status: Type.String({ description: 'delivered, or how it ended: retrying, dead, pending' }),
        last_error: Type.String(),
      }),
      { description: "one per destination of the model's routes; empty without routes" },
    ),
  },
  { title: 'AlertTestResult' },
);
export type AlertTestResult = Static<typeof AlertTestResult>;

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

export const AlertDetail = Type.Object(
  {
    alert: Alert,
    events: Type.Array(AlertEvent, { description: 'its audit trail, oldest first' }),
    acknowledgements: Type.Array(
      Type.Object({
        episode: Type.Integer(),
        by: Type.String(),
        at: Type.String({ format: 'date-time' }),
        reason: Type.String(),
      }),
    ),
  },
  { title: 'AlertDetail' },
);
export type AlertDetail = Static<typeof AlertDetail>;

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

/**
 * What operators do with alerts, once for the API, the dashboard and the CLI: the service
 * implements it over its store (src/alerts/alertsApi.ts), and the CLI calls the same
 * methods on the store, or through the running service's API when that holds the store.
 * Alert ids may be given as a unique prefix (like git); a prefix that names none or several
 * is an AlertLookupError with the candidates.
 */
export interface AlertsApi {
  list(filter: {
    model?: string;
    states?: readonly string[];
    limit: number;
    offset: number;
  }): Promise<{ items: Alert[]; total: number }>;
  /** One alert, by id or unique prefix, with its audit trail and acknowledgements. */
  get(alertId: string): Promise<AlertDetail>;
  /** `by` is the token's name, never the token. The alert as it is after. */
  acknowledge(alertId: string, by: string, reason: string): Promise<Alert>;
  silence(request: SilenceRequest): Promise<Silence>;
  silences(filter: {
    model?: string;
    state: (typeof SILENCE_STATES)[number];
    limit: number;
    offset: number;
  }): Promise<{ items: Silence[]; total: number }>;
  /** Ends a silence now; undefined when there is no such silence. */
  endSilence(silenceId: string, by: string): Promise<Silence | undefined>;
  notifications(filter: {
    model?: string;
    status?: string;
    limit: number;
  }): Promise<Notification[]>;
  /** One test notification through each of the model's routes, and how each went. */
  test(model: string, timeoutSeconds: number): Promise<AlertTestResult>;
  /** The audit trail, oldest first: each transition or notice with the run that caused it. */
  events(filter: AlertEventFilter): Promise<{ items: AlertEvent[]; total: number }>;
}

/** A silence as asked for: `reason` and `by` required, and its end as `for` or `until`. */
export interface SilenceRequest {
  model: string;
  checkId?: string;
  feature?: string;
  slice?: string;
  /** Milliseconds from now, or the time it ends. */
  end: { forMs: number } | { until: Date };
  reason: string;
  by: string;
}
