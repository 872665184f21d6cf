import { retriedInsertSettings, toClickHouseTime, type Store } from './clickhouse.js';
import { createRowBinaryWriter, type RowBinaryWriter } from './rowBinary.js';

/**
 * An event as stored in `events`: the ingest steps map wire events to these rows. Feature
 * values are split by the JSON type they arrived with (see migration 0004).
 */
export interface EventTableRow {
  kind: 'prediction' | 'feature';
  event_id: string;
  model: string;
  model_version: string;
  /** 'YYYY-MM-DD hh:mm:ss.sss' in UTC */
  ts: string;
  prediction_id: string;
  score: number | null;
  prediction: string | null;
  /** A multiclass model's class scores, class name → probability; absent or empty: none. */
  scores?: Record<string, number>;
  feature_numbers: Record<string, number>;
  feature_strings: Record<string, string>;
  feature_nulls: string[];
  attributes: Record<string, string>;
  source: string;
  kafka_topic: string;
  kafka_partition: number;
  kafka_offset: number;
}

export type PredictionRow = EventTableRow & { kind: 'prediction' };
export type FeatureLogRow = EventTableRow & { kind: 'feature' };

export interface LabelRow {
  event_id: string;
  model: string;
  prediction_id: string;
  label: string;
  ts: string;
  source: string;
  kafka_topic: string;
  kafka_partition: number;
  kafka_offset: number;
}

export interface DeadLetterRow {
  dead_letter_id: string;
  source: string;
  topic: string;
  partition: number;
  offset: number;
  /** The head of the payload (at most the configured cap), as UTF-8 text. */
  payload: string;
  /** The whole payload's size and SHA-256 (hex), whatever was kept of it. */
  payload_bytes: number;
  payload_sha256: string;
  reason: string;
  detail: string;
}

/** Where a row came from: kept on every row. */
export interface RowOrigin {
  source: string;
  kafka_topic: string;
  kafka_partition: number;
  kafka_offset: number;
}

/** A validated prediction or feature-log event, as the insert path encodes it. */
export interface EventInsert extends RowOrigin {
  kind: 'prediction' | 'feature';
  tsMs: number;
  model: string;
  event_id: string;
  model_version: string;
  prediction_id: string;
  score: number | null;
  prediction: string | null;
  /** Class name → probability (a multiclass model's class scores); absent: none. */
  scores?: Readonly<Record<string, number>>;
  /** Feature name → number (±inf allowed), string, or null (an explicit null). */
  features: Readonly<Record<string, unknown>>;
  /** Slice fields; values are stored as text. */
  attributes: Readonly<Record<string, unknown>>;
}

/** The identity of an event: ReplacingMergeTree's key, and what deduplication checks. */
export interface EventKey {
  model: string;
  kind: 'prediction' | 'feature';
  tsMs: number;
  event_id: string;
}

export function eventKeyString(key: EventKey): string {
  return `${key.model}\u0000${key.kind}\u0000${key.tsMs}\u0000${key.event_id}`;
}

/**
 * The columns an insert writes, in RowBinary order, and their types in the encoded rows.
 * Plain `String` where the table has `LowCardinality(String)`: the engine converts whole
 * columns at once, which measured cheaper than converting value by value while parsing.
 */
export const EVENT_COLUMNS = [
  'model',
  'kind',
  'ts',
  'event_id',
  'model_version',
  'prediction_id',
  'score',
  'prediction',
  'scores',
  'feature_numbers',
  'feature_strings',
  'feature_nulls',
  'attributes',
  'source',
  'kafka_topic',
  'kafka_partition',
  'kafka_offset',
] as const;

export const EVENT_STRUCTURE = [
  'model String',
  "kind Enum8('prediction' = 1, 'feature' = 2)",
  "ts DateTime64(3, 'UTC')",
  'event_id String',
  'model_version String',
  'prediction_id String',
  'score Nullable(Float64)',
  'prediction Nullable(String)',
  'scores Map(String, Float64)',
  'feature_numbers Map(String, Float64)',
  'feature_strings Map(String, String)',
  'feature_nulls Array(String)',
  'attributes Map(String, String)',
  'source String',
  'kafka_topic String',
  'kafka_partition Int32',
  'kafka_offset Int64',
].join(', ');

