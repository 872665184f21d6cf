import { hasColumn, type TabularFile } from '../baselines/tabularFile.js';
import { displaySlice } from '../drift/exactDrift.js';
import { InputError } from '../errors.js';
import { MAPE_EPS } from '../stats/regression.js';
import { labelledRows, scoreHistograms, type ScoreHistogram } from '../stats/scoreHistogram.js';
import type { Store } from '../store/clickhouse.js';
import { ALL_SLICES } from '../store/driftQueries.js';
import {
  queryClassScoreHistogram,
  queryClassScoreRows,
  queryDistinctClasses,
  queryInvalidBinaryLabel,
  queryMulticlassConfusion,
  queryNonNumberValue,
  queryRegressionSums,
  queryScoreRange,
  queryScoredRows,
  type ScoreRowCounts,
} from '../store/performanceQueries.js';
import {
  binaryCalibration,
  binaryEntries,
  estimatedBinaryEntries,
  estimatedMulticlassEntries,
  hasLabelledRows,
  hasLabels,
  multiclassCalibrations,
  multiclassEntries,
  regressionEntries,
  sortEntries,
  type ClassScoreRow,
  type PerformanceEntry,
  type PerformanceRequest,
  type Side,
  type SliceHistograms,
} from './performance.js';

/**
 * Reads what the performance section needs from the two loaded file tables and hands it to
 * src/report/performance.ts. A side is measured when it holds the model's columns and its
 * labels; a current file without labels (the column absent, or every value empty) gets
 * CBPE's estimate, calibrated on the labelled baseline (binary; multiclass with
 * --class-scores). Bad input (a label that is not 0/1, a score outside [0, 1], a class no
 * score column names) is an error naming the flag, file and value.
 */
export interface PerformanceFiles {
  baseline: { file: TabularFile; table: string };
  current: { file: TabularFile; table: string };
  slice?: string;
}

/** Columns the performance section reads: none of them is compared as a feature. */
export function performanceColumns(
  request: PerformanceRequest,
  files: { baseline: TabularFile; current: TabularFile },
): string[] {
  const prefix = request.classScores;
  const classColumns =
    prefix === undefined
      ? []
      : [...files.baseline.columns, ...files.current.columns]
          .map((c) => c.name)
          .filter((name) => name.startsWith(prefix) && name.length > prefix.length);
  return [
    request.label,
    ...(request.score ? [request.score] : []),
    ...(request.prediction ? [request.prediction] : []),
    ...classColumns,
  ];
}

/**
 * A binary side's one read and sort: every slice (raw values, ascending) with its rows
 * counted (all of them, and those whose score is null or not finite, left out of the
 * histograms), each slice's histogram and all rows' (compareFiles' classification section
 * reads the current side's instead of scanning it again).
 */
export interface ScoredRead {
  slices: string[];
  sliceCounts: ScoreRowCounts[];
  allCounts: ScoreRowCounts;
  groups: ScoreHistogram[];
  all: ScoreHistogram;
}

export async function measurePerformance(
  store: Store,
  files: PerformanceFiles,
  request: PerformanceRequest,
  /** Told the current side's binary read, when one is made. */
  onCurrentRead?: (read: ScoredRead) => void,
): Promise<PerformanceEntry[]> {
  const has = (side: Side, column: string | undefined) =>
    column !== undefined && hasColumn(files[side].file, column);
  const output = request.task === 'binary' ? request.score : request.prediction;
  const outputFlag = request.task === 'binary' ? '--score' : '--prediction';
  if (!has('current', output)) throw unknownColumn(outputFlag, output ?? '', files.current.file);
  if (!has('current', request.label) && !has('baseline', request.label))
    throw new InputError(
      { file: files.current.file.path, column: request.label },
      `unknown column given to --label: neither file has it (the current file has: ${columnNames(files.current.file)})`,
    );
  const measured: Side[] = (['baseline', 'current'] as const).filter(
    (side) => has(side, output) && has(side, request.label),
  );
  const entries =
    request.task === 'binary'
      ? await binary(store, files, request, measured, onCurrentRead)
      : request.task === 'regression'
        ? await regression(store, files, request, measured)
        : await multiclass(store, files, request, measured);
  // entries are keyed by raw slice values and ALL_SLICES up to here: a slice whose value is
  // "all" is its own entry, after all rows', however it is shown
  return sortEntries(entries, ALL_SLICES).map((entry) => ({
    ...entry,
    slice: displaySlice(entry.slice),
  }));
}

/**
 * A binary side's columns checked before they are read: the score must be a probability
 * (its finite values in [0, 1]) and, when `label` is given, every label 0 or 1 (or
 * true/false, yes/no, trimmed; empty is no label).
 */
