import { describe, expect, it } from 'vitest';
import { casesOfKind, expectClose, expectPValue } from '../../test/helpers/oracle.js';
import { aurocFromScoreHistogram } from './auroc.js';
import { twoProportionZTest } from './proportions.js';

describe('AUROC against scikit-learn roc_auc_score', () => {
  it.each(casesOfKind('classification'))('$name', (oracle) => {
    const byScore = new Map<number, { score: number; positives: number; negatives: number }>();
    oracle.scores.forEach((score, i) => {
      const row = byScore.get(score) ?? { score, positives: 0, negatives: 0 };
      if (oracle.labels[i] === 1) row.positives += 1;
      else row.negatives += 1;
      byScore.set(score, row);
    });
    expectClose(
      aurocFromScoreHistogram([...byScore.values()]),
      oracle.expected.auroc,
      1e-9,
      'auroc',
    );
  });

  it('is one half for a score that does not separate', () => {
    expect(aurocFromScoreHistogram([{ score: 0.3, positives: 4, negatives: 6 }])).toBe(0.5);
  });
});

describe('two-proportion z-test against statsmodels', () => {
  it.each(casesOfKind('proportion'))('$name', (oracle) => {
    const result = twoProportionZTest(oracle.reference, oracle.current);
    expectClose(result.z, oracle.expected.z, 1e-9, 'z');
    expectPValue(result.pValue, oracle.expected.pvalue_two_sided, 'p-value');
  });

  it('is p = 1 when nothing differs', () => {
    expect(twoProportionZTest({ positives: 10, n: 100 }, { positives: 20, n: 200 })).toEqual({
      z: 0,
      pValue: 1,
    });
  });
});