const KIND_CODE = { prediction: 1, feature: 2 } as const;

/** Appends one event as a RowBinary row of EVENT_COLUMNS. */
export function encodeEvent(writer: RowBinaryWriter, event: EventInsert): void {
  writer.recurringString(event.model);
  writer.int8(KIND_CODE[event.kind]);
  writer.int64(event.tsMs);
  writer.string(event.event_id);
  writer.recurringString(event.model_version);
  writer.string(event.prediction_id);
  nullableFloat(writer, event.score);
  nullableString(writer, event.prediction);
  encodeScores(writer, event.scores);
  encodeFeatures(writer, event.features);
  const attributes = event.attributes;
  const attributeNames = Object.keys(attributes);
  writer.size(attributeNames.length);
  for (const name of attributeNames) {
    writer.recurringString(name);
    const value = attributes[name];
    writer.recurringString(typeof value === 'string' ? value : String(value));
  }
  encodeOrigin(writer, event);
}

function encodeScores(
  writer: RowBinaryWriter,
  scores: Readonly<Record<string, number>> | undefined,
): void {
  const entries = scores ? Object.entries(scores) : [];
  writer.size(entries.length);
  for (const [name, score] of entries) {
    writer.recurringString(name);
    writer.float64(score);
  }
}

/** Where each feature goes, by the JSON type of its value: reused, never reallocated. */
let featureTypes = new Uint8Array(256);
const NUMBER = 0;
const STRING = 1;
const NULL = 2;

/** feature_numbers, feature_strings, feature_nulls: one pass to sort, one write each. */
function encodeFeatures(
  writer: RowBinaryWriter,
  features: Readonly<Record<string, unknown>>,
): void {
  // Keys and values side by side: no lookup by name per feature.
  const names = Object.keys(features);
  const values = Object.values(features);
  if (names.length > featureTypes.length) featureTypes = new Uint8Array(names.length * 2);
  let numbers = 0;
  let strings = 0;
  for (let i = 0; i < values.length; i += 1) {
    const value = values[i];
    const type = typeof value === 'number' ? NUMBER : typeof value === 'string' ? STRING : NULL;
    featureTypes[i] = type;
    if (type === NUMBER) numbers += 1;
    else if (type === STRING) strings += 1;
  }
  writer.size(numbers);
  for (let i = 0; numbers > 0 && i < names.length; i += 1) {
    if (featureTypes[i] !== NUMBER) continue;
    writer.recurringString(names[i]!);
    writer.float64(values[i] as number);
  }
  writer.size(strings);
  for (let i = 0; strings > 0 && i < names.length; i += 1) {
    if (featureTypes[i] !== STRING) continue;
    writer.recurringString(names[i]!);
    writer.recurringString(values[i] as string);
  }
  writer.size(names.length - numbers - strings);
  for (let i = 0; i < names.length; i += 1) {
    if (featureTypes[i] === NULL) writer.recurringString(names[i]!);
  }
}

function encodeOrigin(writer: RowBinaryWriter, origin: RowOrigin): void {
  writer.recurringString(origin.source);
  writer.recurringString(origin.kafka_topic);
  writer.int32(origin.kafka_partition);
  writer.int64(origin.kafka_offset);
}

function nullableFloat(writer: RowBinaryWriter, value: number | null): void {
  if (value === null) {
    writer.uint8(1);
    return;
  }
  writer.uint8(0);
  writer.float64(value);
}

function nullableString(writer: RowBinaryWriter, value: string | null): void {
  if (value === null) {
    writer.uint8(1);
    return;
  }
  writer.uint8(0);
  writer.string(value);
}

/** Rows encoded by `encodeEvent`, concatenated. */
export async function insertEncodedEvents(store: Store, data: Buffer): Promise<void> {
  const settings = retriedInsertSettings(store, () => data);
  await store.insertRowBinary('events', EVENT_COLUMNS, EVENT_STRUCTURE, data, settings);
}

