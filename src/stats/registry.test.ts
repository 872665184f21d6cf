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
        'auroc',
        'chi2',
        'jensen_shannon',
        'ks',
        'null_rate',
        'positive_rate',
        'psi',
        'wasserstein',
        'wasserstein_normed',
      ].sort(),
    );
    for (const name of STATISTIC_NAMES) expect(STATISTICS[name].name).toBe(name);
  });

  it('has the design defaults', () => {
    expect(statisticInfo('psi').defaults).toEqual({ kind: 'distance', warn: 0.1, critical: 0.25 });
    expect(statisticInfo('ks').defaults).toEqual({ kind: 'p_value', pValue: 0.01 });
    expect(statisticInfo('chi2').defaults).toEqual({ kind: 'p_value', pValue: 0.01 });
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
    const names = (kind: 'numeric' | 'categorical' | 'classification') =>
      statisticsFor(kind).map((info) => info.name);
    expect(names('numeric')).toEqual(
      expect.arrayContaining(['psi', 'ks', 'wasserstein', 'wasserstein_normed', 'null_rate']),
    );
    expect(names('numeric')).not.toContain('chi2');
    expect(names('categorical')).toEqual(
      expect.arrayContaining(['psi', 'jensen_shannon', 'chi2', 'null_rate']),
    );
    expect(names('categorical')).not.toContain('ks');
    expect(names('classification')).toEqual(
      expect.arrayContaining(['positive_rate', 'auroc', 'null_rate']),
    );
  });

  it('recognises its names', () => {
    expect(isStatisticName('psi')).toBe(true);
    expect(isStatisticName('toString')).toBe(false);
    expect(isStatisticName('nope')).toBe(false);
  });
});