export async function checkBinaryColumns(
  store: Store,
  side: { file: TabularFile; table: string },
  columns: { score: string; label?: string },
): Promise<void> {
  const { file, table } = side;
  const range = await queryScoreRange(store, table, columns.score);
  if (range && (range.min < 0 || range.max > 1))
    throw new InputError(
      { file: file.path, column: columns.score },
      `--score must be a probability in [0, 1]; the column holds ${range.min < 0 ? range.min : range.max}`,
    );
  if (columns.label === undefined) return;
  const invalid = await queryInvalidBinaryLabel(store, table, columns.label);
  if (invalid)
    throw new InputError(
      { file: file.path, column: columns.label },
      `--label of a binary model must be 0 or 1 (or true/false, yes/no); ${rowsHold(invalid.rows)} other values, such as "${invalid.value}" (class labels? use --task multiclass)`,
    );
}

/**
 * A binary side's rows read once as typed arrays and sorted once (checkBinaryColumns first):
 * every metric is a sweep of its histograms. Rows whose score is null, NaN or ±inf are in
 * no histogram, only in the counts.
 */
export async function readScored(
  store: Store,
  columns: { table: string; slice?: string; score: string; label?: string },
): Promise<ScoredRead> {
  const { slices, sliceCounts, allCounts, rows } = await queryScoredRows(store, columns);
  return { slices, sliceCounts, allCounts, ...scoreHistograms(rows, Math.max(1, slices.length)) };
}

async function binary(
  store: Store,
  files: PerformanceFiles,
  request: PerformanceRequest,
  measured: Side[],
  onCurrentRead?: (read: ScoredRead) => void,
): Promise<PerformanceEntry[]> {
  const score = request.score ?? '';
  for (const side of ['baseline', 'current'] as const)
    if (hasColumn(files[side].file, score))
      await checkBinaryColumns(store, files[side], {
        score,
        ...(measured.includes(side) ? { label: request.label } : {}),
      });
  const histograms = async (side: Side, labelled: boolean): Promise<SliceHistograms> => {
    const read = await readScored(store, {
      table: files[side].table,
      slice: files.slice,
      score,
      ...(labelled ? { label: request.label } : {}),
    });
    if (side === 'current') onCurrentRead?.(read);
    // all rows under a key no slice value can take (a slice may be named "all")
    const keyed: [string, ScoreHistogram][] = [
      [ALL_SLICES, read.all],
      ...read.slices.map((slice, i): [string, ScoreHistogram] => [
        slice,
        read.groups[i] as ScoreHistogram,
      ]),
    ];
    // a slice whose rows have no finite score has nothing to measure or estimate
    return new Map(keyed.filter(([, histogram]) => histogram.score.length > 0));
  };
  const options = { threshold: request.threshold, calibrationBins: request.calibrationBins };
  const baseline = measured.includes('baseline') ? await histograms('baseline', true) : undefined;
  const current = await histograms('current', measured.includes('current'));
  const entries = baseline ? binaryEntries('baseline', baseline, options) : [];
  if (hasLabelledRows(current)) return [...entries, ...binaryEntries('current', current, options)];
  const reference = baseline?.get(ALL_SLICES);
  if (!reference || labelledRows(reference) === 0)
    throw noReference(files, request, 'the baseline has no labelled scores to calibrate CBPE on');
  return [
    ...entries,
    ...estimatedBinaryEntries(binaryCalibration(reference), current, request.threshold),
  ];
}

async function regression(
  store: Store,
  files: PerformanceFiles,
  request: PerformanceRequest,
  measured: Side[],
): Promise<PerformanceEntry[]> {
  const prediction = request.prediction ?? '';
  const entries: PerformanceEntry[] = [];
  for (const side of measured) {
    const { file, table } = files[side];
    for (const [flag, column] of [
      ['--prediction', prediction],
      ['--label', request.label],
    ] as const) {
      const bad = await queryNonNumberValue(store, table, column);
      if (bad)
        throw new InputError(
          { file: file.path, column },
          `${flag} of a regression must hold numbers; ${rowsHold(bad.rows)} text, such as "${bad.value}"`,
        );
    }
    const rows = await queryRegressionSums(
      store,
      { table, slice: files.slice, prediction, label: request.label },
      MAPE_EPS,
    );
    entries.push(...regressionEntries(side, rows));
  }
  return entries;
}

/** The most classes a multiclass report takes (each is a score column, a matrix row). */
const MAX_CLASSES = 1000;

