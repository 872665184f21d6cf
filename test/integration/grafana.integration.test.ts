import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/clickhouse.js';
import { insertMonitorResults, insertMonitorRun } from '../../src/store/results.js';
import { REPO_ROOT } from '../helpers/cli.js';
import { openTestStore } from '../helpers/store.js';

interface Target {
  rawSql: string;
}
interface Dashboard {
  panels: { title: string; targets: Target[] }[];
  templating: { list: { name: string; query: string }[] };
}

const dashboard = JSON.parse(
  fs.readFileSync(path.join(REPO_ROOT, 'deploy/grafana/driftwatch.json'), 'utf8'),
) as Dashboard;

/** What Grafana's ClickHouse plugin does with the variables and the time macro. */
function expand(sql: string): string {
  return sql
    .replaceAll('${model}', 'fraud-detector')
    .replaceAll('${check}', 'psi')
    .replaceAll('${feature}', 'amount')
    .replace(
      /\$__timeFilter\((\w+)\)/g,
      "$1 >= toDateTime64('2026-11-01 00:00:00', 3) AND $1 <= toDateTime64('2026-12-01 00:00:00', 3)",
    );
}

describe('the Grafana dashboard', () => {
  let store: Store;
  beforeAll(async () => {
    store = await openTestStore();
    const end = new Date('2026-11-22T10:00:00Z');
    await insertMonitorRun(store, {
      monitor: 'fraud-detector',
      windowStart: new Date(end.getTime() - 1_800_000),
      windowEnd: end,
      status: 'critical',
      checks: 2,
      breaches: 1,
      durationMs: 5,
      monitorHash: 'h',
    });
    await insertMonitorResults(
      store,
      ['all', 'web'].map((slice) => ({
        monitor: 'fraud-detector',
        model: 'fraud-detector',
        windowStart: new Date(end.getTime() - 1_800_000),
        windowEnd: end,
        checkId: 'psi',
        metric: 'psi',
        feature: 'amount',
        sliceKey: slice === 'all' ? '' : 'channel',
        sliceValue: slice,
        status: slice === 'web' ? 'critical' : 'ok',
        value: slice === 'web' ? 0.4 : 0.02,
        pValue: null,
        adjustedPValue: null,
        correction: 'none',
        warnThreshold: 0.1,
        criticalThreshold: 0.25,
        nReference: 100,
        nCurrent: 100,
        baseline: 'b',
        baselineVersion: 1,
        monitorHash: 'h',
        details: {},
      })),
    );
  });
  afterAll(async () => store.close());

  it("runs every panel query and variable query over driftwatch's tables", async () => {
    const queries = [
      ...dashboard.panels.flatMap((panel) =>
        panel.targets.map((t) => [panel.title, t.rawSql] as const),
      ),
      ...dashboard.templating.list
        .filter((v) => v.query.startsWith('SELECT'))
        .map((v) => [v.name, v.query] as const),
    ];
    expect(queries.length).toBeGreaterThanOrEqual(9);
    const answered: Record<string, number> = {};
    for (const [name, sql] of queries) {
      const rows = await store.query<Record<string, unknown>>(expand(sql));
      answered[name] = rows.length;
    }
    expect(answered['Models: status of the newest window (worst first)']).toBe(1);
    expect(answered['Breaches in the time range, newest first']).toBe(1);
    expect(answered.model).toBe(1);
  });
});
