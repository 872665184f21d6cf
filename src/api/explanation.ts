import { Type, type Static, type TSchema } from 'typebox';
import { Result } from './schemas.js';

/**
 * An alert's explanation as the API, the CLI's JSON and the dashboard show it (GET
 * /v1/alerts/:alert_id/explanation): what fired and when, the breached window beside the
 * baseline, and the slices and features that explain the shift. src/alerts/explainAlert.ts
 * makes it.
 */
const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const Time = Type.String({ format: 'date-time', description: 'RFC 3339, UTC' });

const Bracket = Type.Object(
  { value: Type.Number(), lower: Type.Number(), upper: Type.Number() },
  {
    title: 'Bracket',
    description: 'a value and a proven bracket containing the exact value (lower = upper: exact)',
  },
);
const CountRange = Type.Object(
  { lower: Type.Number(), upper: Type.Number() },
  { description: 'a count known to lie in [lower, upper] (equal: exact)' },
);

const Transition = Type.Object({
  event: Type.String({ description: 'pending, firing, escalated, repeated, cancelled, resolved' }),
  episode: Type.Integer(),
  from_state: Type.String(),
  to_state: Type.String(),
  severity: Nullable(Type.String()),
  window_start: Time,
  window_end: Time,
  verdict_status: Type.String({ description: "that window's verdict" }),
  value: Nullable(Type.Number()),
  notified: Type.Boolean(),
  suppressed_by: Type.String({ description: 'silence:<id>, acknowledged, or empty' }),
});

const Bin = Type.Object({
  index: Type.Integer(),
  lower_edge: Nullable(Type.Number({ description: 'the bin holds values ≥ this; null: open' })),
  upper_edge: Nullable(Type.Number({ description: 'and < this; null: open' })),
  category: Nullable(Type.String()),
  reference_count: CountRange,
  current_count: CountRange,
  reference_share: Bracket,
  current_share: Bracket,
  psi: Bracket,
  psi_share: Type.Number({ description: "this bin's share of the PSI (its terms' sum)" }),
  jensen_shannon: Bracket,
  jensen_shannon_share: Type.Number({
    description: "this bin's share of the Jensen-Shannon divergence (the distance squared)",
  }),
});

const Distribution = Type.Object(
  {
    kind: Type.String({ description: 'numeric or categorical' }),
    slice: Type.String({ description: 'the alert’s slice: "all" or key=value' }),
    edges: Nullable(Type.Array(Type.Number())),
    categories: Nullable(Type.Array(Type.String())),
    bins: Type.Array(Bin),
    moved_most: Type.Array(Type.Integer(), {
      description: 'bin indexes by their part of PSI, largest first',
    }),
    psi: Bracket,
    jensen_shannon: Bracket,
    new_categories: Type.Array(Type.Object({ category: Type.String(), count: Type.Number() })),
    vanished_categories: Type.Array(Type.Object({ category: Type.String(), count: Type.Number() })),
    ks: Nullable(
      Type.Object(
        {
          x: Type.Number({ description: 'F(x) counts the values at or below x' }),
          reference_cdf: Bracket,
          current_cdf: Bracket,
          gap: Bracket,
          direction: Type.String({
            description:
              'more_below: the window has more mass at or below x (values moved down); less_below: values moved up',
          }),
        },
        { description: 'where the two CDFs differ most: the location of KS’s D' },
      ),
    ),
    sizes: Type.Object({ reference: Type.Number(), current: Type.Number() }),
  },
  { title: 'ExplainedDistribution' },
);

const Attribution = Type.Object(
  {
    statistic: Type.String({
      description:
        'what is split into slices: psi (of the feature, on the whole baseline’s bins), ks (D at its location), null_rate or positive_rate (the shift)',
    }),
    value: Type.Number({ description: 'the whole window’s ("all") value of it' }),
    keys: Type.Array(
      Type.Object({
        key: Type.String(),
        explained: Type.Number({ description: "the sum of this key's contributions" }),
        slices: Type.Array(
          Type.Object({
            slice: Type.String({ description: 'key=value' }),
            contribution: Bracket,
            share: Type.Number({ description: 'contribution over the whole value' }),
            reference_size: Type.Number(),
            current_size: Type.Number(),
            alert_slice: Type.Boolean({ description: 'the slice the alert is about' }),
          }),
          { description: 'largest contribution first; a negative one moved against the shift' },
        ),
      }),
    ),
  },
  { title: 'SliceAttribution' },
);

export const AlertExplanation = Type.Object(
  {
    alert: Type.Object({
      alert_id: Type.String(),
      model: Type.String(),
      monitor: Type.String(),
      check_id: Type.String(),
      metric: Type.String(),
      feature: Type.String({ description: 'empty for checks of the whole window' }),
      slice: Type.String(),
      state: Type.String(),
      severity: Nullable(Type.String()),
      episode: Type.Integer(),
      since: Nullable(Time),
      fired_at: Nullable(Time),
      resolved_at: Nullable(Time),
      last_window_end: Nullable(Time),
    }),
    transitions: Type.Array(Transition, { description: 'every transition, oldest first' }),
    silences: Type.Array(
      Type.Object({
        silence_id: Type.String(),
        by: Type.String({ description: 'who set it' }),
        reason: Type.String({ description: 'why' }),
        since: Time,
        until: Type.String({
          format: 'date-time',
          description: 'when it ends (or was ended early)',
        }),
        matches: Type.Object(
          {
            check_id: Nullable(Type.String()),
            feature: Nullable(Type.String()),
            slice: Nullable(Type.String()),
          },
          { description: 'what it covers within the model (null: any)' },
        ),
      }),
      {
        description:
          'the silences muting this alert now: it still changes state, but sends no notice',
      },
    ),
    window: Nullable(
      Type.Object({
        start: Time,
        end: Time,
        chosen: Type.String({
          description:
            'why this window: fired, escalated, pending (the alert’s latest), or requested (window_end)',
        }),
      }),
    ),
    result: Nullable(Result),
    distribution: Nullable(Distribution),
    attribution: Nullable(Attribution),
    features: Type.Array(
      Type.Object({
        feature: Type.String(),
        kind: Type.String(),
        psi: Nullable(Bracket),
        share: Type.Number({ description: 'its share of the slice’s summed PSI' }),
        drift: Type.Boolean(),
      }),
      {
        description: "the features of the alert's slice by their PSI in the window, largest first",
      },
    ),
    basis: Type.String(),
    notes: Type.Array(Type.String()),
  },
  { title: 'AlertExplanation' },
);
export type AlertExplanation = Static<typeof AlertExplanation>;

export const ExplanationQuery = Type.Object(
  {
    window_end: Type.Optional(
      Type.String({
        format: 'date-time',
        description: 'explain this window (default: the one that fired the alert, or escalated it)',
      }),
    ),
  },
  { additionalProperties: false },
);
