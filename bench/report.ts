import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { computeExactFeatureDrift } from '../src/drift/exactDrift.js';
import { DEFAULT_DRIFT_CRITERIA } from '../src/drift/featureDrift.js';
import { compareFiles } from '../src/report/compareFiles.js';
import { performanceRequest } from '../src/report/performance.js';
import { openStore, type Store } from '../src/store/clickhouse.js';
import type { ComparisonRelations } from '../src/store/driftQueries.js';
import { loadLine, mib, peakRssMiB, withHeapPeak } from './measure.js';

/**
 * The report's benchmarks: 20 numeric + 5 categorical features × 3 slices, with a score
 * and a label (28 columns).
 *  - stats: the statistics alone for tables already in ClickHouse (1M-row window, exact;
 *    10M-row window, bracketed KS/Wasserstein), against a 1M-row baseline;
 *  - csv: the whole `driftwatch report` from two CSV files of `rows` rows each (written by
 *    ClickHouse, read by its own parallel CSV reader), with the mode the report picks by
 *    size (exact up to 2M rows a file) and the other mode (bracketed for 1M, exact for 10M).
 */
const NUMERIC = 20;
const CATEGORICAL = 5;
const BASELINE_ROWS = 1_000_000;

/** The files' format and scores: `distinct` scores are unrounded (~1M distinct a file). */
export interface ReportFiles {
  format: 'csv' | 'parquet';
  scores: 'rounded' | 'distinct';
}

export async function runReportBenchmark(
  parts: ('stats' | 'csv')[] = ['stats', 'csv'],
  csvRows: number[] = [1_000_000],
  files: ReportFiles = { format: 'csv', scores: 'rounded' },
): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'driftwatch-bench-report-'));
  const store = await openStore({
    kind: 'embedded',
    dataDir: path.join(dir, 'data'),
    database: 'bench',
  });
  try {
    if (parts.includes('stats')) {
      await createSyntheticTable(store, 'bench_baseline', BASELINE_ROWS, false);
      for (const [rows, distances] of [
        [1_000_000, 'exact'],
        [10_000_000, 'bracketed'],
      ] as const) {
        await createSyntheticTable(store, 'bench_current', rows, true);
        const load = loadLine();
        const { heapPeakMiB, seconds, result } = await withHeapPeak(() =>
          computeExactFeatureDrift(
            store,
            relationsOf('bench_baseline', 'bench_current'),
            featureNames(),
            {
              bins: 10,
              criteria: DEFAULT_DRIFT_CRITERIA,
              maxCategories: 1000,
              distances,
            },
          ),
        );
        const widest = Math.max(
          0,
          ...result.map((f) =>
            f.brackets?.ks_statistic ? f.brackets.ks_statistic[1] - f.brackets.ks_statistic[0] : 0,
          ),
        );
        console.log(
          `statistics, ${(rows / 1e6).toFixed(0)}M-row window vs 1M baseline (${distances}): ${seconds.toFixed(2)} s` +
            ` (${result.length} entries, ${result.filter((f) => f.drift).length} drifted; widest KS bracket ${widest.toExponential(2)});` +
            ` JS heap peak ${mib(heapPeakMiB)}; process peak RSS so far ${mib(peakRssMiB())}; ${load}`,
        );
      }
    }
    if (parts.includes('csv')) {
      for (const rows of csvRows) await benchmarkCsvReport(store, dir, rows, files);
    }
  } finally {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function benchmarkCsvReport(
  store: Store,
  dir: string,
  rows: number,
  files: ReportFiles,
): Promise<void> {
  const baseline = path.join(dir, `baseline-${rows}.${files.format}`);
  const current = path.join(dir, `current-${rows}.${files.format}`);
  for (const [table, file, drifted] of [
    ['bench_csv_baseline', baseline, false],
    ['bench_csv_current', current, true],
  ] as const) {
    await createSyntheticTable(store, table, rows, drifted, files.scores);
    await store.command(
      `INSERT INTO FUNCTION file({file:String}, '${files.format === 'csv' ? 'CSVWithNames' : 'Parquet'}') SELECT * FROM ${table}`,
      { file },
      { engine_file_truncate_on_insert: 1 },
    );
    await store.command(`DROP TABLE ${table}`);
  }
  const size = (fs.statSync(baseline).size + fs.statSync(current).size) / 2 ** 20;
  // the mode the report picks by size, and the other one, to see what exactness costs
  const modes = rows <= 1_000_000 ? (['auto', 'bracketed'] as const) : (['auto', 'exact'] as const);
  for (const distances of modes) {
    for (const attempt of ['first', 'second']) {
      const load = loadLine();
      const phases: string[] = [];
      let cpuMark = process.cpuUsage();
      const cpuStart = cpuMark;
      const { seconds, heapPeakMiB, result } = await withHeapPeak(() =>
        compareFiles(store, {
          baseline,
          current,
          slice: 'segment',
          score: 'score',
          label: 'label',
          // the performance section too (binary: the score histogram per side and slice)
          performance: performanceRequest({
            score: 'score',
            label: 'label',
            threshold: 0.5,
            calibrationBins: 10,
          }),
          distances,
          // CPU of this process's threads (ClickHouse's, the workers', JavaScript's)
          onPhase: (phase, ms) => {
            const cpu = process.cpuUsage(cpuMark);
            cpuMark = process.cpuUsage();
            phases.push(
              `${phase} ${(ms / 1000).toFixed(2)} s (CPU ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s)`,
            );
          },
        }),
      );
      const cpu = process.cpuUsage(cpuStart);
      console.log(
        `whole report from two ${(rows / 1e6).toFixed(0)}M-row ${files.format === 'csv' ? 'CSV' : 'Parquet'} files (${size.toFixed(0)} MiB, 28 columns, ${files.scores} scores), ` +
          `${distances === 'auto' ? (result.exact ? 'exact (the default at this size)' : 'bracketed (the default at this size)') : distances}, ${attempt} run: ${seconds.toFixed(2)} s, CPU ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s` +
          ` (${result.summary.drifted} of ${result.summary.entries} entries drifted); JS heap peak ${mib(heapPeakMiB)};` +
          ` process peak RSS ${mib(peakRssMiB())}; ${load}\n    where the time went: ${phases.join('; ')}`,
      );
    }
  }
  fs.rmSync(baseline);
  fs.rmSync(current);
}

/** Normal features with shifted means in the current data for the first few, on one slice. */
export async function createSyntheticTable(
  store: Store,
  table: string,
  rows: number,
  drifted: boolean,
  scores: ReportFiles['scores'] = 'rounded',
): Promise<void> {
  const score =
    scores === 'rounded'
      ? 'round(rand(7) / 4294967295, 4)'
      : `rand(${drifted ? 71 : 70}) / 4294967295`;
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
     SELECT segment, ${[...numeric, ...categorical].join(', ')},
            ${score} AS score, rand(8) % 2 AS label
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
