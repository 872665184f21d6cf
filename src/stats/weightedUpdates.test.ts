import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addBinaryCbpeCount,
  addMulticlassCbpeCount,
  emptyBinaryCbpe,
  emptyMulticlassCbpe,
  estimateBinaryFromSums,
  estimateMulticlassFromSums,
  updateBinaryCbpe,
  updateMulticlassCbpe,
} from './cbpe.js';
import {
  addBinaryQualityCounts,
  binaryQualityMetrics,
  emptyBinaryQuality,
  updateBinaryQuality,
} from './classificationQuality.js';
import {
  emptyMulticlassConfusion,
  multiclassMetrics,
  updateMulticlassConfusion,
} from './multiclass.js';

/**
 * The count-weighted updates (a store's counts per distinct value added at once) against the
 * same events added one at a time: counts and maps equal exactly, float sums to rounding
 * (count × term rounds once, repeated addition at every step), metrics alike.
 */
const SCORES = [0, 0.1, 0.25, 0.5, 0.5000001, 0.75, 0.9, 1];
const score = fc.constantFrom(...SCORES);
const count = fc.integer({ min: 0, max: 40 });

function expectSumsClose(weighted: unknown, unweighted: unknown): void {
  if (typeof weighted === 'number' && typeof unweighted === 'number') {
    if (Number.isNaN(unweighted)) expect(weighted).toBeNaN();
    else
      expect(Math.abs(weighted - unweighted)).toBeLessThanOrEqual(
        1e-12 * Math.max(1, Math.abs(unweighted)),
      );
    return;
  }
  if (weighted instanceof Map && unweighted instanceof Map) {
    expect([...weighted.keys()].sort()).toEqual([...unweighted.keys()].sort());
    for (const [key, value] of unweighted) expectSumsClose(weighted.get(key), value);
    return;
  }
  if (
    typeof weighted === 'object' &&
    weighted !== null &&
    typeof unweighted === 'object' &&
    unweighted !== null
  ) {
    expect(Object.keys(weighted).sort()).toEqual(Object.keys(unweighted).sort());
    for (const [key, value] of Object.entries(unweighted))
      expectSumsClose((weighted as Record<string, unknown>)[key], value);
    return;
  }
  expect(weighted).toEqual(unweighted);
}

describe('count-weighted updates equal the one-event updates', () => {
  it('binary quality: addBinaryQualityCounts', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(score, count, count), { maxLength: 20 }), (rows) => {
        const options = { threshold: 0.5, calibrationBins: 4 };
        const weighted = emptyBinaryQuality(options);
        const unweighted = emptyBinaryQuality(options);
        for (const [s, positives, negatives] of rows) {
          addBinaryQualityCounts(weighted, s, positives, negatives);
          for (let i = 0; i < positives; i += 1) updateBinaryQuality(unweighted, s, 1);
          for (let i = 0; i < negatives; i += 1) updateBinaryQuality(unweighted, s, 0);
        }
        expect([weighted.tp, weighted.fp, weighted.fn, weighted.tn]).toEqual([
          unweighted.tp,
          unweighted.fp,
          unweighted.fn,
          unweighted.tn,
        ]);
        expect(weighted.binCounts).toEqual(unweighted.binCounts);
        expect(weighted.binPositives).toEqual(unweighted.binPositives);
        expect(weighted.scores).toEqual(unweighted.scores);
        expectSumsClose(weighted, unweighted);
        if (weighted.tp + weighted.fp + weighted.fn + weighted.tn > 0)
          expectSumsClose(binaryQualityMetrics(weighted), binaryQualityMetrics(unweighted));
      }),
    );
  });

  it('binary CBPE: addBinaryCbpeCount', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(score, fc.constantFrom(0, 0.05, 0.3, 0.5, 0.8, 1), count), {
          maxLength: 20,
        }),
        (rows) => {
          const weighted = emptyBinaryCbpe(0.5);
          const unweighted = emptyBinaryCbpe(0.5);
          // one calibrated probability per score, as a calibration gives
          const calibrated = new Map(rows.map(([s, p]) => [s, p]));
          for (const [s, , n] of rows) {
            const p = calibrated.get(s) ?? 0;
            addBinaryCbpeCount(weighted, s, p, n);
            for (let i = 0; i < n; i += 1) updateBinaryCbpe(unweighted, s, p);
          }
          expectSumsClose(weighted, unweighted);
          expectSumsClose(estimateBinaryFromSums(weighted), estimateBinaryFromSums(unweighted));
        },
      ),
    );
  });

  it('multiclass confusion and CBPE: a count argument', () => {
    const classes = ['a', 'b', 'c'];
    const row = fc.tuple(
      fc.constantFrom(...classes),
      fc.constantFrom(...classes),
      fc.array(score, { minLength: 3, maxLength: 3 }),
      count,
    );
    fc.assert(
      fc.property(fc.array(row, { maxLength: 15 }), (rows) => {
        const confusion = emptyMulticlassConfusion();
        const confusionOneByOne = emptyMulticlassConfusion();
        const weighted = emptyMulticlassCbpe(classes);
        const unweighted = emptyMulticlassCbpe(classes);
        for (const [label, predicted, scores, n] of rows) {
          const total = scores.reduce((a, b) => a + b, 0);
          const calibrated = scores.map((s) => (total > 0 ? s / total : 1 / 3));
          updateMulticlassConfusion(confusion, label, predicted, n);
          addMulticlassCbpeCount(weighted, predicted, calibrated, scores, n);
          for (let i = 0; i < n; i += 1) {
            updateMulticlassConfusion(confusionOneByOne, label, predicted);
            updateMulticlassCbpe(unweighted, predicted, calibrated, scores);
          }
        }
        expect(multiclassMetrics(confusion, classes)).toEqual(
          multiclassMetrics(confusionOneByOne, classes),
        );
        expectSumsClose(weighted, unweighted);
        if (weighted.predicted.some((p) => p.count > 0))
          expectSumsClose(
            estimateMulticlassFromSums(weighted),
            estimateMulticlassFromSums(unweighted),
          );
      }),
    );
  });

  it('refuses a count that is not a whole number', () => {
    const sums = emptyBinaryQuality({ threshold: 0.5, calibrationBins: 2 });
    expect(() => addBinaryQualityCounts(sums, 0.3, 1.5, 0)).toThrow(RangeError);
    expect(() => addBinaryCbpeCount(emptyBinaryCbpe(0.5), 0.3, 0.2, -1)).toThrow(RangeError);
    expect(() => updateMulticlassConfusion(emptyMulticlassConfusion(), 'a', 'b', 0.5)).toThrow(
      RangeError,
    );
  });
});