async function multiclass(
  store: Store,
  files: PerformanceFiles,
  request: PerformanceRequest,
  measured: Side[],
): Promise<PerformanceEntry[]> {
  const prediction = request.prediction ?? '';
  const classColumns = classScoreColumns(request, files.current.file);
  const classes = classColumns?.map((c) => c.className);
  for (const side of ['baseline', 'current'] as const) {
    const { file, table } = files[side];
    for (const [flag, column] of [
      ['--label', request.label],
      ['--prediction', prediction],
    ] as const) {
      if (!hasColumn(file, column)) continue;
      const seen = await queryDistinctClasses(store, table, column, MAX_CLASSES + 1);
      if (seen.length > MAX_CLASSES)
        throw new InputError(
          { file: file.path, column },
          `${flag} holds more than ${MAX_CLASSES} classes: is it a class column?`,
        );
      const unknown = classes ? seen.filter((value) => !classes.includes(value)) : [];
      if (unknown.length > 0)
        throw new InputError(
          { file: file.path, column },
          `${flag} holds ${unknown
            .slice(0, 5)
            .map((v) => `"${v}"`)
            .join(
              ', ',
            )}, outside the classes --class-scores ${request.classScores ?? ''} names (${classes?.join(', ')})`,
        );
    }
  }
  // each side's class-score histograms are read once: the baseline's serve both its own
  // AUROC and the CBPE calibration
  const classScoresRead = new Map<
    Side,
    Promise<{ className: string; rows: ClassScoreRow[] }[] | undefined>
  >();
  const classScores = (side: Side) => {
    const read = classScoresRead.get(side) ?? readClassScores(side);
    classScoresRead.set(side, read);
    return read;
  };
  const readClassScores = async (side: Side) => {
    const { file, table } = files[side];
    if (!classColumns || !classColumns.every((c) => hasColumn(file, c.column))) return undefined;
    const columns: { className: string; rows: ClassScoreRow[] }[] = [];
    for (const c of classColumns)
      columns.push({
        className: c.className,
        rows: await queryClassScoreHistogram(store, {
          table,
          slice: files.slice,
          score: c.column,
          label: request.label,
          className: c.className,
        }),
      });
    return columns;
  };
  const entries: PerformanceEntry[] = [];
  let currentLabelled = false;
  for (const side of measured) {
    const confusion = await queryMulticlassConfusion(store, {
      table: files[side].table,
      slice: files.slice,
      prediction,
      label: request.label,
    });
    if (side === 'current') currentLabelled = confusion.length > 0;
    const scores = await classScores(side);
    entries.push(
      ...multiclassEntries(side, scores ? { confusion, classScores: scores } : { confusion }),
    );
  }
  if (currentLabelled) return entries;
  if (!classColumns)
    throw noReference(
      files,
      request,
      'CBPE estimates a multiclass model from its class scores: give --class-scores PREFIX',
    );
  // the calibration needs the baseline's labels and class scores, not its predictions
  const baselineScores = hasColumn(files.baseline.file, request.label)
    ? await classScores('baseline')
    : undefined;
  const reference = baselineScores?.map((c) => ({
    className: c.className,
    rows: c.rows.filter((row) => row.slice === ALL_SLICES),
  }));
  if (!reference || !reference.every((c) => hasLabels(c.rows)))
    throw noReference(
      files,
      request,
      'the baseline has no labelled class scores to calibrate CBPE on',
    );
  const rows = await queryClassScoreRows(store, {
    table: files.current.table,
    slice: files.slice,
    prediction,
    scores: classColumns.map((c) => c.column),
  });
  return [
    ...entries,
    ...estimatedMulticlassEntries(multiclassCalibrations(reference), classes ?? [], rows),
  ];
}

/** --class-scores p_ → the current file's columns p_cat, p_dog as classes cat, dog (sorted). */
function classScoreColumns(
  request: PerformanceRequest,
  current: TabularFile,
): { className: string; column: string }[] | undefined {
  const prefix = request.classScores;
  if (prefix === undefined) return undefined;
  const columns = current.columns
    .filter((c) => c.name.startsWith(prefix) && c.name.length > prefix.length)
    .map((c) => ({ className: c.name.slice(prefix.length), column: c.name }))
    .sort((a, b) => (a.className < b.className ? -1 : a.className > b.className ? 1 : 0));
  if (columns.length < 2)
    throw new InputError(
      { file: current.path },
      `--class-scores ${prefix} names ${columns.length === 0 ? 'no column' : `only ${columns[0]?.column}`}: a multiclass model needs one score column per class, each named ${prefix}<class>; the file has: ${columnNames(current)}`,
    );
  return columns;
}

function noReference(files: PerformanceFiles, request: PerformanceRequest, why: string) {
  return new InputError(
    { file: files.current.file.path, column: request.label },
    `the current file has no labels, so performance would be estimated (CBPE), but ${why}`,
  );
}

function unknownColumn(flag: string, column: string, file: TabularFile): InputError {
  return new InputError(
    { file: file.path, column },
    `unknown column given to ${flag}; the file has: ${columnNames(file)}`,
  );
}

function rowsHold(rows: number): string {
  return rows === 1 ? '1 row holds' : `${rows} rows hold`;
}

function columnNames(file: TabularFile): string {
  return file.columns.map((c) => c.name).join(', ');
}
