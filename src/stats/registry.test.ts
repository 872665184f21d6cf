import { describe, expect, it } from 'vitest';
import {
  isStatisticName,
  STATISTIC_NAMES,
  STATISTICS,
  statisticInfo,
  statisticsFor,
} from './registry.js';

describe('statistics registry', () => {
  it('has one record per statistic, keyed by its own name', () => {
    expect([...STATISTIC_NAMES].sort()).toEqual(
      [
        'actual_positive_rate',
        'auroc',
        'chi2',
        'duplicate_ids',
        'freshness',
        'jensen_shannon',
        'ks',
        'new_categories',
        'non_finite',
        'null_rate',
        'out_of_range',
        'positive_rate',
        'psi',
        'schema',
        'volume',
        'wasserstein',
        'wasserstein_normed',
        'wrong_type',
      ].sort(),
    );
    for (const name of STATISTIC_NAMES) expect(STATISTICS[name].name).toBe(name);
  });

  it('has the design defaults', () => {
    expect(statisticInfo('psi').defaults).toEqual({ kind: 'distance', warn: 0.1, critical: 0.25 });
    expect(statisticInfo('ks').defaults).toEqual({ kind: 'p_value', pValue: 0.01, minEffect: 0.1 });
    expect(statisticInfo('chi2').defaults).toEqual({
      kind: 'p_value',
      pValue: 0.01,
      minEffect: 0.1,
    });
    expect(statisticInfo('null_rate').defaults).toEqual({
      kind: 'rate',
      maxRate: 0,
      maxIncrease: 0.05,
    });
    expect(statisticInfo('jensen_shannon').defaults).toMatchObject({ critical: 0.1 });
    expect(statisticInfo('wasserstein_normed').defaults).toMatchObject({ critical: 0.1 });
  });

  it('keeps each record consistent: thresholds of the kind the statistic yields', () => {
    for (const name of STATISTIC_NAMES) {
      const info = STATISTICS[name];
      expect(info.defaults.kind).toBe(info.yields);
      expect(info.appliesTo.length).toBeGreaterThan(0);
    }
  });

  it('lists what applies to each kind of column', () => {
    const names = (kind: 'numeric' | 'categorical' | 'classification' | 'labels' | 'window') =>
      statisticsFor(kind).map((info) => info.name);
    expect(names('numeric')).toEqual(
      expect.arrayContaining(['psi', 'ks', 'wasserstein', 'wasserstein_normed', 'null_rate']),
    );
    expect(names('numeric')).not.toContain('chi2');
    expect(names('categorical')).toEqual(
      expect.arrayContaining(['psi', 'jensen_shannon', 'chi2', 'null_rate']),
    );
    expect(names('categorical')).not.toContain('ks');
    expect(names('classification')).toEqual(['positive_rate']);
    expect(names('labels')).toEqual(['actual_positive_rate', 'auroc']);
    expect(names('window')).toEqual(['schema', 'duplicate_ids', 'volume', 'freshness']);
    expect(names('numeric')).toEqual(
      expect.arrayContaining(['non_finite', 'out_of_range', 'wrong_type']),
    );
    expect(names('categorical')).not.toContain('out_of_range');
  });

  it('says which tests take part in the false discovery rate, and what monitors read raw', () => {
    expect(STATISTIC_NAMES.filter((name) => STATISTICS[name].test).sort()).toEqual([
      'chi2',
      'ks',
      'positive_rate',
    ]);
    expect(
      STATISTIC_NAMES.filter((name) => STATISTICS[name].computedFrom === 'raw').sort(),
    ).toEqual(['actual_positive_rate', 'auroc', 'duplicate_ids']);
  });

  it('recognises its names', () => {
    expect(isStatisticName('psi')).toBe(true);
    expect(isStatisticName('toString')).toBe(false);
    expect(isStatisticName('nope')).toBe(false);
  });
});
