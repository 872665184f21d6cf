import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestStore } from '../../test/helpers/store.js';
import {
  FIELD_LIST,
  NULL_FIELDS,
  checkResultToJson,
  type CheckResult,
} from '../monitors/checkResult.js';
import type { Store } from './clickhouse.js';
import {
  insertMonitorResults,
  listRunResults,
  queryResultsPage,
  type StoredResult,
} from './results.js';

/**
 * The drift history's row mapping, both ways, is derived from the record's field table: a
 * result written with every field set reads back whole, as the record (the alert stage's
 * read) and as JSON (the API's), and a result that leaves its nullable fields alone reads
 * them back as null.
 */
const END = new Date('2026-12-06T12:00:00Z');

const FULL: CheckResult = {
  ...NULL_FIELDS,
  monitor: 'fraud',
  model: 'fraud',
  windowStart: new Date(END.getTime() - 3_600_000),
  windowEnd: END,
  checkId: 'ks',
  metric: 'ks',
  feature: 'amount',
  sliceKey: 'country×channel',
  sliceValue: 'de/web',
  status: 'warn',
  value: 0.123456789012345,
  valueLower: 0.12,
  valueUpper: 0.13,
  pValue: 1.5e-12,
  pValueLower: 1e-13,
  pValueUpper: 2e-12,
  adjustedPValue: 3e-12,
  correction: 'benjamini-hochberg',
  warnThreshold: 0.1,
  criticalThreshold: 0.01,
  nReference: 2 ** 40,
  nCurrent: 1234,
  baseline: 'file:train.csv',
  baselineVersion: 7,
  monitorHash: 'b'.repeat(64),
  details: { effect: 0.123, effect_bracket: [0.12, 0.13], nested: { a: [1, 'x', null] } },
};

const SPARSE: CheckResult = {
  ...FULL,
  ...NULL_FIELDS,
  checkId: 'schema',
  metric: 'schema',
  feature: '',
  sliceKey: '',
  sliceValue: 'all',
  status: 'no_data',
  correction: 'none',
  nReference: 0,
  nCurrent: 0,
  details: {},
};

describe('the drift history as stored', () => {
  let store: Store;
  const before = new Date(Date.now() - 1000);

  beforeAll(async () => {
    store = await openTestStore();
    await insertMonitorResults(store, [FULL, SPARSE, { ...FULL, value: Number.NaN }]);
  });
  afterAll(() => store.close());

  it('reads back as the record every field that was written', async () => {
    const stored = await listRunResults(store, 'fraud', END);
    expect(stored).toHaveLength(2); // the third has the same key as the first: it replaced it
    const [ks, schema] = stored;
    const { evaluatedAt, ...rest } = ks ?? { evaluatedAt: null };
    expect(evaluatedAt).toBeInstanceOf(Date);
    expect((evaluatedAt as Date).getTime()).toBeGreaterThanOrEqual(before.getTime());
    expect(schema).toEqual({ ...SPARSE, evaluatedAt: schema?.evaluatedAt });
    // the re-run wrote NaN, which is no value: stored as null
    expect(rest).toEqual({ ...FULL, value: null });
  });

  it('reads back as JSON, in the field table’s order', async () => {
    const page = await queryResultsPage(
      store,
      { model: 'fraud', checkId: 'schema' },
      { limit: 10, offset: 0 },
    );
    expect(page.total).toBe(1);
    const [json] = page.items as StoredResult[];
    expect(Object.keys(json ?? {})).toEqual(FIELD_LIST.map(([, spec]) => spec.column));
    expect(json).toEqual(checkResultToJson(SPARSE, new Date(json?.evaluated_at ?? 0)));
  });
});
