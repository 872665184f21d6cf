import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { placeColumn, columnAggregates, type PlacedColumn } from '../src/drift/sortedColumn.js';
import { binQuantileLevels } from '../src/stats/bins.js';
import {
  addPairCells,
  addToCells,
  cellStatistics,
  clearPairCells,
  createPairCells,
  frameOf,
  populationStdDevOfValues,
} from '../src/stats/exactCells.js';
import { openStore, type Store } from '../src/store/clickhouse.js';
import {
  queryCategoryCounts,
  queryNumericColumns,
  queryQualityCounts,
  type ComparisonRelations,
  type NumericColumnsBatch,
} from '../src/store/driftQueries.js';
import { loadLine, mib, peakRssMiB } from './measure.js';
import { createSyntheticTable } from './report.js';

/**
 * Where the exact feature statistics' CPU goes (issue 22, item 2): the report-parquet files
 * (two 1M-row Parquet files, 20 numeric + 5 categorical features, 3 slices) loaded into
 * memory tables as the report loads them, then each step of computeExactFeatureDrift's
 * exact mode run alone on this thread, one after another, timed with process.cpuUsage
 * (CPU of every thread: the embedded ClickHouse's and JavaScript's). The steps run in
 * parallel in the report (workers, the categories beside the value queries); here they are
 * apart so that each one's cost is seen.
 */
const NUMERIC = 20;
const CATEGORICAL = 5;
const ROWS = 1_000_000;
const SLICES = ['android', 'ios', 'web'];
/** As the report: 4 columns of two 1M-row files a query (exactDrift's VALUES_PER_QUERY). */
const PER_QUERY = 4;

