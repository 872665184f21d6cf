import { describe, expect, it } from 'vitest';
import { createRandom, type Random } from '../demo/random.js';
import { estimatedMulticlassEntries } from '../report/performance.js';
import { outsideBand, DEFAULT_BAND_WIDTH } from '../stats/cbpe.js';
import { fitIsotonic } from '../stats/isotonic.js';
import {
  emptyMulticlassConfusion,
  emptyMulticlassScores,
  multiclassAuroc,
  multiclassMetrics,
  updateMulticlassConfusion,
  updateMulticlassScores,
} from '../stats/multiclass.js';
import {
  estimateMulticlassSlices,
  type ClassCalibrations,
  type ClassScoreVector,
} from './estimatedPerformance.js';

/**
 * Issue 19 item 3's coverage test for a multiclass monitor: windows of a calibrated softmax
 * model under covariate shift (the classes' base rates move window by window), estimated as a
 * monitor run estimates them (estimateMulticlassSlices over the window's distinct (predicted
 * class, class scores) vectors, as queryClassScoreVectors hands them over). The realized
 * value lies inside the band (± 3σ) in at least 95% of windows; under concept drift it does
 * not. Realized values come from src/stats/multiclass.ts (scikit-learn's oracle cases).
 */
const CLASSES = ['ant', 'bee', 'wasp'];
const WINDOWS = 200;
const EVENTS = 600;
const METRICS = ['accuracy', 'precision', 'recall', 'f1', 'roc_auc'] as const;

interface Event {
  scores: number[];
  predicted: string;
  label: string;
}

function draw(random: Random, shift: readonly number[]): Event {
  const logits = CLASSES.map((_, j) => 1.2 * random.normal(0, 1) + (shift[j] ?? 0));
  const top = Math.max(...logits);
  const weights = logits.map((l) => Math.exp(l - top));
  const total = weights.reduce((t, w) => t + w, 0);
  // three decimals: vectors repeat, as rounded scores do in production
  const scores = weights.map((w) => Number((w / total).toFixed(3)));
  let u = random.uniform() * scores.reduce((t, s) => t + s, 0);
  let label = CLASSES.length - 1;
  for (let j = 0; j < CLASSES.length; j += 1) {
    u -= scores[j] ?? 0;
    if (u < 0) {
      label = j;
      break;
    }
  }
  const best = scores.indexOf(Math.max(...scores));
  return { scores, predicted: CLASSES[best] ?? '', label: CLASSES[label] ?? '' };
}

/** The window's distinct vectors with their counts, in slice "all" (what the store returns). */
function vectorsOf(events: readonly Event[]): ClassScoreVector[] {
  const found = new Map<string, ClassScoreVector>();
  for (const e of events) {
    const name = `${e.predicted}|${e.scores.join(',')}`;
    const row = found.get(name);
    if (row) row.count += 1;
    else
      found.set(name, {
        key: '',
        value: 'all',
        predicted: e.predicted,
        scores: e.scores,
        count: 1,
      });
  }
  return [...found.values()];
}

function realizedOf(events: readonly Event[], labels: readonly string[]) {
  const confusion = emptyMulticlassConfusion();
  const scores = emptyMulticlassScores();
  events.forEach((e, i) => {
    const y = labels[i] ?? '';
    updateMulticlassConfusion(confusion, y, e.predicted);
    updateMulticlassScores(scores, y, new Map(CLASSES.map((c, j) => [c, e.scores[j] ?? NaN])));
  });
  const m = multiclassMetrics(confusion, CLASSES);
  return {
    accuracy: m.accuracy,
    precision: m.precision_macro,
    recall: m.recall_macro,
    f1: m.f1_macro,
    roc_auc: multiclassAuroc(scores, CLASSES).roc_auc_ovr,
  };
}

