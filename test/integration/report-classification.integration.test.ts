import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  compareFiles,
  type ClassificationEntry,
  type ReportOptions,
} from '../../src/report/compareFiles.js';
import { performanceRequest, type PerformanceEntry } from '../../src/report/performance.js';
import { renderReportTable } from '../../src/report/render/table.js';
import type { Store } from '../../src/store/clickhouse.js';
import { casesOfKind, expectClose, writeCsv } from '../helpers/oracle.js';
import { openTestStore, tempDir } from '../helpers/store.js';

/**
 * The classification section (the current file's AUROC and positive rates per slice) comes
 * from one read of the current file, the performance section's, whether --task binary asks
 * for that section or not. Every expected value here is a plain loop over the rows written
 * (pairs counted one by one, ties half, as roc_auc_score), or scikit-learn's from the oracle
 * cases: NaN and ±inf scores are left out of every statistic and counted, −0 ties with 0, a
 * label is read trimmed (Parquet keeps " 1"), and a slice whose value is `all` is a slice
 * beside all rows, never in their place.
 */
describe('report classification section', () => {
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

  /** The section as the CLI makes it (with --task binary) and as a drift-only caller does. */
  async function classificationOf(options: ReportOptions): Promise<ClassificationEntry[]> {
    const cli = await compareFiles(store, withPerformance(options));
    const alone = await compareFiles(store, options);
    expect(alone.classification).toEqual(cli.classification);
    return cli.classification ?? [];
  }

  it.each(casesOfKind('classification'))('oracle case $name', async (oracle) => {
    const file = path.join(dir, `${oracle.name}.csv`);
    writeCsv(
      file,
      ['score', 'label', 'constant'],
      oracle.scores.map((score, i) => [score, oracle.labels[i] ?? null, 1]),
    );
    const [all, ...others] = await classificationOf({
      baseline: file,
      current: file,
      score: 'score',
      label: 'label',
      threshold: oracle.threshold,
    });
    expect(others).toEqual([]);
    expect(all?.n).toBe(oracle.scores.length);
    expectClose(all?.auroc, oracle.expected.auroc, 1e-9, 'auroc');
    expectClose(all?.positive_rate.labels, oracle.expected.positive_rate_labels, 1e-9, 'labels');
    expectClose(
      all?.positive_rate.predicted,
      oracle.expected.positive_rate_predicted,
      1e-9,
      'predicted',
    );
  });

  // ---- the independent computation ------------------------------------------------------

  /** A row as written to the file: slice, score and label as text (null: an empty field). */
  interface Row {
    x: number;
    region: string | null;
    score: string | null;
    label: string | null;
  }

  function scoreOf(text: string | null): number | null {
    if (text === null || text.trim() === '') return null;
    const t = text.trim().toLowerCase();
    if (t === 'nan') return Number.NaN;
    if (t === 'inf' || t === '+inf') return Infinity;
    if (t === '-inf') return -Infinity;
    return Number(t);
  }

  function labelOf(text: string | null): 0 | 1 | null {
    const t = (text ?? '').trim().toLowerCase();
    if (['1', '1.0', 'true', 'yes'].includes(t)) return 1;
    if (['0', '0.0', 'false', 'no'].includes(t)) return 0;
    return null;
  }

  /** One entry by plain loops: every pair of a positive and a negative, ties half. */
  function expectedEntry(slice: string, rows: Row[], threshold: number): ClassificationEntry {
    const scores = rows.map((row) => ({ score: scoreOf(row.score), label: labelOf(row.label) }));
    const finite = scores.filter(
      (row): row is { score: number; label: 0 | 1 | null } =>
        row.score !== null && Number.isFinite(row.score),
    );
    const positives = finite.filter((row) => row.label === 1).map((row) => row.score);
    const negatives = finite.filter((row) => row.label === 0).map((row) => row.score);
    let won = 0;
    for (const p of positives) for (const q of negatives) won += p > q ? 1 : p === q ? 0.5 : 0; // -0 === 0
    const labelled = positives.length + negatives.length;
    return {
      slice,
      n: rows.length,
      auroc:
        positives.length > 0 && negatives.length > 0
          ? won / (positives.length * negatives.length)
          : null,
      positive_rate: {
        labels: labelled > 0 ? positives.length / labelled : null,
        predicted:
          finite.length > 0
            ? finite.filter((row) => row.score >= threshold).length / finite.length
            : null,
      },
      excluded_scores: {
        nulls: scores.filter((row) => row.score === null).length,
        non_finite: scores.filter((row) => row.score !== null && !Number.isFinite(row.score))
          .length,
      },
    };
  }

  /** All rows first, then each slice (null as "(null)") in locale order. */
  function expectedSection(rows: Row[], threshold = 0.5): ClassificationEntry[] {
    const name = (row: Row) => row.region ?? '(null)';
    const slices = [...new Set(rows.map(name))].sort((a, b) => a.localeCompare(b));
    return [
      expectedEntry('all', rows, threshold),
      ...slices.map((slice) =>
        expectedEntry(
          slice,
          rows.filter((row) => name(row) === slice),
          threshold,
        ),
      ),
    ];
  }

  /** Tied scores (two decimals), four slices and a null one, some labels missing. */
  function rows(n: number, seed: number, regions = ['eu', 'us', 'apac', 'emea', null]): Row[] {
    let state = seed;
    const next = () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const labels = ['1', '0', 'true', 'false', 'yes', 'no', '', '1.0', '0.0', 'TRUE'];
    return Array.from({ length: n }, (_, i) => ({
      x: Math.round(next() * 1000) / 100,
      region: regions[Math.floor(next() * regions.length)] ?? null,
      score: next() < 0.05 ? null : String(Math.round(next() * 100) / 100),
      label: labels[(i * 7) % labels.length] ?? null,
    }));
  }

  function writeRows(name: string, written: Row[], label = 'label'): string {
    const file = path.join(dir, name);
    writeCsv(
      file,
      ['x', 'region', 'score', label],
      written.map((row) => [row.x, row.region, row.score, row.label]),
    );
    return file;
  }

  const sliced = (current: string, baseline = current): ReportOptions => ({
    baseline,
    current,
    slice: 'region',
    score: 'score',
    label: 'label',
  });

  it('matches the loops on sliced files with ties, null scores and missing labels', async () => {
    const written = rows(1200, 2);
    const file = writeRows('ties.csv', written);
    expect(await classificationOf(sliced(file))).toEqual(expectedSection(written));
  });

  /** Every fifth row's score replaced by `odd` (labels 0 and 1 among them). */
  function withOddScores(odd: string[], seed: number): Row[] {
    return rows(600, seed).map((row, i) =>
      i % 5 === 0 ? { ...row, score: odd[i % 3] ?? null } : row,
    );
  }

  it('leaves NaN scores out of AUROC and the positive rates, and counts them', async () => {
    const written = withOddScores(['nan', 'NaN', 'nan'], 3);
    const file = writeRows('nan.csv', written);
    const section = await classificationOf(sliced(file));
    expect(section).toEqual(expectedSection(written));
    expect(section[0]?.excluded_scores.non_finite).toBe(120);
    // and the table says so, as it does of a feature's non-finite values
    const table = renderReportTable(await compareFiles(store, withPerformance(sliced(file))));
    expect(table).toContain(
      `120 scores in the current file are NaN or ±inf and ${section[0]?.excluded_scores.nulls} are empty: the classification section leaves them out`,
    );
  });

  it('leaves +inf scores out (they would be predicted positive and rank first)', async () => {
    const written = withOddScores(['inf', '0.5', 'inf'], 4);
    const file = writeRows('inf.csv', written);
    expect(await classificationOf(sliced(file))).toEqual(expectedSection(written));
  });

  it('leaves -inf scores out (they would rank last)', async () => {
    const written = withOddScores(['-inf', '-inf', '0.25'], 5);
    const file = writeRows('neg-inf.csv', written);
    expect(await classificationOf(sliced(file))).toEqual(expectedSection(written));
  });

  it('ties a -0 score with 0 (half a pair each way, as roc_auc_score)', async () => {
    // every row scores -0 or 0, so AUROC is 0.5 exactly whichever label each has
    const written = rows(400, 6).map((row, i) => ({ ...row, score: i % 2 === 0 ? '-0' : '0' }));
    const file = writeRows('minus-zero.csv', written);
    const section = await classificationOf(sliced(file));
    expect(section).toEqual(expectedSection(written));
    expect(section[0]?.auroc).toBe(0.5);
  });

  it('reads an untrimmed Parquet label (" 1", "0 ") as the performance section does', async () => {
    const written = rows(1000, 7).map((row, i) => ({
      ...row,
      label: i % 9 === 0 ? ' 1' : i % 11 === 0 ? '0 ' : row.label,
    }));
    const csv = writeRows('untrimmed.csv', written, 'label_text');
    const parquet = path.join(dir, 'untrimmed.parquet');
    // CSV loading trims whitespace; Parquet keeps a string as written
    await store.command(
      `INSERT INTO FUNCTION file({out:String}, 'Parquet')
       SELECT x, region, score, label_text AS label
       FROM file({in:String}, 'CSVWithNames', 'x Float64, region Nullable(String), score Nullable(Float64), label_text String')`,
      { out: parquet, in: csv },
      { engine_file_truncate_on_insert: 1, input_format_csv_trim_whitespaces: 0 },
    );
    expect(await classificationOf(sliced(parquet))).toEqual(
      expectedSection(written.map((row) => ({ ...row, label: row.label ?? '' }))),
    );
  });

  it('keeps a slice whose value is "all" beside all rows, after them', async () => {
    const written = rows(900, 8, ['all', 'eu', 'us']);
    const file = writeRows('slice-all.csv', written);
    const section = await classificationOf(sliced(file));
    expect(section).toEqual(expectedSection(written));
    expect(section.map((entry) => [entry.slice, entry.n])).toEqual([
      ['all', 900],
      ['all', written.filter((row) => row.region === 'all').length],
      ['eu', written.filter((row) => row.region === 'eu').length],
      ['us', written.filter((row) => row.region === 'us').length],
    ]);
  });
});

