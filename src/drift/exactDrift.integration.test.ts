import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestStore } from '../../test/helpers/store.js';
import { binCounts, binEdgesFromQuantiles } from '../stats/bins.js';
import { exactSquaredDeviations } from '../stats/exactSums.testing.js';
import { ksStatistic } from '../stats/ks.js';
import { wasserstein1 } from '../stats/wasserstein.js';
import type { Store } from '../store/clickhouse.js';
import { queryNumericReferenceProfile, type ComparisonRelations } from '../store/driftQueries.js';
import { computeExactFeatureDrift } from './exactDrift.js';
import { DEFAULT_DRIFT_CRITERIA, type NumericFeatureDrift } from './featureDrift.js';

/**
 * The exact mode's KS D, Wasserstein, quantile edges and bin counts (now read from values
 * sorted in JavaScript) against independent computations on plain arrays (src/stats
 * ks.ts, wasserstein.ts, bins.ts) and against ClickHouse's own quantilesExactInclusive, on
 * data made to be awkward: heavy ties, one repeated value, values near ±1e308, subnormals,
 * −0, nulls, NaN and infinities, and slices empty on one side.
 */
type Cell = number | null;
interface Row {
  slice: string;
  values: [Cell, Cell];
}

const LEVELS = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];

const awkward = fc.constantFrom(
  0,
  -0,
  Number.MIN_VALUE,
  -3 * Number.MIN_VALUE,
  2.225073858507201e-308,
  1e308,
  -1e308,
  1.7e308,
  -1.7e308,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
);
/** Feature 0: heavy ties (small integers) among nulls and non-finite values. */
const tied: fc.Arbitrary<Cell> = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: -3, max: 3 }) },
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: fc.constantFrom(Number.NaN, Infinity, -Infinity) },
);
/** Feature 1: spread values with the float limits, subnormals and signed zeros mixed in. */
const spread: fc.Arbitrary<Cell> = fc.oneof(
  { weight: 6, arbitrary: fc.double({ min: -1e3, max: 1e3, noNaN: true }) },
  { weight: 2, arbitrary: awkward },
  { weight: 1, arbitrary: fc.constant(null) },
);

function rowsOf(seed: number, side: 'reference' | 'current'): Row[] {
  const draw = <T>(arbitrary: fc.Arbitrary<T>, count: number, offset: number) =>
    fc.sample(arbitrary, { seed: seed * 7 + offset, numRuns: count });
  const rows: Row[] = [];
  // a: large enough for the radix passes; b: one repeated value in feature 1 (and all
  // nulls in feature 1 on the current side); c only in the reference, d only in the current
  const sizes = side === 'reference' ? { a: 1400, b: 300, c: 40 } : { a: 1100, b: 250, d: 30 };
  for (const [slice, count] of Object.entries(sizes)) {
    const zeros = draw(tied, count, slice.charCodeAt(0) + (side === 'current' ? 100 : 0));
    const ones = draw(spread, count, slice.charCodeAt(0) + (side === 'current' ? 300 : 200));
    zeros.forEach((zero, i) => {
      const one = slice === 'b' ? (side === 'current' ? null : 2.5) : (ones[i] ?? null);
      rows.push({ slice, values: [zero, one] });
    });
  }
  return rows;
}

/** A number as ClickHouse parses it back bit for bit (JS's shortest round-trip form). */
function text(value: Cell): string | null {
  if (value === null) return null;
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  return Object.is(value, -0) ? '-0' : String(value);
}

async function loadTable(store: Store, table: string, rows: Row[]): Promise<void> {
  await store.command(`DROP TABLE IF EXISTS ${table}`);
  await store.command(
    `CREATE TABLE ${table} (slice String, v0 Nullable(String), v1 Nullable(String)) ENGINE = Memory`,
  );
  await store.insert(
    table,
    rows.map((row) => ({ slice: row.slice, v0: text(row.values[0]), v1: text(row.values[1]) })),
  );
}

/** The report's relation shape: finite values in n, non-finite flagged in x. */
function relationSql(table: string): string {
  const columns = [0, 1].map(
    (i) =>
      `if(isFinite(toFloat64OrNull(v${i})), toFloat64OrNull(v${i}), NULL) AS n${i},
       ifNull(NOT isFinite(toFloat64OrNull(v${i})), 0) AS x${i}`,
  );
  return `SELECT slice, ${columns.join(', ')} FROM ${table}`;
}

