import fc from 'fast-check';

/**
 * fast-check arbitraries for ingest fuzzing: valid events of every kind with awkward but
 * legal content (any Unicode, ±inf features, keys like __proto__, times over 25 years), and
 * hostile payloads — random text and JSON, and valid events broken in each way ingestion
 * must name. Payloads are raw bytes, as a producer would send them.
 */
export type FuzzKind = 'prediction' | 'feature' | 'label';

export interface FuzzItem {
  good: boolean;
  kind: FuzzKind;
  payload: Buffer;
}

/** Stand-ins replaced in the JSON text: JSON.stringify cannot write 1e309. */
const INF = '\u0000+inf\u0000';
const NEG_INF = '\u0000-inf\u0000';

function render(value: unknown): string {
  return JSON.stringify(value)
    .replaceAll(JSON.stringify(INF), '1e309')
    .replaceAll(JSON.stringify(NEG_INF), '-1e309');
}

const text = fc.string({ unit: 'grapheme', maxLength: 24 });
const name = fc.oneof(
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 16 }),
  fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', 'a.b', '', ' '),
);
const featureValue = fc.oneof(
  { weight: 4, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(INF, NEG_INF, 0, -0, Number.MAX_VALUE, Number.MIN_VALUE),
  },
  { weight: 3, arbitrary: text },
  { weight: 1, arbitrary: fc.constant(null) },
);
/** 2001 to a day ago: inside the accepted range whatever the defaults. */
const timestamp = fc
  .integer({ min: Date.UTC(2001, 0, 1), max: Date.now() - 86_400_000 })
  .map((ms) => new Date(ms).toISOString());

function eventObject(kind: FuzzKind, model: string, id: string, typed: boolean) {
  return untypedEvent(kind, model, id).map((event) =>
    typed ? { type: kind, ...event } : (event as Record<string, unknown>),
  );
}

function untypedEvent(
  kind: FuzzKind,
  model: string,
  id: string,
): fc.Arbitrary<Record<string, unknown>> {
  if (kind === 'label') {
    return fc.record({
      model: fc.constant(model),
      prediction_id: fc.constant(`p-${id}`),
      event_id: fc.constant(id),
      label: fc.oneof(fc.integer({ min: 0, max: 1 }), fc.boolean(), text),
      ts: timestamp,
    });
  }
  return fc
    .record(
      {
        event_id: fc.constant(id),
        model: fc.constant(model),
        model_version: text,
        ts: timestamp,
        prediction_id: fc.constant(`p-${id}`),
        features: fc.dictionary(name, featureValue, { maxKeys: 12 }),
        score: fc.double({ min: 0, max: 1, noNaN: true }),
        attributes: fc.dictionary(name, fc.oneof(text, fc.boolean(), fc.integer()), { maxKeys: 4 }),
      },
      { requiredKeys: kind === 'prediction' ? undefined : ['event_id', 'model', 'ts', 'features'] },
    )
    .map((event) => {
      const { score, ...rest } = event;
      return kind === 'feature' ? rest : { ...rest, score };
    });
}

export function goodItem(
  kind: FuzzKind,
  model: string,
  id: string,
  typed = false,
): fc.Arbitrary<FuzzItem> {
  return eventObject(kind, model, id, typed).map((event) => ({
    good: true,
    kind,
    payload: Buffer.from(render(event)),
  }));
}

/** A payload that is wrong in one of the ways ingestion names (a few may turn out valid). */
export function badItem(
  kind: FuzzKind,
  model: string,
  id: string,
  typed = false,
): fc.Arbitrary<FuzzItem> {
  const valid = eventObject(kind, model, id, typed);
  const broken = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 80 }).map((s) => Buffer.from(`#${id}#${s}`)),
    fc.jsonValue({ maxDepth: 3 }).map((v) => Buffer.from(JSON.stringify([id, v]))),
    valid.map((e) => Buffer.from(render({ ...e, ts: 'yesterday' }))),
    valid.chain((e) =>
      fc
        .constantFrom(
          '2026-12-31T23:59:60Z',
          '2026-02-30T00:00:00Z',
          '0000-11-22T23:30:00Z',
          '1899-06-01T00:00:00Z',
          '9999-06-01T00:00:00Z',
          '2026-01-01T24:00:00Z',
        )
        .map((ts) => Buffer.from(render({ ...e, ts }))),
    ),
    valid.map((e) => Buffer.from(render(e).replace(`"${id}"`, `"${id}\\ud800"`))),
    valid.map((e) => Buffer.from(render(e).replace(/^\{/, `{"event_id":"${id}",`))),
    fc
      .integer({ min: 33, max: 400 })
      .chain((depth) =>
        valid.map((e) =>
          Buffer.from(render(e).replace(/\}$/, `,"x":${'['.repeat(depth)}${']'.repeat(depth)}}`)),
        ),
      ),
    valid.map((e) =>
      Buffer.concat([
        Buffer.from(render(e).slice(0, -1)),
        Buffer.from([0xff, 0xfe]),
        Buffer.from('}'),
      ]),
    ),
    valid.chain((e) => fc.nat({ max: 200 }).map((cut) => Buffer.from(render(e).slice(0, cut)))),
    valid.map((e) => Buffer.from(render({ ...e, model: undefined }))),
    valid.map((e) => Buffer.from(render({ ...e, ts: 12345 }))),
    valid.map((e) => Buffer.from(render({ ...e, pad: 'z'.repeat(20_000) }))),
    kind === 'label'
      ? valid.map((e) => Buffer.from(render({ ...e, label: [1] })))
      : valid.map((e) =>
          Buffer.from(render({ ...e, score: 2 }).replace('"score":2', '"score":1e309')),
        ),
    kind === 'label'
      ? valid.map((e) => Buffer.from(render({ ...e, label: 1.5 })))
      : valid.map((e) => Buffer.from(render({ ...e, features: { a: { nested: 1 } } }))),
    fc.constant(Buffer.from(`\uFEFF{"event_id":"${id}"}`)),
    fc.constant(Buffer.from('')),
    fc.constant(Buffer.from('null')),
  );
  return broken.map((payload) => ({ good: false, kind, payload }));
}

/** A batch: good and bad items mixed, ids unique within it (prefix them per case). */
export function mixedBatch(
  prefix: string,
  kinds: readonly FuzzKind[],
  models: { good: string; bad: string },
  options: { maxItems?: number; typed?: boolean } = {},
): fc.Arbitrary<FuzzItem[]> {
  const typed = options.typed ?? false;
  return fc
    .array(fc.tuple(fc.boolean(), fc.constantFrom(...kinds)), {
      minLength: 1,
      maxLength: options.maxItems ?? 16,
    })
    .chain((shape) =>
      fc.tuple(
        ...shape.map(([good, kind], i) =>
          good
            ? goodItem(kind, models.good, `${prefix}-${i}`, typed)
            : badItem(kind, models.bad, `${prefix}-bad-${i}`, typed),
        ),
      ),
    );
}