/**
 * The performance section keys its slices by the raw value and all rows by a key no value
 * can take: a slice named `all` must not replace (binary), merge into (multiclass) or share a
 * sort position with (regression) the all-rows entry, nor become CBPE's calibration set.
 * Renaming that slice to another name in the same sort position changes nothing but the name.
 */
describe('report performance section with a slice named "all"', () => {
  let store: Store;
  const dir = tempDir('driftwatch-slice-all-');
  beforeAll(async () => {
    store = await openTestStore();
  });
  afterAll(async () => {
    await store.close();
  });

  function next(seed: number): () => number {
    let state = seed;
    return () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  }

  /** 600 rows in slices `name`, eu and us; the `name` slice's scores lean high. */
  function modelRows(name: string, seed: number, labelled = true): (string | number | null)[][] {
    const random = next(seed);
    return Array.from({ length: 600 }, (_, i) => {
      const region = [name, 'eu', 'us'][i % 3] ?? 'eu';
      const label = random() < 0.4 ? 1 : 0;
      const lean = region === name ? 0.3 : 0;
      const score = Math.min(1, Math.round((random() * 0.6 + label * 0.3 + lean) * 100) / 100);
      const predicted = random() < 0.7 ? String(label) : String(1 - label);
      const value = label * 10 + random() * 5 + lean * 10;
      return [
        Math.round(random() * 1000) / 100,
        region,
        score,
        labelled ? label : null,
        `c${predicted}`,
        labelled ? `c${label}` : null,
        1 - score,
        score,
        Math.round(value * 100) / 100,
        labelled ? Math.round((value + random()) * 100) / 100 : null,
      ];
    });
  }
  const header = ['x', 'region', 'score', 'label', 'cls', 'true_cls', 'p_c0', 'p_c1', 'y_hat', 'y'];

  async function performanceOf(
    name: string,
    task: 'binary' | 'multiclass' | 'regression',
    currentLabelled: boolean,
  ): Promise<PerformanceEntry[]> {
    const baseline = path.join(dir, `${name}-${task}-ref.csv`);
    const current = path.join(dir, `${name}-${task}-cur-${currentLabelled}.csv`);
    writeCsv(baseline, header, modelRows(name, 1));
    writeCsv(current, header, modelRows(name, 2, currentLabelled));
    const request =
      task === 'binary'
        ? { task, score: 'score', label: 'label' }
        : task === 'multiclass'
          ? { task, prediction: 'cls', label: 'true_cls', classScores: 'p_' }
          : { task, prediction: 'y_hat', label: 'y' };
    const report = await compareFiles(store, {
      baseline,
      current,
      slice: 'region',
      features: ['x'],
      performance: performanceRequest({ ...request, threshold: 0.5, calibrationBins: 10 }),
    });
    return report.performance ?? [];
  }

  /** The same report with the slice named "aaa" (the same sort position) instead of "all". */
  async function expectRenamingChangesNothing(
    task: 'binary' | 'multiclass' | 'regression',
    currentLabelled: boolean,
  ): Promise<PerformanceEntry[]> {
    const named = await performanceOf('all', task, currentLabelled);
    const renamed = await performanceOf('aaa', task, currentLabelled);
    expect(renamed.map((entry) => [entry.side, entry.slice])).toEqual(
      (['baseline', 'current'] as const).flatMap((side) =>
        ['all', 'aaa', 'eu', 'us'].map((slice) => [side, slice]),
      ),
    );
    const rename = (entry: PerformanceEntry, i: number) =>
      i % 4 === 1 ? { ...entry, slice: 'aaa' } : entry;
    expectSameWithin(named.map(rename), renamed, 1e-12, 'performance');
    return named;
  }

  /**
   * Equal shapes, numbers within a relative `tolerance`: a slice's rows are summed in the
   * store's group order, which its name can change (CBPE's multiclass sums, in the last bit).
   */
  function expectSameWithin(actual: unknown, expected: unknown, tolerance: number, at: string) {
    if (typeof expected === 'number' && typeof actual === 'number') {
      if (Math.abs(actual - expected) > tolerance * Math.max(1, Math.abs(expected)))
        expect(actual, at).toBe(expected);
    } else if (Array.isArray(expected) && Array.isArray(actual)) {
      expect(actual.length, at).toBe(expected.length);
      expected.forEach((e, i) => expectSameWithin(actual[i], e, tolerance, `${at}[${i}]`));
    } else if (expected && actual && typeof expected === 'object' && typeof actual === 'object') {
      expect(Object.keys(actual).sort(), at).toEqual(Object.keys(expected).sort());
      for (const [key, e] of Object.entries(expected))
        expectSameWithin((actual as Record<string, unknown>)[key], e, tolerance, `${at}.${key}`);
    } else expect(actual, at).toEqual(expected);
  }

  it('binary: all rows stay all rows', async () => {
    const entries = await expectRenamingChangesNothing('binary', true);
    expect(entries.map((entry) => entry.n)).toEqual([600, 200, 200, 200, 600, 200, 200, 200]);
  });

  it('binary CBPE: calibrated on all the baseline’s rows, not on the slice', async () => {
    await expectRenamingChangesNothing('binary', false);
  });

  it('multiclass: the slice is not merged into all rows', async () => {
    const entries = await expectRenamingChangesNothing('multiclass', true);
    expect(entries.map((entry) => entry.n)).toEqual([600, 200, 200, 200, 600, 200, 200, 200]);
  });

  it('multiclass CBPE: calibrated on all the baseline’s rows, not on them and the slice', async () => {
    await expectRenamingChangesNothing('multiclass', false);
  });

  it('regression: all rows first', async () => {
    const entries = await expectRenamingChangesNothing('regression', true);
    expect(entries.map((entry) => entry.n)).toEqual([600, 200, 200, 200, 600, 200, 200, 200]);
  });
});