const ascending = (values: number[]) => [...values].sort((a, b) => a - b);
const largest = (values: number[]) => Math.max(0, ...values.map(Math.abs));

/** W1 on plain arrays (scipy's definition), scaled by an exact power of two where the
 * values' own gaps would overflow or underflow. */
function independentWasserstein(a: number[], b: number[]): number {
  const scale = largest([...a, ...b]) > 1e300 ? 1 / 16 : 1;
  return (
    wasserstein1(ascending(a.map((v) => v * scale)), ascending(b.map((v) => v * scale))) / scale
  );
}

function independentStdDev(values: number[]): number {
  const scale = largest(values) > 1e150 ? 2 ** -600 : 1; // so the squares do not overflow
  const scaled = values.map((v) => v * scale);
  const mean = scaled.reduce((sum, v) => sum + v, 0) / scaled.length;
  return Math.sqrt(scaled.reduce((sum, v) => sum + (v - mean) ** 2, 0) / scaled.length) / scale;
}

function expectRelative(
  actual: number | null,
  expected: number,
  tolerance: number,
  label: string,
): void {
  expect(actual, label).not.toBeNull();
  expect(Math.abs((actual ?? NaN) - expected), label).toBeLessThanOrEqual(
    tolerance * Math.abs(expected) + 1e-300,
  );
}

