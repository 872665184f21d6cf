import { afterAll, describe, expect, it } from 'vitest';
import { DriftwatchError } from '../errors.js';
import { startColumnPool } from './columnPool.js';
import { columnAggregates, placeColumn } from './sortedColumn.js';

/** A column of two slots on both sides, with NaN (no value) among the values. */
function column(seed: number) {
  const rows = 5000;
  const group = Uint32Array.from({ length: rows }, (_, i) => 2 + ((i * 7 + seed) % 4));
  const value = Float64Array.from({ length: rows }, (_, i) =>
    i % 97 === 0 ? Number.NaN : Math.round(Math.sin(i * (seed + 1)) * 1000) / 10,
  );
  return placeColumn([{ group, value }], 2);
}

const LEVELS = [0.1, 0.5, 0.9];

describe('the sorting workers', () => {
  const pool = startColumnPool(2);
  afterAll(() => pool.close());

  it('answer what this thread computes, column by column', async () => {
    const expected = [1, 2, 3].map((seed) => columnAggregates(column(seed), LEVELS, true));
    const answered = await Promise.all(
      [1, 2, 3].map((seed) => pool.aggregate(column(seed), LEVELS, true)),
    );
    expect(answered).toEqual(expected);
    expect(answered[0]?.all?.ks?.value).toBeGreaterThan(0);
  });

  it('reject a column that fails with a named internal error, and keep working', async () => {
    const broken = pool.aggregate(column(1), null as unknown as number[], true);
    await expect(broken).rejects.toBeInstanceOf(DriftwatchError);
    await expect(broken).rejects.toMatchObject({ code: 'DW_INTERNAL' });
    expect(await pool.aggregate(column(2), LEVELS, false)).toEqual(
      columnAggregates(column(2), LEVELS, false),
    );
  });
});
