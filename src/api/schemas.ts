import { Type, type Static, type TSchema } from 'typebox';
import {
  CHECK_STATUSES,
  FIELD_LIST,
  type CheckResultJson,
  type FieldSpec,
} from '../monitors/checkResult.js';

/**
 * The shapes the API speaks, one definition each: TypeBox builds the JSON Schema that
 * validates requests, whitelists responses and fills /openapi.json, and the TypeScript
 * type the handlers see. snake_case fields, RFC 3339 times.
 */
export const Time = Type.String({ format: 'date-time', description: 'RFC 3339, UTC' });
const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const NullableNumber = Nullable(Type.Number());

export const STATUSES = CHECK_STATUSES;
export const Status = Type.String({
  description: `a check's verdict: ${STATUSES.join(', ')} (a model never run: unknown)`,
  examples: ['critical'],
});

export const ModelParams = Type.Object({ model: Type.String({ minLength: 1, maxLength: 200 }) });
export type ModelParams = Static<typeof ModelParams>;

export const PageQuery = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
  offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000_000, default: 0 })),
};

/** Every list answers with the page, the total that matched and where the next page starts. */
export const PageOf = <T extends TSchema>(item: T, title: string) =>
  Type.Object(
    {
      items: Type.Array(item),
      total: Type.Integer({ description: 'rows matching the filter, over all pages' }),
      limit: Type.Integer(),
      offset: Type.Integer(),
      next_offset: Nullable(
        Type.Integer({ description: 'offset of the next page; null on the last' }),
      ),
    },
    { title },
  );

/** A check result's field in the API: its JSON spelling, described as the record says. */
function resultProperty(spec: FieldSpec): TSchema {
  const description = spec.description;
  if (spec.column === 'status') return Status;
  const schema = (): TSchema => {
    switch (spec.type) {
      case 'string':
      case 'enum':
        return Type.String({ description });
      case 'integer':
        return Type.Integer({ description });
      case 'number':
        return Type.Number({ description });
      case 'time':
        return Type.String({ format: 'date-time', description: `${description}, RFC 3339, UTC` });
      case 'json':
        return Type.Record(Type.String(), Type.Unknown(), {
          description: `${description}, as JSON`,
        });
    }
  };
  return spec.nullable ? Type.Union([schema(), Type.Null()], { description }) : schema();
}

/** A check result, derived from its field table (monitors/checkResult.ts). */
export const Result = Type.Unsafe<CheckResultJson>(
  Type.Object(
    Object.fromEntries(FIELD_LIST.map(([, spec]) => [spec.column, resultProperty(spec)])),
    { title: 'Result' },
  ),
);
export type Result = Static<typeof Result>;

export const ResultsQuery = Type.Object(
  {
    model: Type.Optional(Type.String()),
    check_id: Type.Optional(Type.String()),
    feature: Type.Optional(Type.String()),
    slice: Type.Optional(
      Type.String({ description: '"all", a value ("web") or key=value ("channel=web")' }),
    ),
    metric: Type.Optional(
      Type.String({ description: 'one metric (psi, ks, null_rate...); another name is a 400' }),
    ),
    status: Type.Optional(
      Type.String({
        description: `comma-separated statuses (${STATUSES.join(', ')}), e.g. warn,critical; another value is a 400`,
      }),
    ),
    from: Type.Optional(Type.String({ format: 'date-time', description: 'window_end after this' })),
    to: Type.Optional(
      Type.String({ format: 'date-time', description: 'window_end at or before this' }),
    ),
    ...PageQuery,
  },
  { additionalProperties: false },
);
export type ResultsQuery = Static<typeof ResultsQuery>;

export const Run = Type.Object(
  {
    monitor: Type.String(),
    window_start: Time,
    window_end: Time,
    status: Status,
    checks: Type.Integer(),
    breaches: Type.Integer(),
    duration_ms: Type.Integer(),
    monitor_hash: Type.String(),
  },
  { title: 'Run' },
);
export type Run = Static<typeof Run>;

export const Check = Type.Object({
  id: Type.String(),
  metric: Type.String(),
  features: Type.Array(Type.String()),
  warn: NullableNumber,
  critical: NullableNumber,
});

export const ModelSummary = Type.Object(
  {
    model: Type.String(),
    monitor: Type.String(),
    monitor_hash: Type.String({ description: 'SHA-256 of the monitor file loaded now' }),
    monitor_file: Nullable(Type.String()),
    schedule: Type.String(),
    window_seconds: Type.Integer(),
    checks: Type.Integer(),
    status: Type.String({
      description: 'the newest window\'s verdict, or "unknown" before any run',
    }),
    last_run: Nullable(
      Type.Object({
        window_end: Time,
        finished_at: Time,
        checks: Type.Integer(),
        breaches: Type.Integer(),
        monitor_hash: Type.String(),
      }),
    ),
    runs: Type.Integer(),
  },
  { title: 'ModelSummary' },
);
export type ModelSummary = Static<typeof ModelSummary>;

export const ModelDetail = Type.Object(
  {
    ...ModelSummary.properties,
    features: Type.Array(Type.Object({ name: Type.String(), kind: Type.String() })),
    slices: Type.Array(Type.Array(Type.String())),
    check_list: Type.Array(Check),
    latest: Type.Array(Result, { description: 'every result of the newest window' }),
  },
  { title: 'ModelDetail' },
);
export type ModelDetail = Static<typeof ModelDetail>;

