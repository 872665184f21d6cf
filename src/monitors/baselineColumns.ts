import fs from 'node:fs';
import path from 'node:path';
import { splitCsvLine } from '../baselines/tabularFile.js';

/**
 * The column names of a baseline file, read without a store so `validate` can check a
 * monitor's features against them: a CSV header. Parquet and Arrow files are checked when
 * the baseline is loaded (their schema needs the engine).
 */
export type BaselineColumns = { ok: true; names: string[] | null } | { ok: false; message: string };

export function baselineColumnNames(file: string): BaselineColumns {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    return { ok: false, message: `no such file: ${file}` };
  }
  if (!stat.isFile()) return { ok: false, message: `not a regular file: ${file}` };
  if (path.extname(file).toLowerCase() !== '.csv') return { ok: true, names: null };
  const descriptor = fs.openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(Math.min(stat.size, 1 << 20));
    const read = fs.readSync(descriptor, buffer, 0, buffer.length, 0);
    const text = buffer.subarray(0, read).toString('utf8');
    const header = text.split(/\r?\n/)[0] ?? '';
    if (header.trim() === '') return { ok: false, message: `the file has no header row: ${file}` };
    return { ok: true, names: splitCsvLine(header).map((name) => name.trim()) };
  } finally {
    fs.closeSync(descriptor);
  }
}
