import { randomUUID } from 'node:crypto';
import path from 'node:path';
import {
  assertReadableFile,
  detectFormat,
  firstNonNumberLine,
  hasColumn,
  inferCsvColumns,
  kindOfClickHouseType,
  type ColumnInfo,
  type TabularFile,
} from '../baselines/tabularFile.js';
import { computeExactFeatureDrift } from '../drift/exactDrift.js';
import {
  DEFAULT_DRIFT_CRITERIA,
  type DriftCriteria,
  type FeatureDrift,
} from '../drift/featureDrift.js';
import { InputError } from '../errors.js';
import type { Store } from '../store/clickhouse.js';
import { classificationOfRead, type ClassificationEntry } from './classification.js';
import {
  checkBinaryColumns,
  measurePerformance,
  performanceColumns,
  readScored,
  type ScoredRead,
} from './measurePerformance.js';
import type { PerformanceEntry, PerformanceRequest } from './performance.js';
import { ALL_SLICES, type ComparisonRelations, type RelationSql } from '../store/driftQueries.js';
import {
  createFileTable,
  describeFile,
  dropTable,
  findInvalidUtf8,
  loadFileIntoTable,
  queryUniqueColumns,
  quoteIdentifier,
} from '../store/fileTables.js';

export interface ReportOptions {
  baseline: string;
  current: string;
  slice?: string;
  score?: string;
  label?: string;
  threshold?: number;
  /** The model's task and columns: the report's performance section (--task). */
  performance?: PerformanceRequest;
  bins?: number;
  criteria?: DriftCriteria;
  /** Categories kept per feature and slice, the most frequent first. */
  maxCategories?: number;
  /** Columns never compared (ids, timestamps). */
  ignore?: readonly string[];
  /** Only these columns are compared. */
  features?: readonly string[];
  /**
   * 'auto' (default): exact up to EXACT_REPORT_MAX_ROWS rows a file, bracketed above;
   * 'exact': always exact (sorts every value); 'bracketed': KS and Wasserstein from cells.
   */
  distances?: 'auto' | 'exact' | 'bracketed';
  /** Told how long each phase took (benchmarks say where the time goes). */
  onPhase?: (phase: string, milliseconds: number) => void;
}

/**
 * Up to this many rows in the larger file, KS D and Wasserstein are exact (merged sorts of
 * every value); above, they are bracketed from cells (see docs/BENCHMARKS.md for the
 * times that set it). `--exact` forces exact at any size.
 */
export const EXACT_REPORT_MAX_ROWS = 2_000_000;

export type { ClassificationEntry };

export interface ExcludedColumn {
  column: string;
  reason: string;
}

export interface DriftReport {
  generated_at: string;
  baseline: { file: string; rows: number };
  current: { file: string; rows: number };
  slice_column: string | null;
  criteria: {
    p_value: number;
    min_effect: number;
    psi: number;
    max_null_increase: number;
    bins: number;
  };
  /** False when KS and Wasserstein carry brackets (large files without --exact). */
  exact: boolean;
  summary: { features: number; entries: number; drifted: number };
  excluded_columns: ExcludedColumn[];
  features: FeatureDrift[];
  classification?: ClassificationEntry[];
  /** The model's quality per side and slice (src/report/performance.ts). */
  performance?: PerformanceEntry[];
  /**
   * A regression's (--task regression): the drift of its predictions and, when both files
   * have labels, of its residuals (label − prediction), exact, as a numeric feature's.
   */
  regression_drift?: { prediction: FeatureDrift[]; residual: FeatureDrift[] };
}

