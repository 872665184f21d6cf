/** A small seeded generator (mulberry32) so demo and benchmark data are reproducible. */
export interface Random {
  uniform(): number;
  normal(mean?: number, sd?: number): number;
  pick<T>(values: readonly T[], weights?: readonly number[]): T;
}

export function createRandom(seed: number): Random {
  let state = seed >>> 0;
  const uniform = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    uniform,
    normal(mean = 0, sd = 1) {
      // Box-Muller; 1 - u keeps the logarithm finite
      const u = 1 - uniform();
      const v = uniform();
      return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    },
    pick<T>(values: readonly T[], weights?: readonly number[]): T {
      if (!weights) return values[Math.floor(uniform() * values.length)] as T;
      const total = weights.reduce((sum, weight) => sum + weight, 0);
      let r = uniform() * total;
      for (let i = 0; i < values.length; i += 1) {
        r -= weights[i] ?? 0;
        if (r < 0) return values[i] as T;
      }
      return values[values.length - 1] as T;
    },
  };
}
