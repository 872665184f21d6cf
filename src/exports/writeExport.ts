import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { DriftwatchError } from '../errors.js';
import type { Store } from '../store/clickhouse.js';
import {
  createExportTable,
  dropExportTable,
  insertExportRows,
  writeExportTableToFile,
  type ExportColumnType,
  type ExportFormat,
  type ExportRow,
} from '../store/exports.js';
import {
  canonicalRecord,
  chainHash,
  genesisHash,
  stableStringify,
  type ExportColumn,
} from './chain.js';
import { EXPORT_SECTIONS, type ExportSection } from './sections.js';
import { keyId, loadPrivateKey, publicKeyBase64, signText } from './signing.js';

export const MANIFEST_FILE = 'manifest.json';
export const EXPORT_FORMAT_VERSION = 'driftwatch-export/1';

export interface ExportRequest {
  from: Date;
  to: Date;
  model?: string;
  format: ExportFormat;
  /** A directory that does not exist yet, or an empty one. */
  outDir: string;
  /** Ed25519 private key (PEM or base64 PKCS#8 DER). */
  signingKey: string;
  softwareVersion: string;
  sections?: readonly ExportSection[];
  /** Records held in memory at once. */
  pageSize?: number;
  now?: Date;
}

export interface ManifestFile {
  name: string;
  section: string;
  description: string;
  format: ExportFormat;
  rows: number;
  sha256: string;
  bytes: number;
  first_prev_hash: string;
  head_hash: string;
  columns: { name: string; type: string; description: string }[];
}

export interface Manifest {
  format: typeof EXPORT_FORMAT_VERSION;
  software: { name: 'driftwatch'; version: string };
  created_at: string;
  period: { from: string; to: string; model: string | null };
  record_format: ExportFormat;
  chain: {
    algorithm: 'sha256';
    canonical_form: string;
    genesis: string;
    head: string;
    records: number;
  };
  files: ManifestFile[];
  signature?: {
    algorithm: 'ed25519';
    key_id: string;
    public_key: string;
    signed_content: string;
    value: string;
  };
}

export const CANONICAL_FORM_TEXT =
  'record_hash = hex(SHA-256(prev_hash + "\\n" + canonical)), canonical = JSON array of [seq, every other column in file order except prev_hash and record_hash], strings as strings, numbers as shortest round-trip decimal, null as null; the first record of the first file starts from the genesis hash, each file continues from the one before';

/** Columns as written: seq first, the section's own, then the chain's two hashes. */
export function fileColumns(section: ExportSection): ExportColumnType[] {
  return [
    { name: 'seq', type: 'Int64' },
    ...section.columns.map((column) => ({ name: column.name, type: column.type })),
    { name: 'prev_hash', type: 'String' },
    { name: 'record_hash', type: 'String' },
  ];
}

/**
 * Writes one export: per section a file written by ClickHouse, every record chained to the
 * one before, then the manifest (files, SHA-256, rows, period, software version) whose
 * content, head hash included, is signed with Ed25519. Node holds one page of records at
 * a time; the engine writes the files.
 */
export async function writeExport(store: Store, request: ExportRequest): Promise<Manifest> {
  if (!(request.from < request.to)) {
    throw new DriftwatchError('DW_INPUT', '--from must be before --to');
  }
  const key = loadPrivateKey(request.signingKey);
  prepareEmptyDirectory(request.outDir);
  const sections = request.sections ?? EXPORT_SECTIONS;
  const pageSize = request.pageSize ?? 10_000;
  const period = {
    from: request.from.toISOString(),
    to: request.to.toISOString(),
    model: request.model ?? null,
  };
  const genesis = genesisHash(period);
  let head = genesis;
  let records = 0;
  const files: ManifestFile[] = [];
  for (const section of sections) {
    const name = `${section.name}.${request.format}`;
    const file = path.resolve(request.outDir, name);
    const table = `export_${section.name}_${Date.now()}_${randomBytes(4).toString('hex')}`;
    const columns = fileColumns(section);
    const firstPrev = head;
    let rows = 0;
    await createExportTable(store, table, columns);
    try {
      for await (const page of section.readPages(store, request, pageSize)) {
        const chained: ExportRow[] = [];
        for (const row of page) {
          rows += 1;
          const record = normaliseRow(section.columns, row, rows);
          const recordHash = chainHash(head, canonicalRecord(section.columns, record));
          chained.push({ ...record, prev_hash: head, record_hash: recordHash });
          head = recordHash;
        }
        await insertExportRows(store, table, chained);
      }
      await writeExportTableToFile(store, table, columns, request.format, file);
    } finally {
      await dropExportTable(store, table);
    }
    records += rows;
    const digest = await sha256File(file);
    files.push({
      name,
      section: section.name,
      description: section.description,
      format: request.format,
      rows,
      sha256: digest.sha256,
      bytes: digest.bytes,
      first_prev_hash: firstPrev,
      head_hash: head,
      columns: [
        { name: 'seq', type: 'Int64', description: 'position of the record in its file, from 1' },
        ...section.columns.map(({ name: column, type, description }) => ({
          name: column,
          type,
          description,
        })),
        { name: 'prev_hash', type: 'String', description: 'record_hash of the record before' },
        { name: 'record_hash', type: 'String', description: 'SHA-256 chaining this record' },
      ],
    });
  }
  const manifest: Manifest = {
    format: EXPORT_FORMAT_VERSION,
    software: { name: 'driftwatch', version: request.softwareVersion },
    created_at: (request.now ?? new Date()).toISOString(),
    period,
    record_format: request.format,
    chain: { algorithm: 'sha256', canonical_form: CANONICAL_FORM_TEXT, genesis, head, records },
    files,
  };
  const publicKey = publicKeyBase64(key);
  const signedContent = stableStringify(manifest);
  manifest.signature = {
    algorithm: 'ed25519',
    key_id: keyId(publicKey),
    public_key: publicKey,
    signed_content: 'the manifest without "signature", as JSON with keys sorted at every level',
    value: signText(key, signedContent),
  };
  fs.writeFileSync(
    path.join(request.outDir, MANIFEST_FILE),
    `${JSON.stringify(manifest, null, 2)}\n`,
  );
  return manifest;
}

function normaliseRow(columns: readonly ExportColumn[], row: ExportRow, seq: number): ExportRow {
  const record: ExportRow = { seq };
  for (const column of columns) {
    const value = row[column.name];
    record[column.name] =
      value === null || value === undefined
        ? column.kind === 'string'
          ? ''
          : null
        : column.kind === 'string'
          ? String(value)
          : Number(value);
  }
  return record;
}

/** An export never overwrites: `dir` is new (made here) or empty. */
export function prepareEmptyDirectory(dir: string): void {
  if (fs.existsSync(dir)) {
    if (!fs.statSync(dir).isDirectory() || fs.readdirSync(dir).length > 0) {
      throw new DriftwatchError(
        'DW_INPUT',
        `--out ${dir}: not an empty directory (an export never overwrites)`,
      );
    }
    return;
  }
  fs.mkdirSync(dir, { recursive: true });
}

export async function sha256File(file: string): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  await pipeline(fs.createReadStream(file), async function* (source) {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      hash.update(chunk);
      bytes += chunk.length;
    }
    yield* [];
  });
  return { sha256: hash.digest('hex'), bytes };
}