/** The one-shot comparison behind `driftwatch report`. */
export async function compareFiles(store: Store, options: ReportOptions): Promise<DriftReport> {
  const bins = options.bins ?? 10;
  const criteria = options.criteria ?? DEFAULT_DRIFT_CRITERIA;
  let mark = performance.now();
  const phase = (name: string) => {
    const now = performance.now();
    options.onPhase?.(name, now - mark);
    mark = now;
  };
  const [baseline, current] = await Promise.all([
    readTabularFile(store, options.baseline),
    readTabularFile(store, options.current),
  ]);
  const layout = planColumns(baseline, current, options);
  await checkTypeChanges(layout);
  phase('read headers and infer types');
  const tables = { baseline: `report_${randomUUID().replace(/-/g, '')}_ref`, current: '' };
  tables.current = tables.baseline.replace(/_ref$/, '_cur');
  try {
    // the engine reads the two files side by side (each load is one insert of its own)
    await bothInOrder(
      loadTable(store, baseline, tables.baseline),
      loadTable(store, current, tables.current),
    );
    phase('load both files');
    await checkUtf8(store, baseline, tables.baseline);
    await checkUtf8(store, current, tables.current);
    phase('check UTF-8');
    const excluded = [
      ...layout.excluded,
      ...(options.features
        ? []
        : await idLikeColumns(store, layout, tables, { baseline, current })),
    ];
    const kept = {
      numeric: layout.numeric.filter((name) => !excluded.some((e) => e.column === name)),
      categorical: layout.categorical.filter((name) => !excluded.some((e) => e.column === name)),
    };
    if (kept.numeric.length + kept.categorical.length === 0) {
      throw new InputError(
        { file: current.path },
        `no feature columns left to compare (${excluded.map((e) => `${e.column}: ${e.reason}`).join('; ')})`,
      );
    }
    phase('find id-like columns');
    const rows = await countRows(store, tables);
    const mode =
      options.distances === 'exact' || options.distances === 'bracketed'
        ? options.distances
        : Math.max(rows.baseline, rows.current) <= EXACT_REPORT_MAX_ROWS
          ? 'exact'
          : 'bracketed';
    const relations = comparisonRelations(kept, tables, options.slice);
    let currentRead: ScoredRead | undefined;
    // The feature statistics and the performance section read the same tables and nothing
    // of each other: run side by side, one's queries and sorts fill the cores the other
    // leaves idle (its first query, its last column's sort).
    const [features, performance] = await bothInOrder(
      computeExactFeatureDrift(store, relations, kept, {
        bins,
        criteria,
        maxCategories: options.maxCategories ?? 1000,
        distances: mode,
      }),
      options.performance
        ? measurePerformance(
            store,
            {
              baseline: { file: baseline, table: tables.baseline },
              current: { file: current, table: tables.current },
              slice: options.slice,
            },
            options.performance,
            (read) => (currentRead = read),
          )
        : Promise.resolve(undefined),
    );
    phase(`feature statistics (${mode}) and performance, side by side`);
    const classification =
      options.score && options.label && hasColumn(current, options.label)
        ? await computeClassification(
            store,
            { file: current, table: tables.current },
            options,
            currentRead,
          )
        : undefined;
    phase('classification');
    const regressionDrift =
      options.performance?.task === 'regression' && options.performance.prediction
        ? await computeRegressionDrift(store, tables, options, { baseline, current }, mode)
        : undefined;
    phase('regression drift');
    return {
      generated_at: new Date().toISOString(),
      baseline: { file: options.baseline, rows: rows.baseline },
      current: { file: options.current, rows: rows.current },
      slice_column: options.slice ?? null,
      criteria: {
        p_value: criteria.pValue,
        min_effect: criteria.minEffect,
        psi: criteria.psi,
        max_null_increase: criteria.maxNullIncrease,
        bins,
      },
      exact: features.every((feature) => feature.exact),
      summary: {
        features: kept.numeric.length + kept.categorical.length,
        entries: features.length,
        drifted: features.filter((feature) => feature.drift).length,
      },
      excluded_columns: excluded,
      features,
      ...(classification ? { classification } : {}),
      ...(performance ? { performance } : {}),
      ...(regressionDrift ? { regression_drift: regressionDrift } : {}),
    };
  } finally {
    await dropTable(store, tables.baseline);
    await dropTable(store, tables.current);
  }
}

