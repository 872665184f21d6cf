import { describe, expect, it } from 'vitest';
import { createRandom } from '../demo/random.js';
import { distanceBrackets, type Cell } from './cells.js';
import { finerCellsOf, intervalsToRefine, ksTargets, replaceRefined } from './narrowing.js';
import { plainKsD } from '../stats/plainKs.testing.js';

/** Cells as the summaries make them: values grouped by a monotone bucket of width `width`. */
function bucketed(values: readonly number[], width: number): Cell[] {
  const cells = new Map<number, Cell>();
  for (const v of values) {
    const key = Math.floor(v / width);
    const cell = cells.get(key);
    if (cell) {
      cell.count += 1;
      cell.sum += v;
      cell.min = Math.min(cell.min, v);
      cell.max = Math.max(cell.max, v);
    } else cells.set(key, { count: 1, sum: v, min: v, max: v });
  }
  return [...cells.values()];
}

describe('narrowing a KS bracket from finer cells', () => {
  it('keeps the exact D inside and narrows, on 300 generated cases (ties, shifts, near-equal samples)', () => {
    const random = createRandom(5);
    let narrower = 0;
    for (let k = 0; k < 300; k += 1) {
      const shift = k % 3 === 0 ? 0 : random.uniform() * 0.05;
      const tie = k % 5 === 0 ? 100 : 1e6;
      const a = Array.from({ length: 400 }, () => Math.round(random.normal(0, 1) * tie) / tie);
      const b = Array.from({ length: 300 }, () => Math.round(random.normal(shift, 1) * tie) / tie);
      const cellsA = bucketed(a, 0.25);
      const cellsB = bucketed(b, 0.25);
      const before = distanceBrackets(cellsA, cellsB)?.ks;
      if (!before) throw new Error('empty');
      const targets = ksTargets(cellsA, cellsB, before.lower);
      const intervalsA = intervalsToRefine(cellsA, targets.a);
      const intervalsB = intervalsToRefine(cellsB, targets.b);
      const finerA = replaceRefined(cellsA, intervalsA, finerCellsOf(a, intervalsA));
      const finerB = replaceRefined(cellsB, intervalsB, finerCellsOf(b, intervalsB));
      if (!finerA || !finerB) throw new Error('finer cells do not add up');
      const after = distanceBrackets(finerA, finerB)?.ks;
      const exact = plainKsD(a, b);
      expect(after?.lower).toBeLessThanOrEqual(exact + 1e-12);
      expect(after?.upper).toBeGreaterThanOrEqual(exact - 1e-12);
      expect(after!.upper - after!.lower).toBeLessThanOrEqual(before.upper - before.lower + 1e-12);
      if (after!.upper - after!.lower < (before.upper - before.lower) / 4) narrower += 1;
    }
    expect(narrower).toBeGreaterThan(200);
  });

  it('refuses finer cells that do not hold the values of the cells they replace', () => {
    const cells = bucketed([0.1, 0.2, 0.3, 0.6], 0.5);
    const intervals = intervalsToRefine(cells, cells);
    expect(replaceRefined(cells, intervals, finerCellsOf([0.1, 0.2], intervals))).toBeNull();
  });
});
