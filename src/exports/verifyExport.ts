import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { DriftwatchError } from '../errors.js';
import type { Store } from '../store/clickhouse.js';
import { convertExportFileToJsonLines } from '../store/exports.js';
import { canonicalRecord, chainHash, stableStringify, type ExportColumn } from './chain.js';
import { loadPublicKey, verifyText } from './signing.js';
import { MANIFEST_FILE, sha256File, type Manifest } from './writeExport.js';

export interface BadRecord {
  file: string;
  /** Position in the file, from 1: where the first break was found. */
  record: number;
  reason: string;
}

export interface VerifyReport {
  ok: boolean;
  signature: 'valid' | 'invalid' | 'missing';
  /** True when checked against a key given by the verifier, not the manifest's own. */
  trustedKey: boolean;
  records: number;
  firstBadRecord: BadRecord | null;
  problems: string[];
}

/**
 * Checks an export: the manifest's signature (against the given public key, else the one
 * it carries, which proves integrity but not origin), then every record of every file in
 * chain order — its position, its link to the record before, its hash over its content —
 * and each file's row count and SHA-256. Names the first record where the chain breaks.
 * CSV and Parquet files are read back through ClickHouse (`store`), JSON lines directly.
 */
export async function verifyExport(
  dir: string,
  options: { publicKey?: string; store?: Store } = {},
): Promise<VerifyReport> {
  const manifest = readManifest(dir);
  const problems: string[] = [];
  const { signature, trustedKey } = checkSignature(manifest, options.publicKey, problems);
  let head = manifest.chain.genesis;
  let records = 0;
  let firstBadRecord: BadRecord | null = null;
  for (const entry of manifest.files) {
    const file = path.join(dir, entry.name);
    if (!fs.existsSync(file)) {
      problems.push(`${entry.name}: missing`);
      firstBadRecord ??= { file: entry.name, record: 1, reason: 'the file is missing' };
      continue;
    }
    if (entry.first_prev_hash !== head) {
      problems.push(`${entry.name}: does not continue the chain of the file before it`);
    }
    const columns: ExportColumn[] = entry.columns
      .filter((c) => !['seq', 'prev_hash', 'record_hash'].includes(c.name))
      .map((c) => ({ ...c, kind: kindOfType(c.type) }));
    let position = 0;
    let broken = firstBadRecord !== null;
    for await (const record of readRecords(file, entry.format, entry.columns, options.store)) {
      position += 1;
      if (broken) continue;
      const reason = checkRecord(record, position, head, columns);
      if (reason) {
        firstBadRecord = { file: entry.name, record: position, reason };
        problems.push(`${entry.name} record ${position}: ${reason}`);
        broken = true;
        continue;
      }
      head = String(record.record_hash);
    }
    records += position;
    if (position !== entry.rows) {
      problems.push(`${entry.name}: ${position} records, the manifest says ${entry.rows}`);
    }
    if (!broken && head !== entry.head_hash) {
      problems.push(`${entry.name}: ends at hash ${head}, the manifest says ${entry.head_hash}`);
    }
    const digest = await sha256File(file);
    if (digest.sha256 !== entry.sha256) {
      problems.push(
        `${entry.name}: SHA-256 ${digest.sha256} differs from the manifest's ${entry.sha256}`,
      );
    }
  }
  if (firstBadRecord === null && head !== manifest.chain.head) {
    problems.push(`the chain ends at ${head}, the manifest's head is ${manifest.chain.head}`);
  }
  const listed = new Set([MANIFEST_FILE, ...manifest.files.map((entry) => entry.name)]);
  for (const name of fs.readdirSync(dir)) {
    if (!listed.has(name)) problems.push(`${name}: not listed in the manifest`);
  }
  // The record that breaks the chain is the finding people need first.
  const ordered = firstBadRecord
    ? [
        `${firstBadRecord.file} record ${firstBadRecord.record}: ${firstBadRecord.reason}`,
        ...problems.filter(
          (p) =>
            p !==
            `${firstBadRecord?.file} record ${firstBadRecord?.record}: ${firstBadRecord?.reason}`,
        ),
      ]
    : problems;
  return {
    ok: ordered.length === 0 && signature === 'valid',
    signature,
    trustedKey,
    records,
    firstBadRecord,
    problems: ordered,
  };
}

function checkRecord(
  record: Record<string, unknown>,
  position: number,
  expectedPrev: string,
  columns: readonly ExportColumn[],
): string | undefined {
  const seq = Number(record.seq);
  if (seq !== position) {
    return seq > position
      ? `expected record ${position}, found record ${seq}: record ${position} was deleted or moved`
      : `expected record ${position}, found record ${seq} again or out of order: inserted or moved`;
  }
  if (record.prev_hash !== expectedPrev) {
    return 'prev_hash does not match the record before it: a record was removed, inserted or reordered before this one';
  }
  if (
    chainHash(String(record.prev_hash), canonicalRecord(columns, record)) !== record.record_hash
  ) {
    return 'its content does not match its record_hash: the record was edited';
  }
  return undefined;
}

function kindOfType(type: string): ExportColumn['kind'] {
  if (/Float/.test(type)) return 'number';
  if (/Int/.test(type)) return 'integer';
  return 'string';
}

function readManifest(dir: string): Manifest {
  const file = path.join(dir, MANIFEST_FILE);
  if (!fs.existsSync(file)) {
    throw new DriftwatchError('DW_INPUT', `${file}: no manifest: not an export directory`);
  }
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as Manifest;
  } catch (error) {
    throw new DriftwatchError('DW_INPUT', `${file}: not valid JSON`, { cause: error });
  }
}

function checkSignature(
  manifest: Manifest,
  publicKey: string | undefined,
  problems: string[],
): { signature: VerifyReport['signature']; trustedKey: boolean } {
  if (!manifest.signature) {
    problems.push('manifest.json: not signed');
    return { signature: 'missing', trustedKey: false };
  }
  const { signature, ...unsigned } = manifest;
  const key = loadPublicKey(
    publicKey ?? signature.public_key,
    publicKey ? '--public-key' : 'manifest.json public_key',
  );
  const valid = verifyText(key, stableStringify(unsigned), signature.value);
  if (!valid) {
    problems.push(
      publicKey &&
        loadPublicKey(signature.public_key, 'manifest.json public_key').equals(key) === false
        ? 'manifest.json: not signed by the given public key'
        : 'manifest.json: the signature does not match its content (the manifest was changed)',
    );
  }
  return { signature: valid ? 'valid' : 'invalid', trustedKey: publicKey !== undefined };
}

async function* readRecords(
  file: string,
  format: Manifest['record_format'],
  columns: readonly { name: string; type: string }[],
  store: Store | undefined,
): AsyncGenerator<Record<string, unknown>> {
  let jsonFile = file;
  let scratch: string | undefined;
  if (format !== 'jsonl') {
    if (!store)
      throw new DriftwatchError('DW_INTERNAL', `reading ${format} needs the embedded engine`);
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'driftwatch-verify-'));
    jsonFile = path.join(scratch, 'records.jsonl');
    await convertExportFileToJsonLines(store, file, format, columns, jsonFile);
  }
  try {
    const lines = readline.createInterface({
      input: fs.createReadStream(jsonFile),
      crlfDelay: Infinity,
    });
    let line = 0;
    for await (const text of lines) {
      line += 1;
      if (text.trim() === '') continue;
      try {
        yield JSON.parse(text) as Record<string, unknown>;
      } catch {
        yield { seq: Number.NaN, unreadable: `line ${line} is not JSON` };
      }
    }
  } finally {
    if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
  }
}