/**
 * Both results once both have settled (neither is left running against tables that are then
 * dropped); a failure of the first wins over the second's, as when they ran one after the
 * other.
 */
async function bothInOrder<A, B>(first: Promise<A>, second: Promise<B>): Promise<[A, B]> {
  const [a, b] = await Promise.allSettled([first, second]);
  if (a.status === 'rejected') throw a.reason;
  if (b.status === 'rejected') throw b.reason;
  return [a.value, b.value];
}

async function readTabularFile(store: Store, file: string): Promise<TabularFile> {
  assertReadableFile(file);
  const format = detectFormat(file);
  if (format === 'CSVWithNames') {
    return { path: file, format, columns: (await inferCsvColumns(file)).columns };
  }
  const described = await describeFile(store, file, format);
  if (described.length === 0) throw new InputError({ file }, 'the file has no columns');
  return {
    path: file,
    format,
    columns: described.map((column) => ({
      name: column.name,
      kind: kindOfClickHouseType(column.type),
    })),
  };
}

interface ColumnLayout {
  numeric: string[];
  categorical: string[];
  /** Columns whose kinds differ between the files: numbers in one, text in the other. */
  typeChanges: { column: string; numbersIn: TabularFile; textIn: TabularFile }[];
  excluded: ExcludedColumn[];
}

/**
 * Every column present in both files, other than the slice, score and label columns and
 * those --ignore names (or, with --features, only those), is a feature. A column that is
 * numbers in one file and text in the other is an error, not a silent categorical.
 */
function planColumns(
  baseline: TabularFile,
  current: TabularFile,
  options: ReportOptions,
): ColumnLayout {
  const baselineKinds = new Map(baseline.columns.map((column) => [column.name, column.kind]));
  const currentKinds = new Map(current.columns.map((column) => [column.name, column.kind]));
  for (const [flag, column] of [
    ['--slice', options.slice],
    ['--score', options.score],
    ['--label', options.label],
  ] as const) {
    if (column === undefined) continue;
    // a label may be missing from the current file: its labels have not arrived (CBPE)
    const files = flag === '--slice' ? [baseline, current] : [current];
    if (flag === '--label' && !hasColumn(current, column) && hasColumn(baseline, column)) continue;
    for (const file of files) {
      if (!hasColumn(file, column)) {
        throw new InputError(
          { file: file.path, column },
          `unknown column given to ${flag}; the file has: ${file.columns.map((c) => c.name).join(', ')}`,
        );
      }
    }
  }
  for (const [flag, names] of [
    ['--ignore', options.ignore],
    ['--features', options.features],
  ] as const) {
    for (const name of names ?? []) {
      if (!currentKinds.has(name) && !baselineKinds.has(name)) {
        throw new InputError(
          { file: current.path, column: name },
          `unknown column given to ${flag}; the files have: ${current.columns.map((c) => c.name).join(', ')}`,
        );
      }
    }
  }
  const reserved = new Set(
    [
      options.slice,
      options.score,
      options.label,
      ...(options.performance
        ? performanceColumns(options.performance, { baseline, current })
        : []),
    ].filter(Boolean),
  );
  const excluded: ExcludedColumn[] = [];
  const shared = baseline.columns.filter((column) => {
    if (!currentKinds.has(column.name) || reserved.has(column.name)) return false;
    if (options.ignore?.includes(column.name)) {
      excluded.push({ column: column.name, reason: 'ignored (--ignore)' });
      return false;
    }
    if (options.features && !options.features.includes(column.name)) {
      excluded.push({ column: column.name, reason: 'not in --features' });
      return false;
    }
    return true;
  });
  if (shared.length === 0) {
    throw new InputError(
      { file: current.path },
      `no feature columns in common with ${baseline.path}`,
    );
  }
  const numeric: string[] = [];
  const categorical: string[] = [];
  const typeChanges: ColumnLayout['typeChanges'] = [];
  for (const column of shared) {
    const kinds = [baselineKinds.get(column.name), currentKinds.get(column.name)];
    if (kinds[0] !== kinds[1]) {
      const [numbersIn, textIn] =
        kinds[0] === 'numeric' ? [baseline, current] : [current, baseline];
      typeChanges.push({ column: column.name, numbersIn, textIn });
      continue;
    }
    (column.kind === 'numeric' ? numeric : categorical).push(column.name);
  }
  return { numeric, categorical, typeChanges, excluded };
}