export async function runReportBreakdownBenchmark(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'driftwatch-bench-breakdown-'));
  const store = await openStore({
    kind: 'embedded',
    dataDir: path.join(dir, 'data'),
    database: 'bench',
  });
  try {
    await writeParquetFiles(store, dir);
    const lines: string[] = [];
    const step = async <T>(name: string, work: () => T | Promise<T>): Promise<T> => {
      const cpu = process.cpuUsage();
      const started = performance.now();
      const result = await work();
      const used = process.cpuUsage(cpu);
      lines.push(
        `${name}: CPU ${((used.user + used.system) / 1e6).toFixed(2)} s, wall ${((performance.now() - started) / 1000).toFixed(2)} s`,
      );
      return result;
    };
    const load = loadLine();
    await step('load both Parquet files into memory tables', async () => {
      for (const side of ['baseline', 'current']) {
        await store.command(
          `CREATE TABLE ${side} ENGINE = Memory AS SELECT * FROM file({file:String}, 'Parquet')`,
          { file: path.join(dir, `${side}.parquet`) },
        );
      }
    });
    const relations = relationsOf('baseline', 'current');
    const shape = { numericCount: NUMERIC, categoricalCount: CATEGORICAL, sliced: true };
    await step('quality counts (both sides)', () =>
      Promise.all([
        queryQualityCounts(store, relations.reference, shape),
        queryQualityCounts(store, relations.current, shape),
      ]),
    );
    await step('category counts', () => queryCategoryCounts(store, relations, 1000));
    const chunks: NumericColumnsBatch[][] = [];
    await step(`value queries (${PER_QUERY} columns a query, Arrow)`, async () => {
      for (let first = 0; first < NUMERIC; first += PER_QUERY) {
        const features = Array.from({ length: PER_QUERY }, (_, i) => first + i);
        chunks.push(await queryNumericColumns(store, relations, features, SLICES));
      }
    });
    const placed = await step('place each column by slice and side', () =>
      chunks.flatMap((batches) =>
        Array.from({ length: PER_QUERY }, (_, column) =>
          placeColumn(
            batches.map((batch) => ({
              group: batch.group,
              value: batch.values[column] as Float64Array,
            })),
            SLICES.length,
          ),
        ),
      ),
    );
    chunks.length = 0;
    const copies = placed.map((column) => ({
      placed: column.placed.slice(),
      starts: column.starts,
    }));
    const levels = binQuantileLevels(10);
    await step('columnAggregates, all of it (what a worker runs: cells)', () =>
      placed.map((column) => columnAggregates(column, levels, true)),
    );
    // the same work in its parts, on copies of the placed columns (read, not changed: the
    // sorted path then sorts them)
    const cellParts = { cells: 0, statistics: 0, spreads: 0 };
    await step('  of which, in parts:', () => {
      const slot = createPairCells();
      const all = createPairCells();
      for (const column of copies) {
        const groups = groupsOf(column);
        const references = groups.filter((_, g) => g % 2 === 0);
        const currents = groups.filter((_, g) => g % 2 === 1);
        const frame = timed(cellParts, 'cells', () => frameOf([column.placed]));
        clearPairCells(all, frame);
        for (let s = 0; s < SLICES.length; s += 1) {
          const pair = [references[s] as Float64Array, currents[s] as Float64Array] as const;
          timed(cellParts, 'cells', () => {
            clearPairCells(slot, frame);
            addToCells(slot, 'reference', pair[0]);
            addToCells(slot, 'current', pair[1]);
            addPairCells(all, slot);
          });
          timed(cellParts, 'statistics', () => cellStatistics(slot, [pair[0]], [pair[1]], levels));
          timed(cellParts, 'spreads', () => populationStdDevOfValues([pair[0]], 1));
        }
        timed(cellParts, 'statistics', () => cellStatistics(all, references, currents, levels));
        timed(cellParts, 'spreads', () => populationStdDevOfValues(references, 1));
      }
    });
    lines.push(
      `    frames and cells of each slice (counts, offset sums, added into "all"): ${cellParts.cells.toFixed(2)} s`,
      `    KS/W1/quantiles/bins from cells, second pass and candidate sorts (3 slices and "all"): ${cellParts.statistics.toFixed(2)} s`,
      `    spreads (compensated two-pass): ${cellParts.spreads.toFixed(2)} s`,
    );
    await step("the same sorted (main's path before the cells: sorts, merges, sweeps)", () =>
      copies.map((column) => columnAggregates(column, levels, true, { cellsFrom: Infinity })),
    );
    console.log(
      `exact feature statistics in parts, two ${ROWS / 1e6}M-row Parquet files (${NUMERIC} numeric + ${CATEGORICAL} categorical features, ${SLICES.length} slices); ${load}\n    ` +
        `${lines.join('\n    ')}\n    process peak RSS ${mib(peakRssMiB())}; ${loadLine()}`,
    );
  } finally {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs `work` and adds its CPU seconds (this thread) to `parts[name]`. */
function timed<K extends string, T>(parts: Record<K, number>, name: K, work: () => T): T {
  const cpu = process.cpuUsage();
  const result = work();
  const used = process.cpuUsage(cpu);
  parts[name] += (used.user + used.system) / 1e6;
  return result;
}

/** The groups of a placed column: slot by slot, reference then current. */
function groupsOf(column: PlacedColumn): Float64Array[] {
  const groups: Float64Array[] = [];
  for (let g = 2; g + 1 < column.starts.length; g += 1) {
    groups.push(column.placed.subarray(column.starts[g] as number, column.starts[g + 1] as number));
  }
  return groups;
}

async function writeParquetFiles(store: Store, dir: string): Promise<void> {
  for (const [side, drifted] of [
    ['baseline', false],
    ['current', true],
  ] as const) {
    await createSyntheticTable(store, `bench_${side}`, ROWS, drifted, 'distinct');
    await store.command(
      `INSERT INTO FUNCTION file({file:String}, 'Parquet') SELECT * FROM bench_${side}`,
      { file: path.join(dir, `${side}.parquet`) },
      { engine_file_truncate_on_insert: 1 },
    );
    await store.command(`DROP TABLE bench_${side}`);
  }
}

/** The report's relations over the two tables (src/report/compareFiles.ts's, sliced). */
function relationsOf(baseline: string, current: string): ComparisonRelations {
  const relation = (table: string) => ({
    sql: `SELECT ifNull(toString(segment), '(null)') AS slice, ${[
      ...Array.from(
        { length: NUMERIC },
        (_, i) =>
          `if(isFinite(n${i}), n${i}, NULL) AS n${i}, ifNull(NOT isFinite(n${i}), 0) AS x${i}`,
      ),
      ...Array.from({ length: CATEGORICAL }, (_, i) => `c${i}`),
      '1 AS dw_row',
    ].join(', ')} FROM ${table}`,
    params: {},
  });
  return {
    reference: relation(baseline),
    current: relation(current),
    numericCount: NUMERIC,
    categoricalCount: CATEGORICAL,
    sliced: true,
  };
}
