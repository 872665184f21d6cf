import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestStore } from '../../test/helpers/store.js';
import { exactSquaredDeviations } from '../stats/exactSums.testing.js';
import type { Store } from './clickhouse.js';
import { ALL_SLICES } from './driftQueries.js';
import { queryRegressionSums } from './performanceQueries.js';
import { queryRegressionAggregates } from './regressionQueries.js';

/**
 * The labels' Σ (y − ȳ)², which R² and the explained variance divide by, for labels far from
 * zero with a small spread, from both of its queries (a monitor's label window, a report's
 * file): within rounding of the exact value. Welford's varPopStable lost ~4e-7 of it.
 */
const SCALE = 2 ** 23; // every double in [2^29, 2^30) is a multiple of 2^-23

function labelsOf(slice: string, count: number): number[] {
  return Array.from({ length: count }, (_, i) =>
    slice === 'a' ? 1e9 + ((i * 7919) % 1000) * 1e-6 : 2 ** 30 - ((i * 104729) % 997) * 3e-6,
  );
}

describe("the labels' squared deviations far from zero", () => {
  let store: Store;
  const rows = ['a', 'b'].flatMap((slice) =>
    labelsOf(slice, 20_000).map((y, i) => ({ slice, y, p: y + (i % 7) * 1e-4 })),
  );
  const expected = (slice: string) =>
    exactSquaredDeviations(
      rows.filter((r) => slice === 'all' || r.slice === slice).map((r) => r.y),
      SCALE,
    );

  beforeAll(async () => {
    store = await openTestStore({ migrate: false });
    await store.command(
      'CREATE TABLE regression_pairs (slice String, y Float64, p Float64) ENGINE = Memory',
    );
    await store.insert('regression_pairs', rows);
  });
  afterAll(async () => {
    await store.close();
  });

  it("in a monitor's label window (each row also counted in all)", async () => {
    const sums = await queryRegressionAggregates(store, {
      sql: `SELECT s AS slice, p AS score, y AS label
            FROM regression_pairs ARRAY JOIN [slice, 'all'] AS s`,
      params: {},
    });
    expect(sums.map((s) => s.slice).sort()).toEqual(['a', 'all', 'b']);
    for (const s of sums) {
      const exact = expected(s.slice);
      expect(Math.abs(s.labelM2 - exact), s.slice).toBeLessThanOrEqual(1e-12 * exact);
    }
  });

  it("in a report's file", async () => {
    const sums = await queryRegressionSums(
      store,
      { table: 'regression_pairs', slice: 'slice', label: 'y', prediction: 'p' },
      2 ** -52,
    );
    expect(sums.map((s) => s.slice).sort()).toEqual([ALL_SLICES, 'a', 'b'].sort());
    for (const s of sums) {
      const exact = expected(s.slice === ALL_SLICES ? 'all' : s.slice);
      expect(Math.abs(s.labelM2 - exact), s.slice).toBeLessThanOrEqual(1e-12 * exact);
    }
  });
});
