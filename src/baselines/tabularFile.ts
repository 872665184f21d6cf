import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { InputError } from '../errors.js';

/** The tabular formats driftwatch reads, named as ClickHouse names its input formats. */
export type TabularFormat = 'CSVWithNames' | 'Parquet' | 'Arrow';

export type ColumnKind = 'numeric' | 'categorical';

export interface ColumnInfo {
  name: string;
  kind: ColumnKind;
}

export interface TabularFile {
  path: string;
  format: TabularFormat;
  columns: ColumnInfo[];
}

const FORMAT_BY_EXTENSION: Record<string, TabularFormat> = {
  '.csv': 'CSVWithNames',
  '.parquet': 'Parquet',
  '.pq': 'Parquet',
  '.arrow': 'Arrow',
  '.feather': 'Arrow',
  '.ipc': 'Arrow',
};

export function detectFormat(file: string): TabularFormat {
  const format = FORMAT_BY_EXTENSION[path.extname(file).toLowerCase()];
  if (!format) {
    throw new InputError(
      { file },
      `unknown file type "${path.extname(file)}": expected .csv, .parquet or .arrow (Arrow IPC)`,
    );
  }
  return format;
}

export function assertReadableFile(file: string): void {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    throw new InputError({ file }, 'no such file');
  }
  if (!stat.isFile()) throw new InputError({ file }, 'not a regular file');
  if (stat.size === 0) throw new InputError({ file }, 'the file is empty');
}

/** Numbers as data tools write them: integers, decimals, scientific notation, inf/nan. */
const NUMBER = /^[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?|inf|infinity|nan)$/i;

export function isNumberText(text: string): boolean {
  return NUMBER.test(text.trim());
}

export interface CsvInference {
  columns: ColumnInfo[];
  sampledRows: number;
}

/**
 * Reads the header and a sample of rows to decide each column's kind: numeric when every
 * non-empty sampled value is a number. A row with the wrong number of fields in the sample
 * is reported here with its line; ClickHouse reports any later one while loading.
 */
export async function inferCsvColumns(file: string, sampleRows = 2000): Promise<CsvInference> {
  const lines = readline.createInterface({ input: fs.createReadStream(file), crlfDelay: Infinity });
  let header: string[] | undefined;
  let numeric: boolean[] = [];
  let seen: boolean[] = [];
  let sampled = 0;
  let lineNumber = 0;
  for await (const line of lines) {
    lineNumber += 1;
    if (line.trim() === '') continue;
    const fields = splitCsvLine(line);
    if (!header) {
      header = fields.map((field) => field.trim());
      checkHeader(file, header);
      numeric = header.map(() => true);
      seen = header.map(() => false);
      continue;
    }
    if (fields.length !== header.length) {
      lines.close();
      throw new InputError(
        { file, line: lineNumber },
        `malformed row: ${fields.length} fields where the header has ${header.length}`,
      );
    }
    fields.forEach((field, i) => {
      // Empty fields and ClickHouse's \N are nulls, which say nothing of the type.
      if (field.trim() === '' || field === '\\N') return;
      seen[i] = true;
      if (!isNumberText(field)) numeric[i] = false;
    });
    sampled += 1;
    if (sampled >= sampleRows) break;
  }
  lines.close();
  if (!header) throw new InputError({ file }, 'the file is empty: no header row');
  if (sampled === 0) throw new InputError({ file, line: 2 }, 'the file has a header but no rows');
  return {
    columns: header.map((name, i) => ({
      name,
      kind: numeric[i] && seen[i] ? 'numeric' : 'categorical',
    })),
    sampledRows: sampled,
  };
}

function checkHeader(file: string, header: string[]): void {
  const seen = new Set<string>();
  header.forEach((name, i) => {
    if (name === '') throw new InputError({ file, line: 1 }, `column ${i + 1} has no name`);
    if (seen.has(name))
      throw new InputError({ file, line: 1, column: name }, 'duplicate column name');
    seen.add(name);
  });
}

/** RFC 4180 fields of one line (quoted fields with doubled quotes; no embedded newlines). */
export function splitCsvLine(line: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i += 1) {
    const char = line[i];
    if (quoted) {
      if (char === '"' && line[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      fields.push(field);
      field = '';
    } else field += char;
  }
  fields.push(field);
  return fields;
}

/** Maps a ClickHouse type (from DESCRIBE of a Parquet or Arrow file) to a column kind. */
export function kindOfClickHouseType(type: string): ColumnKind {
  const inner = type
    .replace(/^(Nullable|LowCardinality)\((.*)\)$/, '$2')
    .replace(/^Nullable\((.*)\)$/, '$1');
  return /^(U?Int\d+|Float\d+|Decimal|BFloat16|Bool)/.test(inner) ? 'numeric' : 'categorical';
}