/**
 * A column of numbers in one file and text in the other: the first value that is not a
 * number, with its line, is what the person needs to see.
 */
async function checkTypeChanges(layout: ColumnLayout): Promise<void> {
  const change = layout.typeChanges[0];
  if (!change) return;
  if (change.textIn.format === 'CSVWithNames') {
    const found = await firstNonNumberLine(change.textIn.path, change.column);
    if (found) {
      throw new InputError(
        { file: change.textIn.path, line: found.line, column: change.column },
        `expected a number, got "${found.value}" (the column holds numbers in ${change.numbersIn.path})`,
      );
    }
  }
  throw new InputError(
    { file: change.textIn.path, column: change.column },
    `the column's type changed: numbers in ${change.numbersIn.path}, text here`,
  );
}

/** A text value that is not valid UTF-8 is a bad byte in the file, not a new category. */
async function checkUtf8(store: Store, file: TabularFile, table: string): Promise<void> {
  const text = file.columns.filter((column) => column.kind === 'categorical');
  const found = await findInvalidUtf8(store, table, text, file);
  if (found) {
    throw new InputError(
      { file: file.path, line: found.line, column: found.column },
      `not valid UTF-8: byte 0x${found.byte.toString(16).padStart(2, '0')} at byte ${found.offset} of the line (save the file as UTF-8)`,
    );
  }
}

/** Text (or integer) columns whose every value is different: ids, not features. */
async function idLikeColumns(
  store: Store,
  layout: Pick<ColumnLayout, 'numeric' | 'categorical'>,
  tables: { baseline: string; current: string },
  files: { baseline: TabularFile; current: TabularFile },
): Promise<ExcludedColumn[]> {
  const candidates = [
    ...layout.categorical.map((name) => ({ name, kind: 'categorical' as const })),
    ...layout.numeric.map((name) => ({ name, kind: 'numeric' as const })),
  ];
  const sampled = (file: TabularFile) =>
    candidates.map((column) => ({
      ...column,
      uniqueInSample: file.columns.find((c) => c.name === column.name)?.uniqueInSample,
    }));
  const inBaseline = await queryUniqueColumns(store, tables.baseline, sampled(files.baseline));
  const inCurrent = await queryUniqueColumns(store, tables.current, sampled(files.current));
  return candidates
    .filter((column) => inBaseline.has(column.name) && inCurrent.has(column.name))
    .map((column) => ({
      column: column.name,
      reason:
        column.kind === 'numeric'
          ? 'id-like: an integer unique per row in both files (use --features to compare it anyway)'
          : 'id-like: unique per row in both files (use --features to compare it anyway)',
    }));
}

async function loadTable(store: Store, file: TabularFile, table: string): Promise<void> {
  await createFileTable(store, table, file.columns);
  await loadFileIntoTable(store, file.path, file.format, table, file.columns);
}

function comparisonRelations(
  layout: { numeric: string[]; categorical: string[] },
  tables: { baseline: string; current: string },
  slice: string | undefined,
): ComparisonRelations {
  const relation = (table: string): RelationSql => ({
    sql: `SELECT ${slice ? `ifNull(toString(${quoteIdentifier(slice)}), '(null)')` : '{dw_all:String}'} AS slice,
      ${[
        ...layout.numeric.map(
          (name, i) =>
            `if(isFinite(${quoteIdentifier(name)}), ${quoteIdentifier(name)}, NULL) AS n${i}, ifNull(NOT isFinite(${quoteIdentifier(name)}), 0) AS x${i}`,
        ),
        ...layout.categorical.map((name, i) => `${quoteIdentifier(name)} AS c${i}`),
        '1 AS dw_row',
      ].join(', ')}
      FROM ${quoteIdentifier(table)}`,
    params: slice ? {} : { dw_all: ALL_SLICES },
  });
  return {
    reference: relation(tables.baseline),
    current: relation(tables.current),
    numericCount: layout.numeric.length,
    categoricalCount: layout.categorical.length,
    sliced: slice !== undefined,
  };
}

