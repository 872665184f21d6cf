import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { aurocFromScoreHistogram } from './auroc.js';
import { aurocBracketFromCells, labelledScoreCells, type WeightedScoreCell } from './aurocCells.js';
import { aurocByPairs, scoreHistogram } from './oracle.testing.js';
import { cellsByKey, expectWithin } from './taskOracle.testing.js';

/**
 * The AUROC bracket against the definition computed pair by pair on the raw events, for
 * labels (the realized AUROC) and for calibrated probabilities (CBPE's expected AUROC).
 */

/** Σ_i Σ_j w_i (1 − w_j) K_ij / (P·N) over every ordered pair, i = j included. */
function weightedAurocByPairs(scores: readonly number[], weights: readonly number[]): number {
  let won = 0;
  let positives = 0;
  weights.forEach((w) => (positives += w));
  const negatives = scores.length - positives;
  scores.forEach((si, i) =>
    scores.forEach((sj, j) => {
      const k = si > sj ? 1 : si === sj ? 0.5 : 0;
      won += (weights[i] ?? 0) * (1 - (weights[j] ?? 0)) * k;
    }),
  );
  return positives > 0 && negatives > 0 ? won / (positives * negatives) : NaN;
}

const score = fc.oneof(
  fc.double({ min: 0, max: 1, noNaN: true }),
  fc.integer({ min: 0, max: 10 }).map((k) => k / 10),
);

/** Events grouped into cells by a key of their index: cells overlap freely. */
function weightedCells(
  scores: readonly number[],
  weights: readonly number[],
  groupOf: (i: number) => number,
  monotone: boolean,
): WeightedScoreCell[] {
  const groups = new Map<number, number[]>();
  scores.forEach((_, i) => groups.set(groupOf(i), [...(groups.get(groupOf(i)) ?? []), i]));
  return [...groups.values()].map((members) => {
    const s = members.map((i) => scores[i] ?? NaN);
    const w = members.map((i) => weights[i] ?? NaN);
    const sum = w.reduce((total, v) => total + v, 0);
    return {
      scoreMin: Math.min(...s),
      scoreMax: Math.max(...s),
      count: members.length,
      positive: { lower: sum, upper: sum },
      monotoneSpread: monotone ? Math.max(...w) - Math.min(...w) : null,
    };
  });
}

describe('aurocBracketFromCells', () => {
  it('is roc_auc_score exactly from cells of one distinct score per label', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(score, fc.integer({ min: 0, max: 1 })), { minLength: 2 }),
        (pairs) => {
          const scores = pairs.map(([s]) => s);
          const labels = pairs.map(([, y]) => y);
          const positives = cellsByKey(
            scores.filter((_, i) => labels[i] === 1),
            (s) => s,
          );
          const negatives = cellsByKey(
            scores.filter((_, i) => labels[i] === 0),
            (s) => s,
          );
          const bracket = aurocBracketFromCells(labelledScoreCells(positives, negatives));
          const expected = aurocFromScoreHistogram(scoreHistogram(scores, labels));
          if (Number.isNaN(expected)) {
            expect(bracket.value).toBeNaN();
            return;
          }
          expect(bracket.lower).toBe(bracket.upper);
          expect(bracket.value).toBeCloseTo(expected, 12);
        },
      ),
      { numRuns: 300, seed: 1 },
    );
  });

  it('contains the realized AUROC for labelled cells on any bucketing', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(score, fc.integer({ min: 0, max: 1 })), { minLength: 2, maxLength: 80 }),
        fc.integer({ min: 1, max: 40 }),
        (pairs, buckets) => {
          const scores = pairs.map(([s]) => s);
          const labels = pairs.map(([, y]) => y);
          const key = (s: number) => Math.floor(s * buckets);
          const positives = cellsByKey(
            scores.filter((_, i) => labels[i] === 1),
            key,
          );
          const negatives = cellsByKey(
            scores.filter((_, i) => labels[i] === 0),
            key,
          );
          const bracket = aurocBracketFromCells(labelledScoreCells(positives, negatives));
          const expected = aurocByPairs(scores, labels);
          if (Number.isNaN(expected)) {
            expect(bracket.value).toBeNaN();
            return;
          }
          expectWithin(expected, bracket, 'auroc');
        },
      ),
      { numRuns: 300, seed: 2 },
    );
  });

  it('contains the expected AUROC of calibrated weights, monotone in the score, in any cells', () => {
    fc.assert(
      fc.property(
        fc.array(score, { minLength: 2, maxLength: 60 }),
        fc.array(
          fc.integer({ min: 0, max: 1000 }).map((k) => k / 1000),
          { minLength: 1, maxLength: 8 },
        ),
        fc.integer({ min: 1, max: 7 }),
        (scores, steps, groups) => {
          // a non-decreasing calibration: a step function of the score
          const levels = [...steps].sort((a, b) => a - b);
          const weights = scores.map(
            (s) => levels[Math.min(levels.length - 1, Math.floor(s * levels.length))] ?? 0,
          );
          const expected = weightedAurocByPairs(scores, weights);
          const monotone = aurocBracketFromCells(
            weightedCells(scores, weights, (i) => i % groups, true),
          );
          const unknown = aurocBracketFromCells(
            weightedCells(scores, weights, (i) => i % groups, false),
          );
          if (Number.isNaN(expected)) {
            expect(monotone.value).toBeNaN();
            return;
          }
          expectWithin(expected, monotone, 'monotone');
          expectWithin(expected, unknown, 'unknown order');
          expect(monotone.upper - monotone.lower).toBeLessThanOrEqual(
            unknown.upper - unknown.lower + 1e-12,
          );
        },
      ),
      { numRuns: 300, seed: 3 },
    );
  });

  it('contains it when the cells only bracket their weights', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            score,
            fc.integer({ min: 0, max: 1000 }).map((k) => k / 1000),
          ),
          {
            minLength: 2,
            maxLength: 40,
          },
        ),
        fc.double({ min: 0, max: 0.5, noNaN: true }),
        (pairs, slack) => {
          const scores = pairs.map(([s]) => s);
          const weights = pairs.map(([, w]) => w);
          const expected = weightedAurocByPairs(scores, weights);
          const cells = weightedCells(scores, weights, (i) => i % 3, false).map((cell) => ({
            ...cell,
            positive: {
              lower: Math.max(0, cell.positive.lower - slack),
              upper: Math.min(cell.count, cell.positive.upper + slack),
            },
          }));
          const bracket = aurocBracketFromCells(cells);
          if (Number.isNaN(expected)) return;
          expectWithin(expected, bracket, 'bracketed weights');
        },
      ),
      { numRuns: 300, seed: 4 },
    );
  });

  it('is NaN without both classes', () => {
    const cells = labelledScoreCells([{ count: 3, sum: 1.5, min: 0.2, max: 0.8 }], []);
    expect(aurocBracketFromCells(cells).value).toBeNaN();
    expect(aurocBracketFromCells([]).value).toBeNaN();
  });
});
