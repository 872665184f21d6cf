import { describe, expect, it } from 'vitest';
import {
  estimateBinaryFromSums,
  addBinaryCbpeCount,
  emptyBinaryCbpe,
  estimateBinaryOfScoreCounts,
} from './cbpe.js';
import {
  addBinaryQualityCounts,
  binaryQualityMetrics,
  binaryQualityOfSortedCounts,
  emptyBinaryQuality,
} from './classificationQuality.js';
import { calibrate, fitIsotonic, fitIsotonicOfSortedCounts } from './isotonic.js';
import { scoreHistograms, UNLABELLED, type ScoreHistogram } from './scoreHistogram.js';

/** Deterministic rows: scores on a grid (so ties), 3 groups, labels 1 / 0 / none. */
function rowsOf(n: number, seed: number) {
  let state = seed;
  const next = () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
  const group = new Uint32Array(n);
  const score = new Float64Array(n);
  const label = new Int8Array(n);
  for (let i = 0; i < n; i += 1) {
    group[i] = Math.floor(next() * 3);
    // a coarse grid for ties, and a few fine values; -0 and 0 are one score
    score[i] = i % 7 === 0 ? next() : Math.round(next() * 200) / 200;
    if (i === 5) score[i] = -0;
    const u = next();
    label[i] = u < 0.1 ? UNLABELLED : u < 0.1 + 0.9 * score[i]! ? 1 : 0;
  }
  return { group, score, label };
}

/** The histogram as a Map per group, the obvious way. */
function naiveHistogram(rows: ReturnType<typeof rowsOf>, keep: (g: number) => boolean) {
  const counts = new Map<number, [number, number, number]>();
  for (let i = 0; i < rows.score.length; i += 1) {
    if (!keep(rows.group[i]!)) continue;
    const key = rows.score[i]! === 0 ? 0 : rows.score[i]!;
    const row = counts.get(key) ?? [0, 0, 0];
    row[rows.label[i] === 1 ? 0 : rows.label[i] === 0 ? 1 : 2] += 1;
    counts.set(key, row);
  }
  return [...counts].sort((a, b) => a[0] - b[0]);
}

function asRows(h: ScoreHistogram) {
  return [...h.score].map((score, r) => [
    score === 0 ? 0 : score,
    [h.positives[r], h.negatives[r], h.unlabelled[r]],
  ]);
}

describe('scoreHistograms', () => {
  const rows = rowsOf(20_000, 7);
  const built = scoreHistograms(rows, 3);

  it('gives each group and all rows their distinct scores ascending with counts per label', () => {
    for (let g = 0; g < 3; g += 1)
      expect(asRows(built.groups[g]!)).toEqual(naiveHistogram(rows, (x) => x === g));
    expect(asRows(built.all)).toEqual(naiveHistogram(rows, () => true));
    // ties exist, so the test can tell a histogram from a copy of the rows
    expect(built.all.score.length).toBeLessThan(rows.score.length / 2);
  });

  it('feeds the binary metrics the same bits as the accumulator', () => {
    const options = { threshold: 0.5, calibrationBins: 10 };
    const sums = emptyBinaryQuality(options);
    const h = built.all;
    for (let r = 0; r < h.score.length; r += 1)
      addBinaryQualityCounts(sums, h.score[r]!, h.positives[r]!, h.negatives[r]!);
    expect(binaryQualityOfSortedCounts(h, options)).toStrictEqual(binaryQualityMetrics(sums));
  });

  it('fits the isotonic calibration sklearn would from the rows', () => {
    const labelled = [...rows.score.keys()].filter((i) => rows.label[i] !== UNLABELLED);
    const direct = fitIsotonic(
      labelled.map((i) => rows.score[i]!),
      labelled.map((i) => rows.label[i]!),
    );
    expect(fitIsotonicOfSortedCounts(built.all)).toEqual(direct);
  });

  it('feeds CBPE the same bits as the accumulator', () => {
    const calibration = fitIsotonicOfSortedCounts(built.all);
    const h = built.groups[1]!;
    const count = h.score.map((_, r) => h.positives[r]! + h.negatives[r]! + h.unlabelled[r]!);
    const sums = emptyBinaryCbpe(0.5);
    for (let r = 0; r < h.score.length; r += 1)
      addBinaryCbpeCount(sums, h.score[r]!, calibrate(calibration, h.score[r]!), count[r]!);
    expect(estimateBinaryOfScoreCounts(calibration, { score: h.score, count }, 0.5)).toStrictEqual(
      estimateBinaryFromSums(sums),
    );
  });
});