/** Predictions and feature logs share one table: one insert for both kinds. */
export async function insertEvents(store: Store, rows: readonly EventTableRow[]): Promise<void> {
  const writer = createRowBinaryWriter();
  for (const row of rows) {
    encodeEvent(writer, {
      ...row,
      tsMs: Date.parse(`${row.ts.replace(' ', 'T')}Z`),
      features: {
        ...row.feature_numbers,
        ...row.feature_strings,
        ...Object.fromEntries(row.feature_nulls.map((name) => [name, null])),
      },
    });
  }
  await insertEncodedEvents(store, writer.bytes());
}

/**
 * Which of these events are already stored: the pre-insert existence check that keeps a
 * replayed Kafka batch (cut into different batches), a producer retry or an HTTP client's
 * retry from being inserted twice — so materialized views counting inserts never count an
 * event twice. Reads the primary key's granules for the batch's models and time ranges.
 */
/**
 * A server receives query parameters in the URL, which it caps (`http_max_uri_size`, 1 MiB
 * by default): long lists of ids are looked up a chunk at a time there; embedded, at once.
 */
const SERVER_IDS_PER_QUERY = 2000;

/**
 * A set of ids for `x IN …`, as a subquery over one String parameter holding the ids as a
 * JSON array (`idList`). The literal form `IN {ids:Array(String)}` is analysed element by
 * element: past about 65k ids one lookup took 139 s of CPU on 200k stored events (embedded
 * ClickHouse 26.7), the subquery 0.17 s. An Array(String) parameter still costs 1.5–3.5 µs
 * of CPU per id to pass (quoting, then parsing the literal): most of a lookup of new keys.
 * One JSON string costs 0.4–0.5 µs per id (docs/BENCHMARKS.md, "The Kafka path profiled"),
 * and JSON says every string exactly (quotes, backslashes, control characters, any code point).
 */
function idSet(param: string): string {
  return `(SELECT arrayJoin(JSONExtract({${param}:String}, 'Array(String)')))`;
}

/** The parameter `idSet` reads: each id once. */
function idList(ids: Iterable<string>): string {
  return JSON.stringify([...new Set(ids)]);
}

async function inChunks<T>(
  store: Store,
  items: readonly T[],
  lookUp: (chunk: readonly T[]) => Promise<Set<string>>,
): Promise<Set<string>> {
  const size = store.kind === 'server' ? SERVER_IDS_PER_QUERY : Math.max(1, items.length);
  const found = new Set<string>();
  for (let start = 0; start < items.length; start += size) {
    for (const key of await lookUp(items.slice(start, start + size))) found.add(key);
  }
  return found;
}

/**
 * The batch's time ranges are what narrows an event lookup: `event_id` is the last column
 * of the primary key, so its set prunes nothing the ranges leave, yet analysing the key
 * against a 20,000-id set cost more than the read it was meant to save (live keys on 10M
 * stored events: 1.9 µs per key with it, 0.8 without; docs/BENCHMARKS.md, "The duplicate
 * lookup at 1M and 10M stored events"). Only index analysis changes, never the answer.
 */
const EVENT_LOOKUP_SETTINGS = { use_index_for_in_with_subqueries: 0 } as const;

export async function findStoredEvents(
  store: Store,
  keys: readonly EventKey[],
): Promise<Set<string>> {
  return inChunks(store, keys, (chunk) => findStoredEventChunk(store, chunk));
}

async function findStoredEventChunk(store: Store, keys: readonly EventKey[]): Promise<Set<string>> {
  if (keys.length === 0) return new Set();
  const ranges = timeRanges(keys.map((key) => key.tsMs));
  const params: Record<string, unknown> = {
    models: [...new Set(keys.map((key) => key.model))],
    ids: idList(keys.map((key) => key.event_id)),
  };
  const conditions = ranges.map(([from, to], i) => {
    params[`from_${i}`] = from;
    params[`to_${i}`] = to;
    return `ts BETWEEN fromUnixTimestamp64Milli({from_${i}:Int64}, 'UTC') AND fromUnixTimestamp64Milli({to_${i}:Int64}, 'UTC')`;
  });
  const rows = await store.query<{
    model: string;
    kind: EventKey['kind'];
    ts_ms: string;
    event_id: string;
  }>(
    `SELECT model, kind, toUnixTimestamp64Milli(ts) AS ts_ms, event_id FROM events
     WHERE model IN {models:Array(String)} AND (${conditions.join(' OR ')})
       AND event_id IN ${idSet('ids')}`,
    params,
    EVENT_LOOKUP_SETTINGS,
  );
  return new Set(rows.map((row) => eventKeyString({ ...row, tsMs: Number(row.ts_ms) })));
}

