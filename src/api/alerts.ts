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
}
