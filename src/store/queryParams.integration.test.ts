import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestStore } from '../../test/helpers/store.js';
import { exactParams, type Store } from './clickhouse.js';

/**
 * Numbers that are integers beyond ±2^53 as query parameters: the embedded engine's binder
 * refused them ("unsafe integer"), so a bracketed report on a feature whose spread or median
 * is that large (1e308, nanosecond timestamps) failed. They cross as bigints, bit for bit.
 */
describe('query parameters that are large integer-valued doubles', () => {
  let store: Store;
  beforeAll(async () => {
    store = await openTestStore({ migrate: false });
  });
  afterAll(async () => {
    await store.close();
  });

  it('reach the engine unchanged, as scalars, in arrays and as Int64', async () => {
    const scalar = 1.7e19;
    const array = [3.746853986292934e307, -1e300 * 7.123, 1.5, 2 ** 60 + 2 ** 10, -0.25, 1e16];
    const [row] = await store.query<{ a: number; b: number[]; c: string }>(
      'SELECT {a:Float64} AS a, {b:Array(Float64)} AS b, toString({c:Int64}) AS c',
      { a: scalar, b: array, c: 2 ** 62 },
    );
    expect(row?.a).toBe(scalar);
    expect(row?.b).toEqual(array);
    expect(row?.c).toBe(String(2n ** 62n));
  });

  it('leaves every other value as it was, and the object itself when nothing changes', () => {
    const ordinary = { a: 1.5, b: [1, 2, 3], c: 'x', d: 2 ** 53 - 1 };
    expect(exactParams(ordinary)).toBe(ordinary);
    expect(exactParams({ a: 2 ** 60, b: [1, 1e300], c: 'x' })).toEqual({
      a: 2n ** 60n,
      b: [1, BigInt(1e300)],
      c: 'x',
    });
  });
});