/** A slice and an optional time range: what a model's over-time routes (labels, performance) take. */
export const SliceTimeRangeQuery = Type.Object(
  {
    slice: Type.Optional(Type.String({ default: 'all' })),
    from: Type.Optional(Type.String({ format: 'date-time' })),
    to: Type.Optional(Type.String({ format: 'date-time' })),
  },
  { additionalProperties: false },
);

export const SeriesQuery = Type.Object(
  {
    check_id: Type.String(),
    feature: Type.Optional(Type.String({ default: '' })),
    slice: Type.Optional(Type.String({ default: 'all' })),
    from: Type.Optional(Type.String({ format: 'date-time' })),
    to: Type.Optional(Type.String({ format: 'date-time' })),
    max_points: Type.Optional(Type.Integer({ minimum: 10, maximum: 10_000, default: 2000 })),
  },
  { additionalProperties: false },
);
export type SeriesQuery = Static<typeof SeriesQuery>;

export const SeriesPoint = Type.Object({
  window_end: Time,
  value: NullableNumber,
  value_min: NullableNumber,
  value_max: NullableNumber,
  status: Status,
  warn_threshold: NullableNumber,
  critical_threshold: NullableNumber,
  n_current: Type.Integer(),
  windows: Type.Integer({ description: 'windows merged into this point' }),
});

export const Series = Type.Object(
  {
    model: Type.String(),
    check_id: Type.String(),
    feature: Type.String(),
    slice: Type.String(),
    bucket_seconds: Type.Integer({ description: '0 when every point is one window' }),
    points: Type.Array(SeriesPoint),
  },
  { title: 'Series' },
);

export const HistogramQuery = Type.Object(
  {
    feature: Type.String(),
    slice: Type.Optional(Type.String({ default: 'all' })),
    window_end: Type.Optional(Type.String({ format: 'date-time', description: 'default: newest' })),
  },
  { additionalProperties: false },
);
export type HistogramQuery = Static<typeof HistogramQuery>;

export const Histogram = Type.Object(
  {
    model: Type.String(),
    feature: Type.String(),
    slice: Type.String(),
    window_start: Time,
    window_end: Time,
    baseline: Type.String(),
    baseline_version: Type.Integer(),
    edges: Nullable(Type.Array(Type.Number())),
    categories: Nullable(Type.Array(Type.String())),
    reference: Type.Array(Type.Number()),
    current: Type.Array(Type.Number()),
  },
  { title: 'Histogram' },
);

export const LabelSeries = Type.Object(
  {
    model: Type.String(),
    slice: Type.String(),
    points: Type.Array(
      Type.Object({
        window_end: Time,
        auroc: NullableNumber,
        status: Status,
        labelled: Type.Integer(),
        predictions: NullableNumber,
        coverage: NullableNumber,
      }),
    ),
  },
  { title: 'LabelSeries' },
);

const EstimatedPoint = Type.Object({
  check_id: Type.String(),
  window_start: Time,
  window_end: Time,
  status: Status,
  value: NullableNumber,
  value_lower: NullableNumber,
  value_upper: NullableNumber,
  band_lower: NullableNumber,
  band_upper: NullableNumber,
});

const RealizedPoint = Type.Object({
  check_id: Type.String(),
  source: Type.Union([Type.Literal('realized'), Type.Literal('estimation_error')]),
  window_start: Time,
  window_end: Time,
  judged_in: Time,
  status: Status,
  value: Type.Number(),
  estimated_value: NullableNumber,
  band_lower: NullableNumber,
  band_upper: NullableNumber,
  within_band: Nullable(Type.Boolean()),
});

/** CBPE's estimates beside the realized values once labels arrive (monitors/performanceSeries.ts). */
export const PerformanceSeries = Type.Object(
  {
    model: Type.String(),
    slice: Type.String(),
    assumptions: Type.String(),
    metrics: Type.Array(
      Type.Object({
        metric: Type.String(),
        estimated_check: Type.String(),
        realized_check: Type.String(),
        estimated: Type.Array(EstimatedPoint),
        realized: Type.Array(RealizedPoint),
      }),
    ),
  },
  { title: 'PerformanceSeries' },
);

export const Baseline = Type.Object(
  {
    model: Type.String(),
    name: Type.String(),
    version: Type.Integer(),
    kind: Type.String(),
    source: Type.String(),
    row_count: Type.Integer(),
    created_at: Time,
    columns: Type.Array(Type.Object({ name: Type.String(), kind: Type.String() })),
  },
  { title: 'Baseline' },
);

export const IngestionStatus = Type.Object(
  {
    stored: Type.Object({
      predictions: Type.Integer(),
      features: Type.Integer(),
      labels: Type.Integer(),
      dead_letters: Type.Integer(),
    }),
    since_start: Type.Object({
      events: Type.Object({
        prediction: Type.Integer(),
        feature: Type.Integer(),
        label: Type.Integer(),
      }),
      bytes: Type.Integer(),
      bad_messages: Type.Integer(),
      insert_failures: Type.Integer(),
      batches: Type.Integer(),
    }),
  },
  { title: 'IngestionStatus' },
);

export const Ok = Type.Object({ status: Type.Literal('ok') });
