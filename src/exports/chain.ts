import { createHash } from 'node:crypto';

/**
 * The hash chain that makes an export tamper-evident. Each record carries `prev_hash`
 * (the previous record's hash) and `record_hash` = SHA-256 of prev_hash followed by the
 * record's canonical form. One chain runs through every file of an export, in the
 * manifest's order, from a genesis hash derived from the period; its last hash (the head)
 * is what the manifest's signature covers. Pure: no I/O.
 */
export type ValueKind = 'string' | 'number' | 'integer';

export interface ExportColumn {
  name: string;
  /** ClickHouse type of the column in the written file. */
  type: string;
  kind: ValueKind;
  description: string;
}

export const CHAIN_COLUMNS = ['seq', 'prev_hash', 'record_hash'] as const;

/**
 * The canonical form: a JSON array of the record's values in column order (seq first,
 * prev_hash and record_hash left out), strings as strings, numbers as JavaScript prints
 * the double, null as null. The same whatever file format carried the record.
 */
export function canonicalRecord(
  columns: readonly ExportColumn[],
  record: Readonly<Record<string, unknown>>,
): string {
  const values = [
    Number(record.seq),
    ...columns.map((column) => normalise(column, record[column.name])),
  ];
  return JSON.stringify(values);
}

function normalise(column: ExportColumn, value: unknown): string | number | null {
  if (value === null || value === undefined) return null;
  switch (column.kind) {
    case 'string':
      return String(value);
    case 'number':
    case 'integer':
      return Number(value);
  }
}

export function chainHash(prevHash: string, canonical: string): string {
  return createHash('sha256')
    .update(prevHash, 'utf8')
    .update('\n')
    .update(canonical, 'utf8')
    .digest('hex');
}

export function genesisHash(period: { from: string; to: string; model: string | null }): string {
  return createHash('sha256')
    .update(`driftwatch-export/1|${period.from}|${period.to}|${period.model ?? '*'}`)
    .digest('hex');
}

/** JSON with object keys sorted at every level: the bytes a signature covers. */
export function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
