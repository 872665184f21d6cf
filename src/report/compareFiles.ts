import { randomUUID } from 'node:crypto';
import path from 'node:path';
import {
  assertReadableFile,
  detectFormat,
  inferCsvColumns,
  kindOfClickHouseType,
  type ColumnInfo,
  type TabularFile,
} from '../baselines/tabularFile.js';
import { InputError } from '../errors.js';
import { aurocFromCounts } from '../stats/index.js';
import type { Store } from '../store/clickhouse.js';
import { queryClassificationAggregates } from '../store/classificationQueries.js';
import { ALL_SLICES, type ComparisonRelations, type RelationSql } from '../store/driftQueries.js';
import {
  createFileTable,
  describeFile,
  dropTable,
  loadFileIntoTable,
  quoteIdentifier,
} from '../store/fileTables.js';
import { computeExactFeatureDrift, displaySlice } from '../drift/exactDrift.js';
import {
  DEFAULT_DRIFT_CRITERIA,
  type DriftCriteria,
  type FeatureDrift,
} from '../drift/featureDrift.js';

export interface ReportOptions {
  baseline: string;
  current: string;
  slice?: string;
  score?: string;
  label?: string;
  threshold?: number;
  bins?: number;
  criteria?: DriftCriteria;
  /** Categories kept per feature and slice, the most frequent first. */
  maxCategories?: number;
}

export interface ClassificationEntry {
  slice: string;
  n: number;
  auroc: number | null;
  positive_rate: { labels: number | null; predicted: number | null };
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
  summary: { features: number; entries: number; drifted: number };
  features: FeatureDrift[];
  classification?: ClassificationEntry[];
}

/** The one-shot comparison behind `driftwatch report`. */
export async function compareFiles(store: Store, options: ReportOptions): Promise<DriftReport> {
  const bins = options.bins ?? 10;
  const criteria = options.criteria ?? DEFAULT_DRIFT_CRITERIA;
  const [baseline, current] = await Promise.all([
    readTabularFile(store, options.baseline),
    readTabularFile(store, options.current),
  ]);
  const layout = planColumns(baseline, current, options);
  const tables = { baseline: `report_${randomUUID().replace(/-/g, '')}_ref`, current: '' };
  tables.current = tables.baseline.replace(/_ref$/, '_cur');
  try {
    await loadTable(store, baseline, tables.baseline);
    await loadTable(store, current, tables.current);
    const relations = comparisonRelations(layout, tables, options.slice);
    const features = await computeExactFeatureDrift(store, relations, layout, {
      bins,
      criteria,
      maxCategories: options.maxCategories ?? 1000,
    });
    const classification =
      options.score && options.label
        ? await computeClassification(store, tables.current, options, options.threshold ?? 0.5)
        : undefined;
    const rows = await countRows(store, tables);
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
      summary: {
        features: layout.numeric.length + layout.categorical.length,
        entries: features.length,
        drifted: features.filter((feature) => feature.drift).length,
      },
      features,
      ...(classification ? { classification } : {}),
    };
  } finally {
    await dropTable(store, tables.baseline);
    await dropTable(store, tables.current);
  }
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
  baselineColumns: ColumnInfo[];
  currentColumns: ColumnInfo[];
}

/**
 * Every column present in both files, other than the slice, score and label columns, is a
 * feature. A column that is numbers in one file and text in the other is an error, not a
 * silent categorical.
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
    for (const file of flag === '--slice' ? [baseline, current] : [current]) {
      if (!file.columns.some((c) => c.name === column)) {
        throw new InputError(
          { file: file.path, column },
          `unknown column given to ${flag}; the file has: ${file.columns.map((c) => c.name).join(', ')}`,
        );
      }
    }
  }
  const reserved = new Set([options.slice, options.score, options.label].filter(Boolean));
  const shared = baseline.columns.filter(
    (column) => currentKinds.has(column.name) && !reserved.has(column.name),
  );
  if (shared.length === 0) {
    throw new InputError(
      { file: current.path },
      `no feature columns in common with ${baseline.path}`,
    );
  }
  const numeric: string[] = [];
  const categorical: string[] = [];
  for (const column of shared) {
    const kinds = [baselineKinds.get(column.name), currentKinds.get(column.name)];
    if (kinds[0] !== kinds[1]) {
      const [numbersIn, textIn] =
        kinds[0] === 'numeric' ? [baseline, current] : [current, baseline];
      throw new InputError(
        { file: textIn.path, column: column.name },
        `the column's type changed: numbers in ${numbersIn.path}, text here`,
      );
    }
    (column.kind === 'numeric' ? numeric : categorical).push(column.name);
  }
  const withReserved = (file: TabularFile) =>
    file.columns.map((column) =>
      reserved.has(column.name) && column.name !== options.score && column.name !== options.label
        ? { ...column, kind: 'categorical' as const }
        : column,
    );
  return {
    numeric,
    categorical,
    baselineColumns: withReserved(baseline),
    currentColumns: withReserved(current),
  };
}

async function loadTable(store: Store, file: TabularFile, table: string): Promise<void> {
  await createFileTable(store, table, file.columns);
  await loadFileIntoTable(store, file.path, file.format, table, file.columns);
}

function comparisonRelations(
  layout: ColumnLayout,
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

async function computeClassification(
  store: Store,
  table: string,
  options: ReportOptions,
  threshold: number,
): Promise<ClassificationEntry[]> {
  const label = quoteIdentifier(options.label ?? '');
  const relation: RelationSql = {
    sql: `SELECT ${options.slice ? `ifNull(toString(${quoteIdentifier(options.slice)}), '(null)')` : "''"} AS slice,
      toFloat64OrNull(toString(${quoteIdentifier(options.score ?? '')})) AS score,
      multiIf(isNull(${label}), NULL, lower(toString(${label})) IN ('1', '1.0', 'true', 'yes'), 1,
              lower(toString(${label})) IN ('0', '0.0', 'false', 'no'), 0, NULL)::Nullable(UInt8) AS label
      FROM ${quoteIdentifier(table)}`,
    params: {},
  };
  const aggregates = await queryClassificationAggregates(store, relation, threshold);
  return aggregates
    .filter((row) => options.slice !== undefined || row.slice === ALL_SLICES)
    .map((row) => ({
      slice: displaySlice(row.slice),
      n: row.n,
      auroc:
        row.positives > 0 && row.negatives > 0
          ? aurocFromCounts({
              positives: row.positives,
              negatives: row.negatives,
              pairsWon: row.pairsWon,
            })
          : null,
      positive_rate: {
        labels: row.labelled > 0 ? row.positives / row.labelled : null,
        predicted: row.scored > 0 ? row.predictedPositives / row.scored : null,
      },
    }))
    .sort((a, b) =>
      a.slice === 'all' ? -1 : b.slice === 'all' ? 1 : a.slice.localeCompare(b.slice),
    );
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
