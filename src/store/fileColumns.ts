import {
  MAX_LISTED_VALUES,
  type ColumnProfile,
  type FileProfile,
} from '../baselines/columnProfile.js';
import {
  NUMBER_TEXT_RE2,
  assertReadableFile,
  detectFormat,
  inferCsvColumns,
  kindOfClickHouseType,
  type ColumnInfo,
  type TabularFormat,
} from '../baselines/tabularFile.js';
import { InputError } from '../errors.js';
import type { Store } from './clickhouse.js';
import {
  createFileTable,
  describeFile,
  dropTable,
  findInvalidUtf8,
  loadFileIntoTable,
  quoteIdentifier,
} from './fileTables.js';

/**
 * Every column of a training file profiled over all its rows, inside the engine: how many
 * values, how many distinct, which are numbers, the range of the numbers, the values
 * themselves when there are few. `driftwatch init` decides a monitor from this.
 *
 * A CSV is read twice: once as text, to count the values that parse as numbers (the same
 * definition the report and the baseline loader use); then with the numeric columns typed,
 * through the loader monitors use, so a column called numeric here loads as numbers there.
 * A Parquet or Arrow file has its own types.
 */
export async function profileTabularFile(store: Store, file: string): Promise<FileProfile> {
  assertReadableFile(file);
  const format = detectFormat(file);
  const scratch = `init_profile_${Date.now()}_${Math.floor(Math.random() * 1e6)}`;
  const tables: string[] = [];
  const load = async (suffix: string, columns: ColumnInfo[]): Promise<string> => {
    const table = `${scratch}_${suffix}`;
    tables.push(table);
    await createFileTable(store, table, columns);
    await loadFileIntoTable(store, file, format, table, columns);
    return table;
  };
  try {
    if (format === 'CSVWithNames') {
      const names = (await inferCsvColumns(file)).columns.map((c) => c.name);
      const asText = names.map((name) => ({ name, kind: 'categorical' as const }));
      const textTable = await load('text', asText);
      await assertUtf8(store, textTable, asText, file);
      const text = await queryTextColumns(store, textTable, names);
      const kinds: ColumnInfo[] = names.map((name, i) => {
        const stats = text.columns[i];
        const numeric =
          stats !== undefined && stats.values > 0 && stats.numberValues === stats.values;
        return { name, kind: numeric ? 'numeric' : 'categorical' };
      });
      const numericNames = kinds.filter((c) => c.kind === 'numeric').map((c) => c.name);
      const numbers =
        numericNames.length > 0
          ? await queryNumericColumns(store, await load('typed', kinds), numericNames)
          : new Map<string, NumericRow>();
      return {
        file,
        format,
        rows: text.rows,
        columns: kinds.map((column, i): ColumnProfile => {
          const stats = text.columns[i] as TextRow;
          const typed = numbers.get(column.name);
          return {
            name: column.name,
            kind: column.kind,
            values: stats.values,
            distinct: typed?.distinct ?? stats.distinct,
            evidence: {
              source: 'csv',
              numberValues: stats.numberValues,
              ...(stats.textExample === undefined ? {} : { textExample: stats.textExample }),
            },
            ...(typed ? { numbers: typed.summary } : {}),
            ...listed(typed?.listed ?? stats.listed),
            allTimes:
              column.kind === 'categorical' &&
              stats.values > 0 &&
              stats.timeValues === stats.values,
          };
        }),
      };
    }
    const described = await describeFile(store, file, format);
    if (described.length === 0) throw new InputError({ file }, 'the file has no columns');
    const columns: ColumnInfo[] = described.map((c) => ({
      name: c.name,
      kind: kindOfClickHouseType(c.type),
    }));
    const table = await load('typed', columns);
    const text = await queryTextColumns(
      store,
      table,
      columns.map((c) => c.name),
    );
    const numericNames = columns.filter((c) => c.kind === 'numeric').map((c) => c.name);
    const numbers =
      numericNames.length > 0
        ? await queryNumericColumns(store, table, numericNames)
        : new Map<string, NumericRow>();
    return {
      file,
      format,
      rows: text.rows,
      columns: columns.map((column, i): ColumnProfile => {
        const stats = text.columns[i] as TextRow;
        const typed = numbers.get(column.name);
        return {
          name: column.name,
          kind: column.kind,
          values: stats.values,
          distinct: typed?.distinct ?? stats.distinct,
          evidence: {
            source: 'typed',
            format: format as Exclude<TabularFormat, 'CSVWithNames'>,
            type: described[i]?.type ?? '',
          },
          ...(typed ? { numbers: typed.summary } : {}),
          ...listed(typed?.listed ?? stats.listed),
          allTimes:
            column.kind === 'categorical' && stats.values > 0 && stats.timeValues === stats.values,
        };
      }),
    };
  } finally {
    for (const table of tables) await dropTable(store, table);
  }
}

function listed(values: string[]): { listedValues?: string[] } {
  return values.length <= MAX_LISTED_VALUES ? { listedValues: [...values].sort(compareText) } : {};
}

/** Numbers in numeric order when all are numbers, else in code-point order. */
function compareText(a: string, b: string): number {
  const x = Number(a);
  const y = Number(b);
  if (a.trim() !== '' && b.trim() !== '' && Number.isFinite(x) && Number.isFinite(y)) return x - y;
  return a < b ? -1 : a > b ? 1 : 0;
}

