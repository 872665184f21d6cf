import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareFiles } from '../../src/report/compareFiles.js';
import type { Store } from '../../src/store/clickhouse.js';
import { casesOfKind, expectClose, expectPValue, writeCsv } from '../helpers/oracle.js';
import { openTestStore, tempDir } from '../helpers/store.js';

/**
 * Every oracle value through the real path: the data is written to CSV files, loaded into
 * embedded ClickHouse, aggregated by the same queries monitors use, and finished by
 * src/stats — then compared with scipy / scikit-learn.
 */
describe('oracle cases through embedded ClickHouse', () => {
  let store: Store;
  const dir = tempDir('driftwatch-oracle-');
  beforeAll(async () => {
    store = await openTestStore();
  });
  afterAll(async () => {
    await store.close();
  });

  it.each(casesOfKind('numeric'))('numeric case $name', async (oracle) => {
    const baseline = path.join(dir, `${oracle.name}-ref.csv`);
    const current = path.join(dir, `${oracle.name}-cur.csv`);
    writeCsv(
      baseline,
      ['value'],
      oracle.reference.map((v) => [v]),
    );
    writeCsv(
      current,
      ['value'],
      oracle.current.map((v) => [v]),
    );
    const report = await compareFiles(store, { baseline, current });
    expect(report.features).toHaveLength(1);
    const [feature] = report.features;
    if (feature?.kind !== 'numeric') throw new Error('expected a numeric feature');
    const e = oracle.expected;
    expect(feature.slice).toBe('all');
    expect(Math.abs((feature.ks.statistic ?? NaN) - e.ks_statistic)).toBeLessThanOrEqual(1e-9);
    expectPValue(feature.ks.p_value, e.ks_pvalue_asymp, 'ks p-value');
    expect(feature.histogram.edges).toHaveLength(e.psi_bin_edges.length);
    feature.histogram.edges?.forEach((edge, i) =>
      expectClose(edge, e.psi_bin_edges[i] ?? NaN, 1e-9, `edge ${i}`),
    );
    expectClose(feature.psi, e.psi, 1e-9, 'psi');
    expectClose(feature.jensen_shannon, e.jensen_shannon_distance_base2, 1e-9, 'jensen-shannon');
    expectClose(feature.wasserstein, e.wasserstein, 1e-9, 'wasserstein');
    expectClose(feature.wasserstein_normed, e.wasserstein_normed, 1e-9, 'wasserstein normed');
    expect(feature.null_rate.reference).toBeCloseTo(e.null_rate_reference, 12);
    expect(feature.null_rate.current).toBeCloseTo(e.null_rate_current, 12);
    expect(feature.n_reference).toBe(oracle.reference.filter((v) => v !== null).length);
    expect(feature.n_current).toBe(oracle.current.filter((v) => v !== null).length);
  });

  it.each(casesOfKind('numeric'))(
    'numeric case $name, bracketed: the brackets contain scipy’s values, the rest is exact',
    async (oracle) => {
      const baseline = path.join(dir, `${oracle.name}-ref.csv`);
      const current = path.join(dir, `${oracle.name}-cur.csv`);
      const report = await compareFiles(store, { baseline, current, distances: 'bracketed' });
      const [feature] = report.features;
      if (feature?.kind !== 'numeric') throw new Error('expected a numeric feature');
      const e = oracle.expected;
      const within = (
        value: number | null,
        bracket: [number, number] | undefined,
        exact: number,
      ) => {
        const [lower, upper] = bracket ?? [value ?? NaN, value ?? NaN];
        const slack = Math.abs(exact) * 1e-9 + 1e-12;
        expect(lower - slack).toBeLessThanOrEqual(exact);
        expect(upper + slack).toBeGreaterThanOrEqual(exact);
      };
      within(feature.ks.statistic, feature.brackets?.ks_statistic, e.ks_statistic);
      within(feature.wasserstein, feature.brackets?.wasserstein, e.wasserstein);
      within(
        feature.wasserstein_normed,
        feature.brackets?.wasserstein_normed,
        e.wasserstein_normed,
      );
      expectClose(feature.psi, e.psi, 1e-9, 'psi');
      expectClose(feature.jensen_shannon, e.jensen_shannon_distance_base2, 1e-9, 'jensen-shannon');
    },
  );

  it.each(casesOfKind('categorical'))('categorical case $name', async (oracle) => {
    const baseline = path.join(dir, `${oracle.name}-ref.csv`);
    const current = path.join(dir, `${oracle.name}-cur.csv`);
    writeCsv(
      baseline,
      ['category'],
      oracle.reference.map((v) => [v]),
    );
    writeCsv(
      current,
      ['category'],
      oracle.current.map((v) => [v]),
    );
    const report = await compareFiles(store, { baseline, current });
    const [feature] = report.features;
    if (feature?.kind !== 'categorical') throw new Error('expected a categorical feature');
    const e = oracle.expected;
    expect(feature.histogram.categories).toEqual(e.categories);
    expectClose(feature.chi2.statistic, e.chi2_statistic, 1e-9, 'chi2');
    expectPValue(feature.chi2.p_value, e.chi2_pvalue, 'chi2 p-value');
    expect(feature.chi2.dof).toBe(e.chi2_dof);
    expectClose(feature.psi, e.psi, 1e-9, 'psi');
    expectClose(feature.jensen_shannon, e.jensen_shannon_distance_base2, 1e-9, 'jensen-shannon');
    expect(feature.new_categories).toEqual(e.new_categories);
  });

  it.each(casesOfKind('classification'))('classification case $name', async (oracle) => {
    const file = path.join(dir, `${oracle.name}.csv`);
    writeCsv(
      file,
      ['score', 'label', 'constant'],
      oracle.scores.map((score, i) => [score, oracle.labels[i] ?? null, 1]),
    );
    const report = await compareFiles(store, {
      baseline: file,
      current: file,
      score: 'score',
      label: 'label',
      threshold: oracle.threshold,
    });
    expect(report.classification).toHaveLength(1);
    const [all] = report.classification ?? [];
    expect(all?.slice).toBe('all');
    expect(all?.n).toBe(oracle.scores.length);
    expectClose(all?.auroc, oracle.expected.auroc, 1e-9, 'auroc');
    expectClose(
      all?.positive_rate.labels,
      oracle.expected.positive_rate_labels,
      1e-9,
      'label positive rate',
    );
    expectClose(
      all?.positive_rate.predicted,
      oracle.expected.positive_rate_predicted,
      1e-9,
      'predicted positive rate',
    );
  });
});
