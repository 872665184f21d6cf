import { createHash, type KeyObject } from 'node:crypto';
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
  /** Intact, and signed by the key the verifier trusts. */
  ok: boolean;
  /** The manifest's signature, checked against the trusted key, else the one it carries. */
  signature: 'valid' | 'invalid' | 'missing';
  /** Every record, file and the signed manifest agree: nothing changed since signing. */
  integrity: 'intact' | 'broken';
  /**
   * Who signed it: `proven` by a key (or a pinned fingerprint) the verifier gave; `unproven`
   * when none was given (anyone can re-sign an edited copy with a key of their own);
   * `refuted` when the export was signed by another key.
   */
  origin: 'proven' | 'unproven' | 'refuted';
  /** True when a key or fingerprint was given by the verifier, not taken from the manifest. */
  trustedKey: boolean;
  /** sha256:<hex> of the public key the manifest names, to compare or to pin. */
  keyFingerprint: string | null;
  records: number;
  firstBadRecord: BadRecord | null;
  problems: string[];
}

/** What the verifier trusts: a public key, or the SHA-256 fingerprint of one (pinned). */
export interface TrustedSigner {
  publicKey?: string;
  /** `sha256:<64 hex>` (or the 64 hex digits alone) of the key's SPKI DER. */
  fingerprint?: string;
}

/**
 * Checks an export: the manifest's signature (against the trusted key; without one, against
 * the key it carries, which proves integrity but never origin), then every record of every file in
 * chain order — its position, its link to the record before, its hash over its content —
 * and each file's row count and SHA-256. Names the first record where the chain breaks.
 * CSV and Parquet files are read back through ClickHouse (`store`), JSON lines directly.
 */
export async function verifyExport(
  dir: string,
  options: TrustedSigner & { store?: Store } = {},
): Promise<VerifyReport> {
  const manifest = readManifest(dir);
  const problems: string[] = [];
  const { signature, trustedKey, origin } = checkSignature(manifest, options, problems);
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
  const integrity = ordered.length === 0 && signature === 'valid' ? 'intact' : 'broken';
  return {
    ok: integrity === 'intact' && origin === 'proven',
    signature,
    integrity,
    origin,
    trustedKey,
    keyFingerprint: manifest.signature ? fingerprintOfKeyText(manifest.signature.public_key) : null,
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
  trusted: TrustedSigner,
  problems: string[],
): {
  signature: VerifyReport['signature'];
  trustedKey: boolean;
  origin: VerifyReport['origin'];
} {
  const trustedKey = trusted.publicKey !== undefined || trusted.fingerprint !== undefined;
  if (!manifest.signature) {
    problems.push('manifest.json: not signed');
    return { signature: 'missing', trustedKey, origin: trustedKey ? 'refuted' : 'unproven' };
  }
  const { signature, ...unsigned } = manifest;
  const carried = loadPublicKey(signature.public_key, 'manifest.json public_key');
  const given = trusted.publicKey ? loadPublicKey(trusted.publicKey, '--public-key') : undefined;
  const pinned =
    trusted.fingerprint === undefined ? undefined : parseFingerprint(trusted.fingerprint);
  const signer = given ?? carried;
  const valid = verifyText(signer, stableStringify(unsigned), signature.value);
  const otherKey = given !== undefined && !valid && !given.equals(carried);
  if (otherKey) problems.push('manifest.json: not signed by the given public key');
  else if (!valid)
    problems.push(
      'manifest.json: the signature does not match its content (the manifest was changed)',
    );
  const mismatch = pinned !== undefined && pinned !== fingerprintOf(signer);
  if (mismatch)
    problems.push(
      `manifest.json: signed by key ${fingerprintOf(signer)}, not the pinned ${pinned}`,
    );
  // A valid signature proves origin only under a key the verifier brought.
  const origin: VerifyReport['origin'] =
    otherKey || mismatch ? 'refuted' : valid && trustedKey ? 'proven' : 'unproven';
  return { signature: valid ? 'valid' : 'invalid', trustedKey, origin };
}

/** `sha256:<hex>` of an Ed25519 public key's SPKI DER. */
export function fingerprintOf(key: KeyObject): string {
  const der = key.export({ format: 'der', type: 'spki' });
  return `sha256:${createHash('sha256').update(der).digest('hex')}`;
}

function fingerprintOfKeyText(text: string): string | null {
  try {
    return fingerprintOf(loadPublicKey(text, 'manifest.json public_key'));
  } catch {
    return null;
  }
}

function parseFingerprint(text: string): string {
  const hex = text
    .trim()
    .toLowerCase()
    .replace(/^sha256:/, '');
  if (!/^[0-9a-f]{64}$/.test(hex)) {
    throw new DriftwatchError(
      'DW_INPUT',
      `--key-fingerprint: expected sha256: and 64 hex digits (export keygen prints it), got "${text}"`,
    );
  }
  return `sha256:${hex}`;
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