/**
 * A regression's prediction and residual (label − prediction, both finite) per row, each
 * compared like a numeric feature by the same exact drift engine; residuals only when both
 * files have the label column.
 */
async function computeRegressionDrift(
  store: Store,
  tables: { baseline: string; current: string },
  options: ReportOptions,
  files: { baseline: TabularFile; current: TabularFile },
  distances: 'exact' | 'bracketed',
): Promise<{ prediction: FeatureDrift[]; residual: FeatureDrift[] }> {
  const prediction = options.performance?.prediction ?? '';
  const label = options.performance?.label ?? '';
  const labelled = hasColumn(files.baseline, label) && hasColumn(files.current, label);
  const number = (column: string) => `toFloat64OrNull(toString(${quoteIdentifier(column)}))`;
  const residual = `${number(label)} - ${number(prediction)}`;
  const relation = (table: string, value: string): RelationSql => ({
    sql: `SELECT ${options.slice ? `ifNull(toString(${quoteIdentifier(options.slice)}), '(null)')` : '{dw_all:String}'} AS slice,
      if(isFinite(ifNull(v, nan)), v, NULL) AS n0, ifNull(NOT isFinite(v), 0) AS x0, 1 AS dw_row
      FROM (SELECT *, ${value} AS v FROM ${quoteIdentifier(table)})`,
    params: options.slice ? {} : { dw_all: ALL_SLICES },
  });
  const compare = (name: string, value: string) =>
    computeExactFeatureDrift(
      store,
      {
        reference: relation(tables.baseline, value),
        current: relation(tables.current, value),
        numericCount: 1,
        categoricalCount: 0,
        sliced: options.slice !== undefined,
      },
      { numeric: [name], categorical: [] },
      {
        bins: options.bins ?? 10,
        criteria: options.criteria ?? DEFAULT_DRIFT_CRITERIA,
        maxCategories: 1,
        distances,
      },
    );
  return {
    prediction: await compare(prediction, number(prediction)),
    residual: labelled ? await compare('residual', residual) : [],
  };
}

/**
 * The current file's AUROC and positive rates, from the binary performance section's read of
 * it when that section reads the same score and label columns (no second scan), else from a
 * read of its own, checked the same way: one reading of every row either way.
 */
async function computeClassification(
  store: Store,
  current: { file: TabularFile; table: string },
  options: ReportOptions,
  currentRead: ScoredRead | undefined,
): Promise<ClassificationEntry[]> {
  const threshold = options.threshold ?? 0.5;
  const columns = { score: options.score ?? '', label: options.label ?? '' };
  const request = options.performance;
  const sameColumns =
    request?.task === 'binary' &&
    request.score === columns.score &&
    request.label === columns.label;
  let read = sameColumns ? currentRead : undefined;
  if (!read) {
    await checkBinaryColumns(store, current, columns);
    read = await readScored(store, { table: current.table, slice: options.slice, ...columns });
  }
  return classificationOfRead(read, threshold, options.slice !== undefined);
}

async function countRows(store: Store, tables: { baseline: string; current: string }) {
  const [row] = await store.query<{ baseline: string; current: string }>(
    `SELECT (SELECT count() FROM ${quoteIdentifier(tables.baseline)}) AS baseline,
            (SELECT count() FROM ${quoteIdentifier(tables.current)}) AS current`,
  );
  return { baseline: Number(row?.baseline ?? 0), current: Number(row?.current ?? 0) };
}

export function reportFileName(file: string): string {
  return path.basename(file);
}

export type { ColumnInfo };