/**
 * Event times grouped into ranges separated by gaps: a live batch spans seconds, a late
 * event adds its own small range instead of widening one range to hours of stored rows.
 */
export function timeRanges(times: readonly number[], maxRanges = 64): [number, number][] {
  const sorted = [...times].sort((a, b) => a - b);
  for (const gap of [3_600_000, 86_400_000, 31 * 86_400_000, Number.POSITIVE_INFINITY]) {
    const ranges: [number, number][] = [];
    for (const time of sorted) {
      const last = ranges.at(-1);
      if (last && time - last[1] <= gap) last[1] = time;
      else ranges.push([time, time]);
    }
    if (ranges.length <= maxRanges) return ranges;
  }
  return [[sorted[0] ?? 0, sorted.at(-1) ?? 0]];
}

export async function insertLabels(store: Store, rows: readonly LabelRow[]): Promise<void> {
  await store.insert(
    'labels',
    rows,
    retriedInsertSettings(store, () => JSON.stringify(rows)),
  );
}

export function labelKeyString(row: LabelRow): string {
  return `${row.model}\u0000${row.prediction_id}\u0000${row.label}\u0000${row.ts}\u0000${row.event_id}`;
}

/** Labels already stored with the same content (a corrected label is not one of them). */
export async function findStoredLabels(
  store: Store,
  rows: readonly LabelRow[],
): Promise<Set<string>> {
  return inChunks(store, rows, (chunk) => findStoredLabelChunk(store, chunk));
}

async function findStoredLabelChunk(store: Store, rows: readonly LabelRow[]): Promise<Set<string>> {
  if (rows.length === 0) return new Set();
  const stored = await store.query<LabelRow>(
    `SELECT model, prediction_id, label, toString(ts) AS ts, event_id FROM labels
     WHERE model IN {models:Array(String)} AND prediction_id IN ${idSet('ids')}`,
    {
      models: [...new Set(rows.map((row) => row.model))],
      ids: idList(rows.map((row) => row.prediction_id)),
    },
  );
  return new Set(stored.map(labelKeyString));
}

export async function insertDeadLetters(
  store: Store,
  rows: readonly DeadLetterRow[],
): Promise<void> {
  await store.insert(
    'dead_letters',
    rows,
    retriedInsertSettings(store, () => JSON.stringify(rows)),
  );
}

export async function findStoredDeadLetters(
  store: Store,
  rows: readonly DeadLetterRow[],
): Promise<Set<string>> {
  return inChunks(store, rows, (chunk) => findStoredDeadLetterChunk(store, chunk));
}

async function findStoredDeadLetterChunk(
  store: Store,
  rows: readonly DeadLetterRow[],
): Promise<Set<string>> {
  if (rows.length === 0) return new Set();
  const stored = await store.query<{ source: string; dead_letter_id: string }>(
    `SELECT source, dead_letter_id FROM dead_letters
     WHERE source IN {sources:Array(String)} AND dead_letter_id IN ${idSet('ids')}`,
    {
      sources: [...new Set(rows.map((row) => row.source))],
      ids: idList(rows.map((row) => row.dead_letter_id)),
    },
  );
  return new Set(stored.map((row) => `${row.source}\u0000${row.dead_letter_id}`));
}

export interface StoredCounts {
  events: { predictions: number; features: number; labels: number };
  dead_letters: number;
}

/**
 * Whether a model has sent any prediction before `before` (data readiness: a model that never
 * has is "awaiting data"). The raw events answer first (their primary key starts with the
 * model); the day summaries of earlier days answer for events past their retention.
 */
