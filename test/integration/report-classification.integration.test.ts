import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareFiles, type ReportOptions } from '../../src/report/compareFiles.js';
import { performanceRequest } from '../../src/report/performance.js';
import type { Store } from '../../src/store/clickhouse.js';
import { casesOfKind, expectClose, writeCsv } from '../helpers/oracle.js';
import { openTestStore, tempDir } from '../helpers/store.js';

/**
 * The classification section has two paths: from the binary performance section's sorted
 * read (with --task binary, the CLI's default with --score and --label) and from its own SQL
 * scan (without a performance section, or when some row is read differently by the two).
 * Both are checked against scikit-learn, and against each other on files that exercise what
 * sets them apart: ties, slices, missing labels, and untrimmed labels (Parquet keeps them).
 */
describe('report classification section: sorted read and SQL agree', () => {
  let store: Store;
  const dir = tempDir('driftwatch-classification-');
  beforeAll(async () => {
    store = await openTestStore();
  });
  afterAll(async () => {
    await store.close();
  });

  const withPerformance = (options: ReportOptions): ReportOptions => ({
    ...options,
    performance: performanceRequest({
      score: options.score,
      label: options.label,
      threshold: options.threshold ?? 0.5,
      calibrationBins: 10,
    }),
  });

  it.each(casesOfKind('classification'))(
    'oracle case $name through the sorted read',
    async (oracle) => {
      const file = path.join(dir, `${oracle.name}.csv`);
      writeCsv(
        file,
        ['score', 'label', 'constant'],
        oracle.scores.map((score, i) => [score, oracle.labels[i] ?? null, 1]),
      );
      const options = {
        baseline: file,
        current: file,
        score: 'score',
        label: 'label',
        threshold: oracle.threshold,
      };
      const report = await compareFiles(store, withPerformance(options));
      const [all] = report.classification ?? [];
      expect(report.classification).toHaveLength(1);
      expect(all?.n).toBe(oracle.scores.length);
      expectClose(all?.auroc, oracle.expected.auroc, 1e-9, 'auroc');
      expectClose(all?.positive_rate.labels, oracle.expected.positive_rate_labels, 1e-9, 'labels');
      expectClose(
        all?.positive_rate.predicted,
        oracle.expected.positive_rate_predicted,
        1e-9,
        'predicted',
      );
      expect(report.classification).toEqual((await compareFiles(store, options)).classification);
    },
  );

  /** Rows with tied scores (two decimals), four slices and a null one, some labels missing. */
  function rows(n: number, seed: number, label: (i: number) => string | null) {
    let state = seed;
    const next = () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    return Array.from({ length: n }, (_, i) => {
      const slice = ['eu', 'us', 'apac', 'emea', null][Math.floor(next() * 5)] ?? null;
      const score = next() < 0.05 ? null : Math.round(next() * 100) / 100;
      return [Math.round(next() * 1000) / 100, slice, score, label(i)];
    });
  }
  const labels = ['1', '0', 'true', 'false', 'yes', 'no', '', '1.0', '0.0', 'TRUE'];
  const header = ['x', 'region', 'score', 'label'];

  it('gives the SQL path’s entries on sliced CSV files with ties and missing labels', async () => {
    const baseline = path.join(dir, 'ties-ref.csv');
    const current = path.join(dir, 'ties-cur.csv');
    writeCsv(
      baseline,
      header,
      rows(1500, 1, (i) => labels[(i * 7) % labels.length] ?? null),
    );
    writeCsv(
      current,
      header,
      rows(1200, 2, (i) => labels[(i * 3) % labels.length] ?? null),
    );
    const options = { baseline, current, slice: 'region', score: 'score', label: 'label' };
    const sql = await compareFiles(store, options);
    const sorted = await compareFiles(store, withPerformance(options));
    expect(sql.classification?.map((entry) => entry.slice)).toEqual([
      'all',
      '(null)',
      'apac',
      'emea',
      'eu',
      'us',
    ]);
    expect(sorted.classification).toEqual(sql.classification);
  });

  it('keeps the SQL path’s reading of untrimmed labels (" 1" is no label there)', async () => {
    const csv = path.join(dir, 'untrimmed.csv');
    writeCsv(
      csv,
      ['x', 'region', 'score', 'label_text'],
      rows(1000, 3, (i) => (i % 9 === 0 ? ' 1' : i % 11 === 0 ? '0 ' : (labels[i % 6] ?? null))),
    );
    const parquet = path.join(dir, 'untrimmed.parquet');
    // CSV loading trims whitespace; Parquet keeps a string as written
    await store.command(
      `INSERT INTO FUNCTION file({out:String}, 'Parquet')
       SELECT x, region, score, label_text AS label
       FROM file({in:String}, 'CSVWithNames', 'x Float64, region Nullable(String), score Nullable(Float64), label_text String')`,
      { out: parquet, in: csv },
      { engine_file_truncate_on_insert: 1, input_format_csv_trim_whitespaces: 0 },
    );
    const options = {
      baseline: parquet,
      current: parquet,
      slice: 'region',
      score: 'score',
      label: 'label',
    };
    const sql = await compareFiles(store, options);
    const sorted = await compareFiles(store, withPerformance(options));
    expect(sorted.classification).toEqual(sql.classification);
  });
});
