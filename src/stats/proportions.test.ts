import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { casesOfKind, expectClose, expectPValue, parseOracleCases } from './oracle.testing.js';
import { positiveRate, twoProportionZTest } from './proportions.js';

const cases = parseOracleCases(
  readFileSync(new URL('../../test/fixtures/stats-cases.json', import.meta.url), 'utf8'),
);

describe('two-proportion z-test against the oracle', () => {
  it.each(casesOfKind(cases, 'proportion'))('$name', ({ reference, current, expected }) => {
    const result = twoProportionZTest(reference, current);
    expectClose(result.z, expected.z, 'z');
    expectPValue(result.pValue, expected.pvalue_two_sided, 'p-value');
  });
});

describe('positive rates against the oracle', () => {
  it.each(casesOfKind(cases, 'classification'))(
    '$name',
    ({ scores, labels, threshold, expected }) => {
      const n = labels.length;
      const actual = positiveRate({ positives: labels.filter((label) => label === 1).length, n });
      // predicted positive: score at or above the threshold
      const predicted = positiveRate({
        positives: scores.filter((score) => score >= threshold).length,
        n,
      });
      expectClose(actual, expected.positive_rate_labels, 'label rate');
      expectClose(predicted, expected.positive_rate_predicted, 'predicted rate');
    },
  );
});

describe('twoProportionZTest', () => {
  it('matches a hand computation: pooled 0.55, z = 0.1 / sqrt(0.55 · 0.45 · 0.02)', () => {
    const result = twoProportionZTest({ positives: 50, n: 100 }, { positives: 60, n: 100 });
    expectClose(result.z, 1.4213381090374024, 'z');
    expectClose(result.pValue, 0.1552184896846841, 'p (scipy 2·norm.sf)', 1e-12);
  });

  it('signs z current minus reference, and is symmetric in p', () => {
    const up = twoProportionZTest({ positives: 10, n: 100 }, { positives: 30, n: 100 });
    const down = twoProportionZTest({ positives: 30, n: 100 }, { positives: 10, n: 100 });
    expect(up.z).toBeGreaterThan(0);
    expect(down.z).toBe(-up.z);
    expect(down.pValue).toBe(up.pValue);
  });

  it('is z = 0, p = 1 for equal rates and when there is no variance', () => {
    expect(twoProportionZTest({ positives: 10, n: 100 }, { positives: 20, n: 200 })).toEqual({
      z: 0,
      pValue: 1,
    });
    expect(twoProportionZTest({ positives: 0, n: 50 }, { positives: 0, n: 70 })).toEqual({
      z: 0,
      pValue: 1,
    });
    expect(twoProportionZTest({ positives: 50, n: 50 }, { positives: 70, n: 70 })).toEqual({
      z: 0,
      pValue: 1,
    });
  });

  it('keeps tiny p-values (erfc, not 1 − Φ)', () => {
    const { z, pValue } = twoProportionZTest(
      { positives: 1000, n: 100_000 },
      { positives: 3000, n: 100_000 },
    );
    expect(z).toBeGreaterThan(30);
    expect(pValue).toBeGreaterThan(0);
    expect(pValue).toBeLessThan(1e-200);
  });

  it('is NaN for an empty sample', () => {
    const result = twoProportionZTest({ positives: 0, n: 0 }, { positives: 3, n: 10 });
    expect(result.z).toBeNaN();
    expect(result.pValue).toBeNaN();
    expect(positiveRate({ positives: 0, n: 0 })).toBeNaN();
  });
});