describe('exact feature drift from sorted columns against independent computations', () => {
  let store: Store;
  beforeAll(async () => {
    store = await openTestStore({ migrate: false });
  });
  afterAll(async () => {
    await store.close();
  });

  it.each([1, 2, 3])(
    'seed %i: D, W1, edges, bins, counts and range per slice and all',
    async (seed) => {
      const reference = rowsOf(seed, 'reference');
      const current = rowsOf(seed, 'current');
      await loadTable(store, 'exact_ref', reference);
      await loadTable(store, 'exact_cur', current);
      const relations: ComparisonRelations = {
        reference: { sql: relationSql('exact_ref'), params: {} },
        current: { sql: relationSql('exact_cur'), params: {} },
        numericCount: 2,
        categoricalCount: 0,
        sliced: true,
      };
      const features = { numeric: ['v0', 'v1'], categorical: [] };
      const options = { bins: 10, criteria: DEFAULT_DRIFT_CRITERIA, maxCategories: 100 };
      const exact = (await computeExactFeatureDrift(store, relations, features, options)).filter(
        (entry): entry is NumericFeatureDrift => entry.kind === 'numeric',
      );
      const bracketed = await computeExactFeatureDrift(store, relations, features, {
        ...options,
        distances: 'bracketed',
      });
      expect(exact).toHaveLength(2 * 5);
      // sorted on worker threads (as large inputs are; these small ones sort on this
      // thread), one column per query (a large table's budget): the same, bit for bit
      const columnByColumn = await computeExactFeatureDrift(store, relations, features, {
        ...options,
        valuesPerQuery: 1,
        workers: 2,
      });
      expect(columnByColumn.filter((entry) => entry.kind === 'numeric')).toEqual(exact);
      // from cells with a second pass (large inputs' path; these small ones are sorted unless
      // told), on this thread and on workers: KS, edges, bins, counts and range bit for bit,
      // W1 and the spread to rounding; both are checked below against independent values
      const viaCells = (
        await computeExactFeatureDrift(store, relations, features, { ...options, cellsFrom: 0 })
      ).filter((entry): entry is NumericFeatureDrift => entry.kind === 'numeric');
      const viaCellsOnWorkers = await computeExactFeatureDrift(store, relations, features, {
        ...options,
        cellsFrom: 0,
        valuesPerQuery: 1,
        workers: 2,
      });
      expect(viaCellsOnWorkers.filter((entry) => entry.kind === 'numeric')).toEqual(viaCells);
      const roundingApart = ({ wasserstein, wasserstein_normed, ...rest }: NumericFeatureDrift) => {
        void wasserstein;
        void wasserstein_normed;
        return rest;
      };
      expect(viaCells.map(roundingApart)).toEqual(exact.map(roundingApart));

      for (const entry of [...exact, ...viaCells]) {
        const feature = entry.name === 'v0' ? 0 : 1;
        const inSlice = (rows: Row[]) =>
          rows.filter((row) => entry.slice === 'all' || row.slice === entry.slice);
        const cells = (rows: Row[]) => inSlice(rows).map((row) => row.values[feature]);
        const finite = (rows: Row[]) =>
          cells(rows).filter((value): value is number => value !== null && Number.isFinite(value));
        const [ref, cur] = [finite(reference), finite(current)];
        const label = `${entry.name} in ${entry.slice}`;

        expect(entry.n_reference, label).toBe(ref.length);
        expect(entry.n_current, label).toBe(cur.length);
        for (const [side, rows] of [
          ['reference', reference],
          ['current', current],
        ] as const) {
          expect(entry.quality[side], label).toEqual({
            rows: inSlice(rows).length,
            nulls: cells(rows).filter((value) => value === null).length,
            non_finite: cells(rows).filter((value) => value !== null && !Number.isFinite(value))
              .length,
            wrong_type: 0,
          });
        }
        expect(entry.reference_range, label).toEqual(
          ref.length > 0 ? { min: ascending(ref)[0], max: ascending(ref)[ref.length - 1] } : null,
        );

        // the edges: ClickHouse's own quantilesExactInclusive over the same rows (what the
        // report computed in SQL before), unique and finite
        const [quantileRow] = await store.query<{ quantiles: string[] }>(
          `SELECT arrayMap(q -> toString(q), quantilesExactInclusive(${LEVELS.join(', ')})(n${feature})) AS quantiles
         FROM (${relationSql('exact_ref')}) WHERE {slice:String} = 'all' OR slice = {slice:String}`,
          { slice: entry.slice },
        );
        const edges =
          ref.length > 0
            ? binEdgesFromQuantiles(
                (quantileRow?.quantiles ?? []).map(Number).filter(Number.isFinite),
              )
            : [];
        expect(entry.histogram.edges, label).toEqual(edges);
        expect(entry.histogram.reference, label).toEqual(binCounts(edges, ref));
        expect(entry.histogram.current, label).toEqual(binCounts(edges, cur));
        // the bracketed mode takes edges and bins from SQL: the same to the last bit
        const twin = bracketed.find(
          (other) => other.name === entry.name && other.slice === entry.slice,
        );
        expect(twin?.histogram, label).toEqual(entry.histogram);

        if (ref.length === 0 || cur.length === 0) {
          expect(entry.ks.statistic, label).toBeNull();
          expect(entry.wasserstein, label).toBeNull();
          continue;
        }
        const d = ksStatistic(ascending(ref), ascending(cur));
        expect(Math.abs((entry.ks.statistic ?? NaN) - d), label).toBeLessThanOrEqual(1e-15);
        const w = independentWasserstein(ref, cur);
        expectRelative(entry.wasserstein, w, 1e-9, label);
        const spreadOfReference = independentStdDev(ref);
        if (spreadOfReference > 0)
          expectRelative(entry.wasserstein_normed, w / spreadOfReference, 1e-9, label);
        expect(entry.exact, label).toBe(true);
      }
    },
  );

  it("the bracketed mode's spread of values far from zero is numpy's, to rounding (Welford's lost 5e-8 of it)", async () => {
    // 1e9 plus noise of 1e-3 in slice a, 2^30 minus noise in slice b: doubles a multiple of
    // 2^-23 each, so the exact variance comes from integer sums (no rounding at all)
    const values = (slice: string, count: number) =>
      Array.from({ length: count }, (_, i) =>
        slice === 'a' ? 1e9 + ((i * 7919) % 1000) * 1e-6 : 2 ** 30 - ((i * 104729) % 997) * 3e-6,
      );
    const rows: Row[] = ['a', 'b'].flatMap((slice) =>
      values(slice, 20_000).map((v): Row => ({ slice, values: [v, -v] })),
    );
    await loadTable(store, 'spread_ref', rows);
    const relations: ComparisonRelations = {
      reference: { sql: relationSql('spread_ref'), params: {} },
      current: { sql: relationSql('spread_ref'), params: {} },
      numericCount: 2,
      categoricalCount: 0,
      sliced: true,
    };
    const profile = await queryNumericReferenceProfile(store, relations, 10);
    expect(profile).toHaveLength(2 * 3);
    for (const row of profile) {
      const inSlice = rows.filter((r) => row.slice === '\u0000all' || r.slice === row.slice);
      const values = inSlice.map((r) => r.values[row.feature] as number);
      const exact = Math.sqrt(exactSquaredDeviations(values, 2 ** 23) / values.length);
      expectRelative(row.stddevPop, exact, 1e-12, `feature ${row.feature} in ${row.slice}`);
    }
  });
});
