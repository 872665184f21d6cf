import fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { EXPORTED_FIELDS } from '../monitors/checkResult.js';
import { toClickHouseTime, type QueryParams, type Store } from './clickhouse.js';
import { quoteIdentifier } from './fileTables.js';

/**
 * What compliance exports read and write. Rows leave in pages (keyset order), so the
 * JavaScript heap holds one page at a time whatever the period; files are written by
 * ClickHouse itself from a scratch table: the engine writes CSV, JSON lines or Parquet.
 */
export type ExportFormat = 'csv' | 'jsonl' | 'parquet';

export const CLICKHOUSE_FORMAT: Readonly<Record<ExportFormat, string>> = {
  csv: 'CSVWithNames',
  jsonl: 'JSONEachRow',
  parquet: 'Parquet',
};

export interface ExportColumnType {
  name: string;
  /** A ClickHouse type: String, UInt64, UInt32, Nullable(Float64). */
  type: string;
}

export interface ExportPeriod {
  from: Date;
  to: Date;
  model?: string;
}

export type ExportRow = Record<string, string | number | null>;

/** A DateTime64 column as an RFC 3339 UTC string (NULL stays NULL). */
export const RFC3339 = (column: string) => `concat(replaceOne(toString(${column}), ' ', 'T'), 'Z')`;

export function periodParams(period: ExportPeriod): QueryParams {
  return {
    from: toClickHouseTime(period.from),
    to: toClickHouseTime(period.to),
    model: period.model ?? '',
  };
}

/** The exported fields of a check result (monitors/checkResult.ts), times as RFC 3339. */
const DRIFT_HISTORY_COLUMNS = EXPORTED_FIELDS.map(([, spec]) =>
  spec.type === 'time' ? `${RFC3339(spec.column)} AS ${spec.column}` : spec.column,
).join(', ');

/**
 * The drift history of a period, window_end in (from, to], in a stable order, a page at a
 * time. Pages are ranges of windows (sized from a count per window), so each query reads
 * only its own range through the table's index instead of rescanning the period.
 */
export function readDriftHistoryPages(
  store: Store,
  period: ExportPeriod,
  pageSize: number,
): AsyncGenerator<ExportRow[]> {
  return readPagesByWindow(store, period, pageSize, {
    countPerWindow: `SELECT toString(window_end) AS end_text, count() AS n FROM monitor_results
       WHERE window_end > {from:DateTime64(3)} AND window_end <= {to:DateTime64(3)}
         AND ({model:String} = '' OR model = {model:String})
       GROUP BY window_end ORDER BY window_end`,
    page: `SELECT ${DRIFT_HISTORY_COLUMNS}
       FROM monitor_results FINAL
       WHERE window_end >= {first:DateTime64(3)} AND window_end <= {last:DateTime64(3)}
         AND ({model:String} = '' OR model = {model:String})
       ORDER BY window_end, monitor, check_id, feature, slice_key, slice_value
       SETTINGS prefer_column_name_to_alias = 1`,
  });
}

/**
 * Rows of a period a page at a time, where every row belongs to a window: `countPerWindow`
 * counts rows per window end in (from, to] (columns end_text, n), and `page` reads the rows
 * of the windows from {first} to {last} in a stable order. Both see {model} ('' = all).
 */
export async function* readPagesByWindow(
  store: Store,
  period: ExportPeriod,
  pageSize: number,
  sql: { countPerWindow: string; page: string },
): AsyncGenerator<ExportRow[]> {
  const counts = await store.query<{ end_text: string; n: string }>(
    sql.countPerWindow,
    periodParams(period),
  );
  for (const range of windowRanges(counts, pageSize)) {
    const rows = await store.query<ExportRow>(sql.page, {
      model: period.model ?? '',
      first: range.first,
      last: range.last,
    });
    if (rows.length > 0) yield rows;
  }
}

/** Consecutive windows grouped into ranges of about `pageSize` rows (a bigger window alone). */
function windowRanges(
  counts: readonly { end_text: string; n: string }[],
  pageSize: number,
): { first: string; last: string }[] {
  const ranges: { first: string; last: string }[] = [];
  let current: { first: string; last: string; rows: number } | undefined;
  for (const { end_text: end, n } of counts) {
    const rows = Number(n);
    if (current && current.rows + rows > pageSize) {
      ranges.push({ first: current.first, last: current.last });
      current = undefined;
    }
    current = current
      ? { ...current, last: end, rows: current.rows + rows }
      : { first: end, last: end, rows };
  }
  if (current) ranges.push({ first: current.first, last: current.last });
  return ranges;
}

