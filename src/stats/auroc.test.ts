import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { aurocFromCounts, aurocFromScoreHistogram } from './auroc.js';
import {
  aurocByPairs,
  casesOfKind,
  expectClose,
  parseOracleCases,
  scoreHistogram,
} from './oracle.testing.js';

const cases = parseOracleCases(
  readFileSync(new URL('../../test/fixtures/stats-cases.json', import.meta.url), 'utf8'),
);

describe('AUROC against scikit-learn roc_auc_score', () => {
  it.each(casesOfKind(cases, 'classification'))('$name', ({ scores, labels, expected }) => {
    const rows = scoreHistogram(scores, labels);
    expectClose(aurocFromScoreHistogram(rows), expected.auroc, 'auroc from histogram');

    // what SQL hands over: the Mann-Whitney count with ties at one half
    const positives = labels.filter((label) => label === 1).length;
    const negatives = labels.length - positives;
    let pairsWon = 0;
    for (const row of rows) {
      const lower = rows.filter((other) => other.score < row.score);
      pairsWon +=
        row.positives *
        (lower.reduce((sum, other) => sum + other.negatives, 0) + row.negatives / 2);
    }
    expectClose(aurocFromCounts({ positives, negatives, pairsWon }), expected.auroc, 'auroc');
  });
});

describe('aurocFromScoreHistogram', () => {
  it('is 1 for a perfect ranking, 0 for a reversed one, ½ when every score ties', () => {
    const perfect = [
      { score: 0.1, positives: 0, negatives: 5 },
      { score: 0.9, positives: 3, negatives: 0 },
    ];
    expect(aurocFromScoreHistogram(perfect)).toBe(1);
    expect(aurocFromScoreHistogram(perfect.map((row) => ({ ...row, score: 1 - row.score })))).toBe(
      0,
    );
    expect(aurocFromScoreHistogram([{ score: 0.3, positives: 4, negatives: 6 }])).toBe(0.5);
  });

  it('counts ties half, as every pair compared by hand does', () => {
    const scores = [0.2, 0.2, 0.5, 0.5, 0.5, 0.7, 0.9, 0.1, 0.7, 0.2];
    const labels = [0, 1, 0, 1, 1, 0, 1, 0, 1, 0];
    expect(aurocFromScoreHistogram(scoreHistogram(scores, labels))).toBeCloseTo(
      aurocByPairs(scores, labels),
      15,
    );
  });

  it('does not care about row order', () => {
    const rows = [
      { score: 0.9, positives: 2, negatives: 1 },
      { score: 0.1, positives: 1, negatives: 3 },
      { score: 0.5, positives: 1, negatives: 1 },
    ];
    expect(aurocFromScoreHistogram(rows)).toBe(aurocFromScoreHistogram([...rows].reverse()));
  });

  it('is NaN without both classes or without rows', () => {
    expect(aurocFromScoreHistogram([{ score: 0.4, positives: 3, negatives: 0 }])).toBeNaN();
    expect(aurocFromScoreHistogram([])).toBeNaN();
  });
});

describe('aurocFromCounts', () => {
  it('divides the pairs won by all pairs', () => {
    expect(aurocFromCounts({ positives: 4, negatives: 5, pairsWon: 15 })).toBe(0.75);
  });

  it('is NaN without positives or negatives', () => {
    expect(aurocFromCounts({ positives: 0, negatives: 5, pairsWon: 0 })).toBeNaN();
    expect(aurocFromCounts({ positives: 3, negatives: 0, pairsWon: 0 })).toBeNaN();
  });
});