export async function hasEventsBefore(store: Store, model: string, before: Date): Promise<boolean> {
  const [row] = await store.query<{ found: number | string }>(
    `SELECT (SELECT count() FROM (SELECT 1 FROM events
               WHERE model = {model:String} AND kind = 'prediction' AND ts < {before:DateTime64(3)} LIMIT 1))
          + (SELECT count() FROM (SELECT 1 FROM summary_1d
               WHERE model = {model:String} AND kind = 'prediction'
                 AND grain_start + INTERVAL 1 DAY <= {before:DateTime64(3)} LIMIT 1)) AS found`,
    { model, before: toClickHouseTime(before) },
  );
  return Number(row?.found ?? 0) > 0;
}

/** Counts after deduplication: FINAL collapses replays and retries before counting. */
export async function countStored(store: Store): Promise<StoredCounts> {
  const [row] = await store.query<Record<string, string>>(
    `SELECT (SELECT countIf(kind = 'prediction') FROM events FINAL) AS predictions,
            (SELECT countIf(kind = 'feature') FROM events FINAL) AS features,
            (SELECT count() FROM labels FINAL) AS labels,
            (SELECT count() FROM dead_letters FINAL) AS dead_letters`,
  );
  return {
    events: {
      predictions: Number(row?.predictions ?? 0),
      features: Number(row?.features ?? 0),
      labels: Number(row?.labels ?? 0),
    },
    dead_letters: Number(row?.dead_letters ?? 0),
  };
}

export interface DeadLetterView {
  dead_letter_id: string;
  received_at: string;
  source: string;
  topic: string;
  partition: number;
  offset: number;
  reason: string;
  detail: string;
  payload_bytes: number;
  payload_sha256: string;
  /** Whether `payload` (when asked for) is only the head of the payload. */
  payload_truncated: boolean;
  payload?: string;
}

export interface DeadLetterPage {
  dead_letters: DeadLetterView[];
  /** Pass as `before` for the next (older) page; null on the last page. */
  next: { received_at: string; dead_letter_id: string } | null;
}

/** Newest first, a page at a time; payloads (their stored heads) only when asked for. */
export async function listDeadLetters(
  store: Store,
  options: {
    limit: number;
    before?: { received_at: string; dead_letter_id: string };
    reason?: string;
    withPayload?: boolean;
  },
): Promise<DeadLetterPage> {
  const rows = await store.query<
    Omit<DeadLetterView, 'payload_truncated'> & { payload_truncated: number }
  >(
    `SELECT dead_letter_id, toString(received_at) AS received_at, source, topic, partition,
            offset, reason, detail, payload_bytes, payload_sha256,
            payload_bytes > length(payload) AS payload_truncated,
            if({with_payload:Bool}, payload, '') AS payload
     FROM dead_letters AS d
     WHERE ({reason:String} = '' OR d.reason = {reason:String})
       AND ({has_before:Bool} = false
            OR (d.received_at, d.dead_letter_id) < (toDateTime64({before_time:String}, 3, 'UTC'), {before_id:String}))
     ORDER BY d.received_at DESC, d.dead_letter_id DESC
     LIMIT {limit:UInt32}`,
    {
      with_payload: options.withPayload ?? false,
      reason: options.reason ?? '',
      has_before: options.before !== undefined,
      before_time: options.before?.received_at ?? '1970-01-01 00:00:00.000',
      before_id: options.before?.dead_letter_id ?? '',
      limit: options.limit + 1,
    },
  );
  const page = rows.slice(0, options.limit).map(({ payload, payload_truncated, ...row }) => ({
    ...row,
    partition: Number(row.partition),
    offset: Number(row.offset),
    payload_bytes: Number(row.payload_bytes),
    payload_truncated: Boolean(Number(payload_truncated)),
    ...(options.withPayload ? { payload } : {}),
  }));
  const last = page.at(-1);
  return {
    dead_letters: page,
    next:
      rows.length > options.limit && last
        ? { received_at: last.received_at, dead_letter_id: last.dead_letter_id }
        : null,
  };
}