/** Baselines in use during the period (named by its results) or created in it. */
export async function readBaselineRows(store: Store, period: ExportPeriod): Promise<ExportRow[]> {
  return store.query<ExportRow>(
    `SELECT model, name, version, kind, source, columns, row_count, ${RFC3339('created_at')} AS created_at
     FROM baselines FINAL
     WHERE ({model:String} = '' OR model = {model:String})
       AND ((created_at > {from:DateTime64(3)} AND created_at <= {to:DateTime64(3)})
            OR (model, name, version) IN (
              SELECT DISTINCT model, baseline, baseline_version FROM monitor_results
              WHERE window_end > {from:DateTime64(3)} AND window_end <= {to:DateTime64(3)}))
     ORDER BY model, name, version
     SETTINGS prefer_column_name_to_alias = 1`,
    periodParams(period),
  );
}

/** Monitor file versions behind the period's results, or loaded during it: their text by hash. */
export async function readMonitorFileRows(
  store: Store,
  period: ExportPeriod,
): Promise<ExportRow[]> {
  return store.query<ExportRow>(
    `SELECT model, monitor, hash, any(path) AS file_path, any(text) AS file_text,
            ${RFC3339('min(loaded_at)')} AS first_loaded_at, ${RFC3339('max(loaded_at)')} AS last_loaded_at
     FROM monitor_files
     WHERE ({model:String} = '' OR model = {model:String})
       AND ((loaded_at > {from:DateTime64(3)} AND loaded_at <= {to:DateTime64(3)})
            OR hash IN (SELECT DISTINCT monitor_hash FROM monitor_results
                        WHERE window_end > {from:DateTime64(3)} AND window_end <= {to:DateTime64(3)}))
     GROUP BY model, monitor, hash
     ORDER BY min(loaded_at), model, hash`,
    periodParams(period),
  );
}

function structureOf(columns: readonly ExportColumnType[]): string {
  return columns.map((column) => `${quoteIdentifier(column.name)} ${column.type}`).join(', ');
}

/** A scratch table for one section of one export, keyed by record sequence. */
export async function createExportTable(
  store: Store,
  table: string,
  columns: readonly ExportColumnType[],
): Promise<void> {
  await store.command(
    `CREATE TABLE ${quoteIdentifier(table)} (${structureOf(columns)}) ENGINE = MergeTree ORDER BY seq`,
  );
}

export async function insertExportRows(
  store: Store,
  table: string,
  rows: readonly ExportRow[],
): Promise<void> {
  await store.insert(table, rows);
}

export async function dropExportTable(store: Store, table: string): Promise<void> {
  await store.command(`DROP TABLE IF EXISTS ${quoteIdentifier(table)}`);
}

/**
 * ClickHouse writes the file in record order. Embedded, the engine writes it to disk
 * itself; from a server, the bytes stream through to the file without being held.
 */
export async function writeExportTableToFile(
  store: Store,
  table: string,
  columns: readonly ExportColumnType[],
  format: ExportFormat,
  file: string,
): Promise<void> {
  const names = columns.map((column) => quoteIdentifier(column.name)).join(', ');
  const settings = {
    output_format_parquet_compression_method: 'zstd',
    output_format_json_quote_64bit_integers: 0,
    engine_file_truncate_on_insert: 1,
  } as const;
  if (store.kind === 'embedded') {
    await store.command(
      `INSERT INTO FUNCTION file({path:String}, {format:String}, {structure:String})
       SELECT ${names} FROM ${quoteIdentifier(table)} ORDER BY seq`,
      { path: file, format: CLICKHOUSE_FORMAT[format], structure: structureOf(columns) },
      settings,
    );
    return;
  }
  const result = await store.client.exec({
    query: `SELECT ${names} FROM ${quoteIdentifier(table)} ORDER BY seq FORMAT ${CLICKHOUSE_FORMAT[format]}`,
    clickhouse_settings: settings,
  });
  await pipeline(result.stream, fs.createWriteStream(file));
}

/**
 * An exported CSV or Parquet file turned back into JSON lines by ClickHouse (into
 * `jsonFile`), so verification reads every format the same way, line by line.
 */
export async function convertExportFileToJsonLines(
  store: Store,
  file: string,
  format: ExportFormat,
  columns: readonly ExportColumnType[],
  jsonFile: string,
): Promise<void> {
  await store.command(
    `INSERT INTO FUNCTION file({out:String}, 'JSONEachRow', {structure:String})
     SELECT * FROM file({path:String}, {format:String}, {structure:String})`,
    {
      out: jsonFile,
      path: file,
      format: CLICKHOUSE_FORMAT[format],
      structure: structureOf(columns),
    },
    { output_format_json_quote_64bit_integers: 0, engine_file_truncate_on_insert: 1 },
  );
}