async function assertUtf8(
  store: Store,
  table: string,
  columns: ColumnInfo[],
  file: string,
): Promise<void> {
  const found = await findInvalidUtf8(store, table, columns, {
    path: file,
    format: 'CSVWithNames',
    columns,
  });
  if (found) {
    throw new InputError(
      { file, line: found.line, column: found.column },
      `not valid UTF-8: byte 0x${found.byte.toString(16).padStart(2, '0')} at byte ${found.offset} of the line (save the file as UTF-8)`,
    );
  }
}

interface TextRow {
  values: number;
  distinct: number;
  numberValues: number;
  timeValues: number;
  textExample?: string;
  listed: string[];
}

/** Counts per column of a table, the columns read as text (a typed column as its text). */
async function queryTextColumns(
  store: Store,
  table: string,
  names: readonly string[],
): Promise<{ rows: number; columns: TextRow[] }> {
  const each = (make: (column: string) => string) =>
    `[${names.map((name) => make(quoteIdentifier(name))).join(', ')}]`;
  const text = (c: string) => `trimBoth(toString(${c}))`;
  const isNumber = (c: string) => `match(${text(c)}, {dw_number:String})`;
  const [row] = await store.query<{
    rows: string;
    values: string[];
    distinct: string[];
    number_values: string[];
    time_values: string[];
    text_example: string[];
    listed: string[][];
  }>(
    `SELECT count() AS rows,
       ${each((c) => `count(${c})`)} AS values,
       ${each((c) => `uniqExact(${c})`)} AS distinct,
       ${each((c) => `countIf(${c} IS NOT NULL AND ${isNumber(c)})`)} AS number_values,
       ${each(
         // a date or time, written with separators (bare numbers parse as dates too)
         (c) =>
           `countIf(${c} IS NOT NULL AND match(${text(c)}, '[-/:]') AND parseDateTime64BestEffortOrNull(${text(c)}) IS NOT NULL)`,
       )} AS time_values,
       ${each((c) => `ifNull(anyIf(toString(${c}), ${c} IS NOT NULL AND NOT ${isNumber(c)}), '')`)} AS text_example,
       ${each((c) => `groupUniqArray(${MAX_LISTED_VALUES + 1})(toString(${c}))`)} AS listed
     FROM ${quoteIdentifier(table)}`,
    { dw_number: NUMBER_TEXT_RE2 },
  );
  if (!row) return { rows: 0, columns: [] };
  return {
    rows: Number(row.rows),
    columns: names.map((_, i) => {
      const numberValues = Number(row.number_values[i] ?? 0);
      const values = Number(row.values[i] ?? 0);
      const example = row.text_example[i] ?? '';
      return {
        values,
        distinct: Number(row.distinct[i] ?? 0),
        numberValues,
        timeValues: Number(row.time_values[i] ?? 0),
        ...(numberValues < values ? { textExample: example } : {}),
        listed: row.listed[i] ?? [],
      };
    }),
  };
}

interface NumericRow {
  distinct: number;
  listed: string[];
  summary: NonNullable<ColumnProfile['numbers']>;
}

/** Range, whole-number-ness and non-finite count of numeric columns of a typed table. */
async function queryNumericColumns(
  store: Store,
  table: string,
  names: readonly string[],
): Promise<Map<string, NumericRow>> {
  const each = (make: (column: string) => string) =>
    `[${names.map((name) => make(quoteIdentifier(name))).join(', ')}]`;
  const [row] = await store.query<{
    finite: string[];
    min: number[];
    max: number[];
    fractional: string[];
    non_finite: string[];
    distinct: string[];
    listed: number[][];
  }>(
    `SELECT ${each((c) => `countIf(isFinite(${c}))`)} AS finite,
       ${each((c) => `toFloat64(ifNull(minIf(${c}, isFinite(${c})), 0))`)} AS min,
       ${each((c) => `toFloat64(ifNull(maxIf(${c}, isFinite(${c})), 0))`)} AS max,
       ${each((c) => `countIf(isFinite(${c}) AND ${c} != round(${c}))`)} AS fractional,
       ${each((c) => `countIf(${c} IS NOT NULL AND NOT isFinite(${c}))`)} AS non_finite,
       ${each((c) => `uniqExact(${c})`)} AS distinct,
       ${each((c) => `groupUniqArray(${MAX_LISTED_VALUES + 1})(${c})`)} AS listed
     FROM ${quoteIdentifier(table)}`,
  );
  const result = new Map<string, NumericRow>();
  names.forEach((name, i) => {
    const finite = Number(row?.finite[i] ?? 0);
    result.set(name, {
      distinct: Number(row?.distinct[i] ?? 0),
      listed: (row?.listed[i] ?? []).map((value) => String(value)),
      summary: {
        min: finite > 0 ? (row?.min[i] ?? null) : null,
        max: finite > 0 ? (row?.max[i] ?? null) : null,
        integral: Number(row?.fractional[i] ?? 0) === 0,
        nonFinite: Number(row?.non_finite[i] ?? 0),
      },
    });
  });
  return result;
}
