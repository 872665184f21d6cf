import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  emptyMulticlassConfusion,
  emptyMulticlassScores,
  mergeMulticlassConfusion,
  mergeMulticlassScores,
  multiclassAuroc,
  multiclassAurocFromCells,
  multiclassMetrics,
  updateMulticlassConfusion,
  updateMulticlassScores,
  type ClassScoreCells,
  type MulticlassConfusion,
  type MulticlassScores,
} from './multiclass.js';
import { expectClose } from './oracle.testing.js';
import {
  cellsByKey,
  expectCloseOrUndefined,
  expectWithin,
  parseTaskCases,
  type MulticlassTaskCase,
} from './taskOracle.testing.js';

const cases = parseTaskCases(
  readFileSync(new URL('../../test/fixtures/task-cases.json', import.meta.url), 'utf8'),
).multiclass;

function confusionOf(
  labels: readonly string[],
  predictions: readonly string[],
): MulticlassConfusion {
  const confusion = emptyMulticlassConfusion();
  labels.forEach((label, i) => updateMulticlassConfusion(confusion, label, predictions[i] ?? ''));
  return confusion;
}

function scoresOf(c: MulticlassTaskCase, from = 0, to = c.labels.length): MulticlassScores {
  const scores = emptyMulticlassScores();
  const columns = Object.entries(c.class_scores ?? {});
  for (let i = from; i < to; i += 1)
    updateMulticlassScores(
      scores,
      c.labels[i] ?? '',
      new Map(columns.map(([name, values]) => [name, values[i] ?? NaN])),
    );
  return scores;
}

describe('multiclass metrics against scikit-learn 1.2', () => {
  it.each(cases)('$name ($note)', (c) => {
    const metrics = multiclassMetrics(
      confusionOf(c.labels, c.predictions),
      Object.keys(c.class_scores ?? {}),
    );
    const e = c.expected;
    expect(metrics.classes).toEqual(e.classes);
    for (const key of [
      'accuracy',
      'f1_macro',
      'f1_weighted',
      'precision_macro',
      'recall_macro',
    ] as const)
      expectClose(metrics[key], e[key], `${c.name} ${key}`);
    metrics.per_class.forEach((row, j) => {
      expectClose(
        row.precision,
        e.precision_per_class[j] ?? NaN,
        `${c.name} precision ${row.class}`,
      );
      expectClose(row.recall, e.recall_per_class[j] ?? NaN, `${c.name} recall ${row.class}`);
      expectClose(row.f1, e.f1_per_class[j] ?? NaN, `${c.name} f1 ${row.class}`);
      expect(row.support).toBe(e.support[j]);
    });
    expect(metrics.confusion_matrix).toEqual(e.confusion_matrix);
  });

  it.each(cases.filter((c) => c.class_scores !== null))('$name: roc_auc_ovr', (c) => {
    const auroc = multiclassAuroc(scoresOf(c), c.expected.classes);
    expectCloseOrUndefined(auroc.roc_auc_ovr, c.expected.roc_auc_ovr, `${c.name} roc_auc_ovr`);
    auroc.per_class.forEach((row, j) =>
      expectCloseOrUndefined(
        row.roc_auc,
        c.expected.roc_auc_per_class?.[j],
        `${c.name} ${row.class}`,
      ),
    );
  });

  it.each(cases.filter((c) => c.class_scores !== null))('$name: merged halves, the same', (c) => {
    const half = Math.floor(c.labels.length / 2);
    const confusion = mergeMulticlassConfusion(
      confusionOf(c.labels.slice(half), c.predictions.slice(half)),
      confusionOf(c.labels.slice(0, half), c.predictions.slice(0, half)),
    );
    const metrics = multiclassMetrics(confusion, Object.keys(c.class_scores ?? {}));
    expect(metrics.confusion_matrix).toEqual(c.expected.confusion_matrix);
    expectClose(metrics.f1_weighted, c.expected.f1_weighted, 'f1_weighted');
    const scores = mergeMulticlassScores(scoresOf(c, half), scoresOf(c, 0, half));
    expectCloseOrUndefined(
      multiclassAuroc(scores, c.expected.classes).roc_auc_ovr,
      c.expected.roc_auc_ovr,
      'roc_auc_ovr',
    );
  });

  it('refuses a non-finite class score', () => {
    expect(() =>
      updateMulticlassScores(emptyMulticlassScores(), 'a', new Map([['a', NaN]])),
    ).toThrow(/class a has score NaN/);
  });
});

describe('roc_auc_ovr bracketed from score cells', () => {
  const withScores = cases.filter(
    (c) => c.class_scores !== null && c.expected.roc_auc_ovr !== null,
  );

  function classCells(c: MulticlassTaskCase, key: (s: number) => number): ClassScoreCells[] {
    return c.expected.classes.map((name) => {
      const column = c.class_scores?.[name] ?? [];
      return {
        class: name,
        positives: cellsByKey(
          column.filter((_, i) => c.labels[i] === name),
          key,
        ),
        negatives: cellsByKey(
          column.filter((_, i) => c.labels[i] !== name),
          key,
        ),
      };
    });
  }

  it.each(withScores)('$name: exact from distinct scores, contained from 1/128 cells', (c) => {
    const exactCells = multiclassAurocFromCells(classCells(c, (s) => s));
    expect(exactCells.roc_auc_ovr.lower).toBe(exactCells.roc_auc_ovr.upper);
    expectClose(exactCells.roc_auc_ovr.value, c.expected.roc_auc_ovr ?? NaN, 'exact cells');
    const bucketed = multiclassAurocFromCells(classCells(c, (s) => Math.floor(s * 128)));
    expectWithin(c.expected.roc_auc_ovr ?? NaN, bucketed.roc_auc_ovr, `${c.name} bucketed`);
  });

  it('contains the exact value for random labels, scores and bucketings', () => {
    const classes = ['a', 'b', 'c'];
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.constantFrom(...classes),
            fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 3, maxLength: 3 }),
          ),
          { minLength: 3, maxLength: 80 },
        ),
        fc.integer({ min: 1, max: 20 }),
        (events, buckets) => {
          const labels = events.map(([label]) => label);
          const columns = Object.fromEntries(
            classes.map((name, j) => [name, events.map(([, raw]) => (raw[j] ?? 0) / 40)]),
          );
          const c: MulticlassTaskCase = {
            name: 'random',
            note: '',
            labels,
            predictions: labels,
            class_scores: columns,
            expected: { classes } as MulticlassTaskCase['expected'],
          };
          const exactValue = multiclassAuroc(scoresOf(c), classes).roc_auc_ovr;
          const bracket = multiclassAurocFromCells(classCells(c, (s) => Math.floor(s * buckets)));
          if (Number.isNaN(exactValue)) expect(bracket.roc_auc_ovr.value).toBeNaN();
          else expectWithin(exactValue, bracket.roc_auc_ovr, 'roc_auc_ovr');
        },
      ),
      { numRuns: 200, seed: 5 },
    );
  });
});
