import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { computeExactFeatureDrift } from '../src/drift/exactDrift.js';
import { compareFiles } from '../src/report/compareFiles.js';
import { DEFAULT_DRIFT_CRITERIA } from '../src/drift/featureDrift.js';
import { openStore, type Store } from '../src/store/clickhouse.js';
import type { ComparisonRelations } from '../src/store/driftQueries.js';
import { mib, peakRssMiB, withHeapPeak } from './measure.js';

/**
 * Issue 2's benchmark: 20 numeric + 5 categorical features x 3 slices.
 *  1. the statistics for a window already in ClickHouse (1M and 10M current rows against a
 *     1M-row baseline), with the JavaScript heap's peak for each size;
 *  2. the whole `driftwatch report` from two 1M-row CSV files.
 */
const NUMERIC = 20;
const CATEGORICAL = 5;
const BASELINE_ROWS = 1_000_000;

export async function runReportBenchmark(sizes = [1_000_000, 10_000_000]): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'driftwatch-bench-report-'));
  const store = await openStore({
    kind: 'embedded',
    dataDir: path.join(dir, 'data'),
    database: 'bench',
  });
  try {
    await createSyntheticTable(store, 'bench_baseline', BASELINE_ROWS, false);
    for (const rows of sizes) {
      await createSyntheticTable(store, 'bench_current', rows, true);
      const { heapPeakMiB, seconds, result } = await withHeapPeak(() =>
        computeExactFeatureDrift(
          store,
          relationsOf('bench_baseline', 'bench_current'),
          featureNames(),
          {
            bins: 10,
            criteria: DEFAULT_DRIFT_CRITERIA,
            maxCategories: 1000,
          },
        ),
      );
      console.log(
        `statistics, ${(rows / 1e6).toFixed(0)}M-row window vs 1M baseline: ${seconds.toFixed(2)} s` +
          ` (${result.length} feature/slice entries, ${result.filter((f) => f.drift).length} drifted);` +
          ` JS heap peak ${mib(heapPeakMiB)}; process peak RSS so far ${mib(peakRssMiB())}`,
      );
    }
    await benchmarkCsvReport(store, dir);
  } finally {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function benchmarkCsvReport(store: Store, dir: string): Promise<void> {
  const baseline = path.join(dir, 'baseline.csv');
  const current = path.join(dir, 'current.csv');
  await createSyntheticTable(store, 'bench_current', BASELINE_ROWS, true);
  for (const [table, file] of [
    ['bench_baseline', baseline],
    ['bench_current', current],
  ] as const) {
    await store.command(
      `INSERT INTO FUNCTION file({file:String}, 'CSVWithNames') SELECT * FROM ${table}`,
      { file },
      { engine_file_truncate_on_insert: 1 },
    );
  }
  const size = (fs.statSync(baseline).size + fs.statSync(current).size) / 2 ** 20;
  const { seconds, heapPeakMiB, result } = await withHeapPeak(() =>
    compareFiles(store, { baseline, current, slice: 'segment' }),
  );
  console.log(
    `whole report from two 1M-row CSV files (${size.toFixed(0)} MiB): ${seconds.toFixed(2)} s` +
      ` (${result.summary.drifted} of ${result.summary.entries} entries drifted); JS heap peak ${mib(heapPeakMiB)};` +
      ` process peak RSS ${mib(peakRssMiB())}`,
  );
}

/** Normal features with shifted means in the current data for the first few, on one slice. */
async function createSyntheticTable(
  store: Store,
  table: string,
  rows: number,
  drifted: boolean,
): Promise<void> {
  const numeric = Array.from({ length: NUMERIC }, (_, i) => {
    const shift = drifted && i < 4 ? `if(segment = 'web', ${0.2 * (i + 1)}, 0)` : '0';
    return `if(rand(${i}) % 100 = 0, NULL, randNormal(${i}, 1) + ${shift}) AS n${i}`;
  });
  const categorical = Array.from({ length: CATEGORICAL }, (_, i) => {
    const values = drifted && i === 0 ? "['a','b','c','d','e','new']" : "['a','b','c','d','e']";
    return `${values}[rand(${100 + i}) % length(${values}) + 1] AS c${i}`;
  });
  await store.command(`DROP TABLE IF EXISTS ${table}`);
  await store.command(
    `CREATE TABLE ${table} ENGINE = MergeTree ORDER BY segment AS
     SELECT segment, ${[...numeric, ...categorical].join(', ')}
     FROM (SELECT ['web', 'ios', 'android'][number % 3 + 1] AS segment FROM numbers(${rows}))`,
  );
}

function featureNames() {
  return {
    numeric: Array.from({ length: NUMERIC }, (_, i) => `n${i}`),
    categorical: Array.from({ length: CATEGORICAL }, (_, i) => `c${i}`),
  };
}

function relationsOf(baseline: string, current: string): ComparisonRelations {
  const columns = [
    'segment AS slice',
    ...Array.from({ length: NUMERIC }, (_, i) => `n${i}, 0 AS x${i}`),
    ...Array.from({ length: CATEGORICAL }, (_, i) => `c${i}`),
  ].join(', ');
  return {
    reference: { sql: `SELECT ${columns} FROM ${baseline}`, params: {} },
    current: { sql: `SELECT ${columns} FROM ${current}`, params: {} },
    numericCount: NUMERIC,
    categoricalCount: CATEGORICAL,
    sliced: true,
  };
}
