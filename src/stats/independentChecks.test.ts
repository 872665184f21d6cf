import { readFileSync } from 'node:fs';
import { errorFunction, standardDeviation, wilcoxonRankSum } from 'simple-statistics';
import { describe, expect, it } from 'vitest';
import { aurocFromScoreHistogram } from './auroc.js';
import {
  casesOfKind,
  expectClose,
  nonNullSorted,
  parseOracleCases,
  populationStd,
  scoreHistogram,
} from './oracle.testing.js';
import { twoProportionZTest } from './proportions.js';

/**
 * Second opinions from another library's algorithms (simple-statistics), beside the scipy
 * oracles: a statistic computed two different ways that agree is less likely to share a
 * mistake with its test.
 */
const cases = parseOracleCases(
  readFileSync(new URL('../../test/fixtures/stats-cases.json', import.meta.url), 'utf8'),
);

/** AUROC is the Mann-Whitney U over all pairs: (rank sum of positives − n₁(n₁+1)/2) / (n₁ n₀). */
function aurocByRanks(scores: readonly number[], labels: readonly number[]): number {
  const positives = scores.filter((_, i) => labels[i] === 1);
  const negatives = scores.filter((_, i) => labels[i] !== 1);
  const rankSum = wilcoxonRankSum(positives, negatives); // ties get their mean rank
  const n1 = positives.length;
  return (rankSum - (n1 * (n1 + 1)) / 2) / (n1 * negatives.length);
}

describe('independent checks with simple-statistics', () => {
  it.each(casesOfKind(cases, 'classification'))(
    'AUROC of $name by rank sums (Wilcoxon) equals ours by score histogram',
    ({ scores, labels }) => {
      expectClose(
        aurocFromScoreHistogram(scoreHistogram(scores, labels)),
        aurocByRanks(scores, labels),
        'auroc',
        1e-12,
      );
    },
  );

  it('AUROC with many ties, by rank sums and by histogram', () => {
    const scores = Array.from({ length: 400 }, (_, i) => Math.round(((i * 37) % 101) / 10) / 10);
    const labels = scores.map((score, i) => (score + ((i * 13) % 7) / 10 > 0.8 ? 1 : 0));
    expectClose(
      aurocFromScoreHistogram(scoreHistogram(scores, labels)),
      aurocByRanks(scores, labels),
      'auroc',
      1e-12,
    );
  });

  it.each(casesOfKind(cases, 'numeric'))(
    'the population standard deviation that norms Wasserstein ($name)',
    ({ reference }) => {
      const values = nonNullSorted(reference);
      expectClose(populationStd(values), standardDeviation(values), 'σ', 1e-12);
    },
  );

  it.each(casesOfKind(cases, 'proportion'))(
    'the z-test p-value of $name, with another erf',
    ({ reference, current }) => {
      const { z, pValue } = twoProportionZTest(reference, current);
      // simple-statistics' erf is a polynomial approximation good to about 1.2e-7
      const other = 1 - errorFunction(Math.abs(z) / Math.SQRT2);
      expect(Math.abs(pValue - other)).toBeLessThanOrEqual(2e-7);
    },
  );
});
