import { describe, expect, it } from 'vitest';
import { readinessAnswer, runReadinessChecks } from './readiness.js';

describe('readiness checks', () => {
  it('are ready only when every check is, naming the ones that are not', async () => {
    const report = await runReadinessChecks(
      [
        { name: 'store', check: async () => ({ ok: true }) },
        { name: 'kafka', check: async () => ({ ok: false, detail: 'joining the group' }) },
        {
          name: 'broken',
          check: async () => {
            throw new Error('boom');
          },
        },
        { name: 'slow', check: () => new Promise(() => undefined) },
      ],
      50,
    );
    expect(report).toEqual({
      ready: false,
      checks: {
        store: { ok: true },
        kafka: { ok: false, detail: 'joining the group' },
        broken: { ok: false, detail: 'boom' },
        slow: { ok: false, detail: 'no answer within 50 ms' },
      },
    });
    expect(await runReadinessChecks([])).toEqual({ ready: true, checks: {} });
  });

  it('say degraded, and stay ready, when a check can do only part of its work', async () => {
    const report = await runReadinessChecks([
      { name: 'store', check: async () => ({ ok: true }) },
      {
        name: 'monitors',
        check: async () => ({ ok: true, degraded: true, detail: 'monitor x cannot run: ...' }),
      },
    ]);
    expect(report.ready).toBe(true);
    expect(readinessAnswer(report)).toEqual({
      status: 'degraded',
      checks: {
        store: { ok: true },
        monitors: { ok: true, degraded: true, detail: 'monitor x cannot run: ...' },
      },
    });
    expect(readinessAnswer({ ...report, ready: false }).status).toBe('not ready');
  });
});
