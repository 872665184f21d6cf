import { describe, expect, it } from 'vitest';
import { casesOfKind, expectClose } from '../../test/helpers/oracle.js';
import { binCounts, binEdgesFromQuantiles, binIndex, quantileR7 } from './bins.js';
import { jensenShannonDistance } from './jensenShannon.js';
import { psi } from './psi.js';
import { normedWasserstein, wasserstein1 } from './wasserstein.js';

const sortedNonNull = (values: (number | null)[]) =>
  values.filter((v): v is number => v !== null).sort((a, b) => a - b);

describe('numeric distances against scipy', () => {
  it.each(casesOfKind('numeric'))('$name', (oracle) => {
    const reference = sortedNonNull(oracle.reference);
    const current = sortedNonNull(oracle.current);
    const edges = binEdgesFromQuantiles(
      [1, 2, 3, 4, 5, 6, 7, 8, 9].map((k) => quantileR7(reference, k / 10)),
    );
    expect(edges).toHaveLength(oracle.expected.psi_bin_edges.length);
    edges.forEach((edge, i) =>
      expectClose(edge, oracle.expected.psi_bin_edges[i] ?? NaN, 1e-9, `edge ${i}`),
    );
    const r = binCounts(edges, reference);
    const c = binCounts(edges, current);
    expectClose(psi(r, c), oracle.expected.psi, 1e-9, 'psi');
    expectClose(
      jensenShannonDistance(r, c),
      oracle.expected.jensen_shannon_distance_base2,
      1e-9,
      'js',
    );
    const w = wasserstein1(reference, current);
    expectClose(w, oracle.expected.wasserstein, 1e-9, 'wasserstein');
    const mean = reference.reduce((s, v) => s + v, 0) / reference.length;
    const std = Math.sqrt(reference.reduce((s, v) => s + (v - mean) ** 2, 0) / reference.length);
    expectClose(normedWasserstein(w, std), oracle.expected.wasserstein_normed, 1e-9, 'normed');
  });
});

describe('bins', () => {
  it('puts a value equal to an edge in the bin above it (searchsorted right)', () => {
    expect(binIndex([1, 2, 3], 0.5)).toBe(0);
    expect(binIndex([1, 2, 3], 1)).toBe(1);
    expect(binIndex([1, 2, 3], 3)).toBe(3);
    expect(binIndex([1, 2, 3], 99)).toBe(3);
  });

  it('keeps unique edges only', () => {
    expect(binEdgesFromQuantiles([1, 2, 2, 3, 3, 3])).toEqual([1, 2, 3]);
  });
});

describe('PSI and Jensen-Shannon', () => {
  it('are zero for identical distributions', () => {
    expect(psi([10, 20, 30], [1, 2, 3])).toBeCloseTo(0, 15);
    expect(jensenShannonDistance([10, 20, 30], [1, 2, 3])).toBeCloseTo(0, 7);
  });

  it('floor empty bins at 1e-4 instead of dividing by zero', () => {
    // r = (1, 0), c = (0.5, 0.5) → floored r = (1, 1e-4)
    const expected = (0.5 - 1) * Math.log(0.5 / 1) + (0.5 - 1e-4) * Math.log(0.5 / 1e-4);
    expect(psi([10, 0], [5, 5])).toBeCloseTo(expected, 12);
  });

  it('refuse bins of different lengths and empty samples', () => {
    expect(() => psi([1, 2], [1, 2, 3])).toThrow(RangeError);
    expect(() => psi([0, 0], [1, 2])).toThrow(RangeError);
  });
});
