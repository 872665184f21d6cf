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
  /** Every sampled value was different (an id candidate); absent when not sampled. */
  uniqueInSample?: boolean;
}

export interface TabularFile {
  path: string;
  format: TabularFormat;
  columns: ColumnInfo[];
}

/** Whether the file has a column of that name. */
export function hasColumn(file: TabularFile, column: string): boolean {
  return file.columns.some((c) => c.name === column);
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

/** The same definition for the engine's match() (RE2), applied to trimmed text. */
export const NUMBER_TEXT_RE2 = `(?i)${NUMBER.source}`;

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
  let distinct: Set<string>[] = [];
  let integral: boolean[] = [];
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
      distinct = header.map(() => new Set<string>());
      integral = header.map(() => true);
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
      if (field.includes('\uFFFD')) {
        lines.close();
        throw invalidUtf8Error(file, lineNumber, header?.[i] ?? '');
      }
      seen[i] = true;
      distinct[i]?.add(field);
      if (!isNumberText(field)) numeric[i] = false;
      else if (!Number.isInteger(Number(field))) integral[i] = false;
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
      // an id: text, or integers, all different (continuous numbers are all different too)
      uniqueInSample:
        sampled >= 2 &&
        distinct[i]?.size === sampled &&
        (!(numeric[i] && seen[i]) || integral[i] === true),
    })),
    sampledRows: sampled,
  };
}

function invalidUtf8Error(file: string, line: number, column: string): InputError {
  return new InputError(
    { file, line, column },
    'not valid UTF-8 (a byte that no UTF-8 text has; save the file as UTF-8)',
  );
}

/**
 * The first line whose `column` holds a value that is neither empty nor a number: where a
 * numeric column turns to text (an "n/a", a "12abc"), for an error that names the line.
 */
export async function firstNonNumberLine(
  file: string,
  column: string,
): Promise<{ line: number; value: string } | undefined> {
  const lines = readline.createInterface({ input: fs.createReadStream(file), crlfDelay: Infinity });
  let index = -1;
  let lineNumber = 0;
  try {
    for await (const line of lines) {
      lineNumber += 1;
      if (line.trim() === '') continue;
      const fields = splitCsvLine(line);
      if (index < 0) {
        index = fields.map((field) => field.trim()).indexOf(column);
        if (index < 0) return undefined;
        continue;
      }
      const value = fields[index] ?? '';
      if (value.trim() === '' || value === '\\N' || isNumberText(value)) continue;
      return { line: lineNumber, value };
    }
    return undefined;
  } finally {
    lines.close();
  }
}

/**
 * The first line that is not valid UTF-8, with the column and byte offset of the bad byte:
 * read as bytes, so nothing is replaced before it is seen.
 */
export async function firstInvalidUtf8Line(
  file: string,
): Promise<{ line: number; column: string; offset: number; byte: number } | undefined> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let header: string[] | undefined;
  let lineNumber = 0;
  let pending = Buffer.alloc(0);
  for await (const chunk of fs.createReadStream(file)) {
    let buffer = Buffer.concat([pending, chunk as Buffer]);
    let newline = buffer.indexOf(10);
    while (newline >= 0) {
      lineNumber += 1;
      const bytes = buffer.subarray(0, newline);
      const found = checkLine(bytes);
      if (lineNumber === 1) header = splitCsvLine(bytes.toString('utf8')).map((f) => f.trim());
      if (found) return { line: lineNumber, ...found };
      buffer = buffer.subarray(newline + 1);
      newline = buffer.indexOf(10);
    }
    pending = buffer;
  }
  if (pending.length > 0) {
    lineNumber += 1;
    const found = checkLine(pending);
    if (found) return { line: lineNumber, ...found };
  }
  return undefined;

  function checkLine(bytes: Buffer): { column: string; offset: number; byte: number } | undefined {
    try {
      decoder.decode(bytes);
      return undefined;
    } catch {
      const offset = firstBadByte(bytes);
      const before = bytes.subarray(0, offset).toString('utf8');
      const field = splitCsvLine(before).length - 1;
      return { column: header?.[field] ?? '', offset, byte: bytes[offset] ?? 0 };
    }
  }
}

/** The offset of the first byte that breaks UTF-8 (a lone continuation or a cut sequence). */
function firstBadByte(bytes: Buffer): number {
  for (let i = 0; i < bytes.length;) {
    const byte = bytes[i] ?? 0;
    const length =
      byte < 0x80
        ? 1
        : byte >= 0xc2 && byte < 0xe0
          ? 2
          : byte >= 0xe0 && byte < 0xf0
            ? 3
            : byte >= 0xf0 && byte < 0xf5
              ? 4
              : 0;
    if (length === 0) return i;
    for (let k = 1; k < length; k += 1) {
      const next = bytes[i + k];
      if (next === undefined || (next & 0xc0) !== 0x80) return i;
    }
    i += length;
  }
  return 0;
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
