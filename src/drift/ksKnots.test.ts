import { describe, expect, it } from 'vitest';
import { bracketOf, exactBracket, ksPValueBracket } from './cells.js';
import { createKsKnots } from './ksKnots.js';

/** A small deterministic generator (mulberry32): the same cases every run. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The knots' bracket against ksPValueBracket (the exact bracket, itself checked against
 * scipy in cells and kolmogorov's tests): it must hold that bracket whole, for window sizes
 * on both sides of the algorithms' n = 140 split and D anywhere in [0, 1].
 */
describe('KS p-value brackets from cached knots', () => {
  const next = random(22);
  const cases = Array.from({ length: 600 }, () => {
    const n = 1 + Math.floor(next() * (next() < 0.5 ? 150 : 3000));
    const m = next() < 0.5 ? 1_000_000 : 1 + Math.floor(next() * 5000);
    const centre = next() ** 2;
    const width = next() < 0.2 ? 0 : next() * 0.05;
    const lower = Math.max(0, centre - width);
    const upper = Math.min(1, centre + width);
    return { n, m, d: width === 0 ? exactBracket(centre) : bracketOf(lower, upper) };
  });

  it('holds the exact bracket in every case', () => {
    const knots = createKsKnots();
    for (const { n, m, d } of cases) {
      const exact = ksPValueBracket(d, n, m);
      const wide = knots.bracket(d, n, m);
      const at = `n=${n} m=${m} D=[${d.lower}, ${d.upper}]`;
      expect(wide.lower, at).toBeLessThanOrEqual(exact.lower);
      expect(wide.upper, at).toBeGreaterThanOrEqual(exact.upper);
      expect(wide.lower).toBeGreaterThanOrEqual(0);
      expect(wide.upper).toBeLessThanOrEqual(1);
    }
  });

  it('is at most one knot wider on each side', () => {
    const knots = createKsKnots(32);
    for (const { n, m, d } of cases.slice(0, 100)) {
      const effective = Math.round((n * m) / (n + m));
      if (effective === 0) continue;
      const step = 1 / (32 * Math.sqrt(effective));
      const wider = ksPValueBracket(
        bracketOf(Math.max(0, d.lower - step), Math.min(1, d.upper + step)),
        n,
        m,
      );
      const wide = knots.bracket(d, n, m);
      expect(wide.upper).toBeLessThanOrEqual(wider.upper * (1 + 1e-6));
    }
  });

  it('evaluates each knot once: windows of the same sizes cost look-ups', () => {
    const knots = createKsKnots();
    const d = bracketOf(0.08, 0.09);
    knots.bracket(d, 90, 1_000_000);
    const first = knots.evaluations;
    expect(first).toBe(2);
    for (let i = 0; i < 100; i += 1) knots.bracket(d, 90, 1_000_000);
    expect(knots.evaluations).toBe(first);
    knots.bracket(bracketOf(0.0801, 0.0899), 90, 1_000_000);
    expect(knots.evaluations).toBe(first);
  });

  it('gives no p-value without samples, as the exact bracket', () => {
    expect(Number.isNaN(createKsKnots().bracket(exactBracket(0.3), 0, 100).value)).toBe(true);
  });
});