function setup(seed: number) {
  const random = createRandom(seed);
  const reference = Array.from({ length: 8000 }, () => draw(random, [0, 0, 0]));
  const calibrated: ClassCalibrations = {
    classes: CLASSES,
    calibrations: CLASSES.map((name, j) =>
      fitIsotonic(
        reference.map((e) => e.scores[j] ?? NaN),
        reference.map((e) => (e.label === name ? 1 : 0)),
      ),
    ),
  };
  const windows = Array.from({ length: WINDOWS }, (_, w) => {
    const t = w / (WINDOWS - 1);
    return Array.from({ length: EVENTS }, () => draw(random, [1.5 * t - 0.75, 0, 0.75 - 1.5 * t]));
  });
  return { random, calibrated, windows };
}

describe('multiclass CBPE as a monitor estimates it', () => {
  const { random, calibrated, windows } = setup(20261207);
  const estimates = windows.map((events) => {
    const [all] = estimateMulticlassSlices(calibrated, vectorsOf(events), [], DEFAULT_BAND_WIDTH);
    if (!all) throw new Error('no estimate');
    return all;
  });

  it('gives what the report gives for the same rows (src/report, estimatedMulticlassEntries)', () => {
    const events = windows[WINDOWS - 1] ?? [];
    const [entry] = estimatedMulticlassEntries(
      calibrated.calibrations,
      CLASSES,
      vectorsOf(events).map((v) => ({
        slice: 'all',
        predicted: v.predicted,
        scores: [...v.scores],
        count: v.count,
      })),
    );
    const mine = estimates[WINDOWS - 1];
    const names = {
      accuracy: 'accuracy',
      precision: 'precision_macro',
      recall: 'recall_macro',
      f1: 'f1_macro',
      roc_auc: 'roc_auc_ovr',
    } as const;
    for (const metric of METRICS) {
      const theirs = entry?.estimated?.[names[metric]];
      expect(mine?.[metric].value, metric).toBeCloseTo(theirs?.value ?? NaN, 12);
      expect(mine?.[metric].band.lower, metric).toBeCloseTo(theirs?.band[0] ?? NaN, 12);
    }
    expect(mine?.n).toBe(EVENTS);
  });

  it('holds the realized accuracy and macro averages in at least 95% of windows under covariate shift', () => {
    const hits = Object.fromEntries(METRICS.map((m) => [m, 0])) as Record<
      (typeof METRICS)[number],
      number
    >;
    windows.forEach((events, w) => {
      const realized = realizedOf(
        events,
        events.map((e) => e.label),
      );
      const estimate = estimates[w];
      if (!estimate) return;
      for (const metric of METRICS)
        if (!outsideBand(estimate[metric], realized[metric])) hits[metric] += 1;
    });
    for (const metric of METRICS)
      expect(hits[metric] / WINDOWS, `${metric} within the band`).toBeGreaterThanOrEqual(0.95);
  });

  it('misses under concept drift: the same scores, labels drawn uniformly', () => {
    let missed = 0;
    windows.slice(0, 40).forEach((events, w) => {
      const labels = events.map(() => CLASSES[Math.floor(random.uniform() * CLASSES.length)] ?? '');
      const estimate = estimates[w];
      if (estimate && outsideBand(estimate.accuracy, realizedOf(events, labels).accuracy))
        missed += 1;
    });
    expect(missed).toBeGreaterThanOrEqual(38);
  });

  it('counts a vector predicting a class the baseline has no scores for as skipped, not estimated', () => {
    const events = windows[0] ?? [];
    const odd: ClassScoreVector = {
      key: '',
      value: 'all',
      predicted: 'hornet',
      scores: [0.2, 0.3, 0.5],
      count: 7,
    };
    const [all] = estimateMulticlassSlices(
      calibrated,
      [...vectorsOf(events), odd],
      [{ key: '', value: 'all', count: 3 }],
      3,
    );
    expect(all?.n).toBe(EVENTS);
    expect(all?.multiclass?.skipped).toBe(10);
    expect(all?.accuracy.value).toBeCloseTo(estimates[0]?.accuracy.value ?? NaN, 12);
  });
});
