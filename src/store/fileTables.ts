import fs from 'node:fs';
import readline from 'node:readline';
import {
  firstInvalidUtf8Line,
  isNumberText,
  splitCsvLine,
  type ColumnInfo,
  type TabularFile,
  type TabularFormat,
} from '../baselines/tabularFile.js';
import { InputError, errorMessage } from '../errors.js';
import type { Store } from './clickhouse.js';

/** A column name as a ClickHouse identifier. Names are data from users' files: never trust them. */
export function quoteIdentifier(name: string): string {
  return '`' + name.replace(/\\/g, '\\\\').replace(/`/g, '\\`') + '`';
}

const TYPE_OF_KIND = { numeric: 'Nullable(Float64)', categorical: 'Nullable(String)' } as const;

/**
 * Settings for a statement that names every column of a wide file or monitor (a table's
 * definition, an insert's expressions): the column identifiers must be in the SQL, so the
 * engine's parser limits (max_query_size, 256 KiB by default; max_ast_elements, 50,000) are
 * raised to what this statement needs. Monitor files are bounded (monitorFileLimits), so
 * this is bounded too.
 */
export function wideStatementSettings(sql: string, columns: number): Record<string, string> {
  const bytes = Buffer.byteLength(sql);
  return {
    max_query_size: String(Math.max(256 * 1024, bytes + 1024)),
    max_ast_elements: String(Math.max(50_000, columns * 8 + 10_000)),
    max_expanded_ast_elements: String(Math.max(500_000, columns * 8 + 10_000)),
  };
}

function structureOf(columns: readonly ColumnInfo[]): string {
  return columns
    .map((column) => `${quoteIdentifier(column.name)} ${TYPE_OF_KIND[column.kind]}`)
    .join(', ');
}

/**
 * Column names and ClickHouse types of a Parquet or Arrow file, from its own schema. The
 * embedded engine reads the file itself; a server cannot read the client's files, so there
 * an Arrow file's schema is read locally, and a Parquet file's cannot be (yet).
 */
export async function describeFile(
  store: Store,
  file: string,
  format: TabularFormat,
): Promise<{ name: string; type: string }[]> {
  if (store.kind === 'server') {
    // apache-arrow loaded only here (~0.1 s of CPU every other command skips)
    if (format === 'Arrow')
      return (await import('../baselines/arrowSchema.js')).describeArrowFile(file);
    throw new InputError(
      { file },
      `on a ClickHouse server (CLICKHOUSE_URL), driftwatch reads the columns of CSV and Arrow IPC files only: convert this ${format} file, or use the embedded store`,
    );
  }
  try {
    return await store.query<{ name: string; type: string }>(
      `DESCRIBE TABLE file({path:String}, {format:String})`,
      { path: fs.realpathSync(file), format },
    );
  } catch (error) {
    throw new InputError({ file }, `cannot read the file as ${format}: ${rootCause(error)}`, {
      cause: error,
    });
  }
}

/**
 * A scratch table for a file's rows. In memory on the embedded engine: the rows are read a
 * few times and dropped, so writing and compressing parts would only cost time.
 */
export async function createFileTable(
  store: Store,
  table: string,
  columns: readonly ColumnInfo[],
  options: { persistent?: boolean } = {},
): Promise<void> {
  const engine =
    store.kind === 'embedded' && !options.persistent ? 'Memory' : 'MergeTree ORDER BY tuple()';
  const sql = `CREATE TABLE ${quoteIdentifier(table)} (${structureOf(columns)}) ENGINE = ${engine}`;
  await store.command(sql, {}, wideStatementSettings(sql, columns.length));
}

/**
 * Where a loaded CSV holds text that is not valid UTF-8 (the engine keeps the bytes as
 * they are): the file's first such line, column and byte. Undefined when all is valid.
 */
export async function findInvalidUtf8(
  store: Store,
  table: string,
  textColumns: readonly ColumnInfo[],
  file: TabularFile,
): Promise<{ line: number; column: string; offset: number; byte: number } | undefined> {
  if (textColumns.length === 0 || file.format !== 'CSVWithNames') return undefined;
  const [row] = await store.query<{ bad: string }>(
    `SELECT countIf(${textColumns.map((c) => `NOT isValidUTF8(ifNull(${quoteIdentifier(c.name)}, ''))`).join(' OR ')}) AS bad
     FROM ${quoteIdentifier(table)}`,
  );
  if (Number(row?.bad ?? 0) === 0) return undefined;
  return firstInvalidUtf8Line(file.path);
}

/**
 * Of the candidate columns, those whose every value is different and present (text), or
 * an integer different on every row (numbers): ids. A column whose sample already had a
 * repeat is not a candidate.
 */
export async function queryUniqueColumns(
  store: Store,
  table: string,
  candidates: readonly (ColumnInfo & { uniqueInSample?: boolean })[],
  minRows = 100,
): Promise<Set<string>> {
  const unsampled = candidates.filter((c) => c.uniqueInSample === undefined);
  // a column unique (and whole) over every row is so over the first rows: a Parquet or Arrow
  // file has no inference sample, and 25 uniqExact over a million rows cost seconds of CPU
  const survivors =
    unsampled.length > 0
      ? await uniqueIn(
          store,
          `(SELECT * FROM ${quoteIdentifier(table)} LIMIT ${PRECHECK_ROWS})`,
          unsampled,
        )
      : undefined;
  const checked = candidates.filter((c) =>
    c.uniqueInSample === undefined ? survivors?.unique.has(c.name) : c.uniqueInSample !== false,
  );
  if (checked.length === 0 || (survivors && survivors.rows < minRows)) return new Set();
  const full = await uniqueIn(store, quoteIdentifier(table), checked);
  return full.rows < minRows ? new Set() : full.unique;
}

/** Rows the id-like check first reads of a column with no sample of its own. */
const PRECHECK_ROWS = 10_000;

async function uniqueIn(
  store: Store,
  relation: string,
  checked: readonly ColumnInfo[],
): Promise<{ rows: number; unique: Set<string> }> {
  const tests = checked.map((c) => {
    const column = quoteIdentifier(c.name);
    const integral = c.kind === 'numeric' ? ` AND countIf(${column} != round(${column})) = 0` : '';
    return `count(${column}) = count() AND uniqExact(${column}) = count()${integral}`;
  });
  const [row] = await store.query<{ rows: string; unique: number[] }>(
    `SELECT count() AS rows, [${tests.join(', ')}] AS unique FROM ${relation}`,
  );
  return {
    rows: Number(row?.rows ?? 0),
    unique: new Set(checked.filter((_, i) => Number(row?.unique[i]) === 1).map((c) => c.name)),
  };
}

export async function dropTable(store: Store, table: string): Promise<void> {
  await store.command(`DROP TABLE IF EXISTS ${quoteIdentifier(table)}`);
}

/**
 * Loads a whole file into a table inside the engine. Embedded ClickHouse reads the file
 * itself (file() table function), so no row enters the JavaScript heap; a server is sent
 * the file's bytes as a stream. Empty CSV fields are NULL; a value that does not fit its
 * column's type fails the load with the row and column named. `columns` may be a subset of
 * the file's (`header`): the table holds those, the file's other columns are skipped.
 */
export async function loadFileIntoTable(
  store: Store,
  file: string,
  format: TabularFormat,
  table: string,
  columns: readonly ColumnInfo[],
  header: readonly ColumnInfo[] = columns,
): Promise<void> {
  const settings = {
    input_format_csv_empty_as_default: 1,
    input_format_null_as_default: 0,
    input_format_try_infer_exponent_floats: 1,
    input_format_allow_errors_num: '0',
    input_format_parallel_parsing: 1,
    // columns of the file the table does not hold (CSV by header name; Arrow and Parquet
    // read only the columns asked for)
    input_format_skip_unknown_fields: 1,
  } as const;
  try {
    if (store.kind === 'embedded') {
      await store.command(
        `INSERT INTO ${quoteIdentifier(table)}
         SELECT * FROM file({path:String}, {format:String}, {structure:String})`,
        { path: fs.realpathSync(file), format, structure: structureOf(columns) },
        settings,
      );
    } else {
      // exec rather than insert: the client's insert knows no Arrow format; the server does.
      const result = await store.client.exec({
        query: `INSERT INTO ${quoteIdentifier(table)} FORMAT ${format}`,
        values: fs.createReadStream(file),
        clickhouse_settings: settings,
      });
      result.stream.resume();
    }
  } catch (error) {
    throw await loadError(file, format, header, error);
  }
}

/** Turns ClickHouse's parse report into "file:line: column "x": what was wrong". */
export async function loadError(
  file: string,
  format: TabularFormat,
  columns: readonly ColumnInfo[],
  error: unknown,
): Promise<InputError> {
  const detail = rootCause(error);
  const row = /\(at row (\d+)\)/.exec(detail)?.[1];
  const column = /name: ([^,\n]+), type: [^,\n]+,\s+parsed text: [^\n]*ERROR/
    .exec(detail)?.[1]
    ?.trim();
  const firstLine =
    detail
      .split('\n')[0]
      ?.replace(/^Code: \d+\. DB::Exception: /, '')
      .trim() ?? detail;
  if (format !== 'CSVWithNames' || row === undefined) {
    return new InputError({ file, column }, firstLine, { cause: error });
  }
  // ClickHouse counts data rows; the header is line 1.
  const line = Number(row) + 1;
  const fields = splitCsvLine((await readLine(file, line)) ?? '');
  if (fields.length !== columns.length) {
    return new InputError(
      { file, line },
      `malformed row: ${fields.length} fields where the header has ${columns.length}`,
      { cause: error },
    );
  }
  // ClickHouse does not always say which column ("Expected end of line"): the first
  // field that does not fit its column's kind is the one.
  const offending =
    fields.findIndex((field) => field.includes('\uFFFD')) >= 0
      ? fields.findIndex((field) => field.includes('\uFFFD'))
      : columns.findIndex((c, i) => {
          const field = fields[i] ?? '';
          return (
            c.kind === 'numeric' && field.trim() !== '' && field !== '\\N' && !isNumberText(field)
          );
        });
  if (offending >= 0 && fields[offending]?.includes('\uFFFD')) {
    return new InputError(
      { file, line, column: columns[offending]?.name },
      'not valid UTF-8 (a byte that no UTF-8 text has; save the file as UTF-8)',
      { cause: error },
    );
  }
  const index = column ? columns.findIndex((c) => c.name === column) : offending;
  const named = columns[index]?.name;
  const value = fields[index];
  if (named && columns[index]?.kind === 'numeric') {
    return new InputError(
      { file, line, column: named },
      `expected a number, got "${value ?? ''}" (the column's values changed type)`,
      { cause: error },
    );
  }
  return new InputError(
    { file, line, column: named },
    firstLine.replace(/\s*\(at row \d+\)\s*:?$/, ''),
    {
      cause: error,
    },
  );
}

async function readLine(file: string, wanted: number): Promise<string | undefined> {
  const lines = readline.createInterface({ input: fs.createReadStream(file), crlfDelay: Infinity });
  let number = 0;
  for await (const line of lines) {
    number += 1;
    if (number === wanted) {
      lines.close();
      return line;
    }
  }
  return undefined;
}

function rootCause(error: unknown): string {
  let current: unknown = error;
  let message = errorMessage(error);
  while (current instanceof Error && current.cause !== undefined) {
    current = current.cause;
    message = errorMessage(current);
  }
  return message;
}
