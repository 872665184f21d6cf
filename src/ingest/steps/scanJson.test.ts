import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { countMembers, findDuplicateKey, scanJsonShape } from './scanJson.js';

/** Depth by recursion over the parsed value: an independent count. */
function depthOf(value: unknown): number {
  if (value === null || typeof value !== 'object') return 0;
  const children = Array.isArray(value) ? value : Object.values(value);
  return 1 + Math.max(0, ...children.map(depthOf));
}

describe('the raw JSON scan', () => {
  it('finds the depth and the member count JSON.parse sees, for any JSON (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), fc.boolean(), (value, indent) => {
        const text = JSON.stringify(value, null, indent ? 1 : 0);
        const parsed: unknown = JSON.parse(text);
        const depth = depthOf(parsed);
        expect(scanJsonShape(Buffer.from(text), 64)).toEqual({
          ok: true,
          members: countMembers(parsed),
        });
        if (depth > 0)
          expect(scanJsonShape(Buffer.from(text), depth - 1)).toMatchObject({ ok: false });
      }),
      { seed: 20261123, numRuns: 400 },
    );
  });

  it('counts one member fewer after parsing when a key repeats, and names it', () => {
    const text = '{"a":{"b":1,"c":":","b":2},"d":[{"e":1},{"e":2}]}';
    const parsed: unknown = JSON.parse(text);
    const scanned = scanJsonShape(Buffer.from(text), 10);
    expect(scanned).toEqual({ ok: true, members: countMembers(parsed) + 1 });
    expect(findDuplicateKey(text)).toBe('a.b');
    expect(findDuplicateKey('{"x":[{"k":1,"k":2}]}')).toBe('x.[].k');
    expect(findDuplicateKey('{"k":"\\"k\\"","j":1}')).toBeUndefined();
  });

  it('stops at the depth limit before reading further', () => {
    expect(scanJsonShape(Buffer.from(`${'['.repeat(10_000)}${']'.repeat(10_000)}`), 32)).toEqual({
      ok: false,
      depth: 33,
    });
  });
});
