import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  canonicalRecord,
  chainHash,
  stableStringify,
  type ExportColumn,
} from '../../src/exports/chain.js';
import { keyId, loadPrivateKey, publicKeyBase64, signText } from '../../src/exports/signing.js';
import type { Manifest } from '../../src/exports/writeExport.js';

/**
 * What a forger with a key of their own does to a JSON-lines export: edits records, then
 * recomputes every hash of the chain after them, every file's SHA-256, size and heads, and
 * signs the manifest anew with their key. Everything agrees again but who signed it.
 */
export function forgeExport(
  from: string,
  to: string,
  edit: (file: string, record: Record<string, unknown>) => Record<string, unknown>,
  forgerPrivateKey: string,
): string {
  fs.cpSync(from, to, { recursive: true });
  const manifestFile = path.join(to, 'manifest.json');
  const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as Manifest;
  delete manifest.signature;
  let head = manifest.chain.genesis;
  for (const entry of manifest.files) {
    const file = path.join(to, entry.name);
    const columns: ExportColumn[] = entry.columns
      .filter((column) => !['seq', 'prev_hash', 'record_hash'].includes(column.name))
      .map((column) => ({
        ...column,
        kind: /Float/.test(column.type) ? 'number' : /Int/.test(column.type) ? 'integer' : 'string',
      }));
    entry.first_prev_hash = head;
    const lines = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);
    const rewritten = lines.map((line) => {
      const record = edit(entry.name, JSON.parse(line) as Record<string, unknown>);
      record.prev_hash = head;
      record.record_hash = chainHash(head, canonicalRecord(columns, record));
      head = String(record.record_hash);
      return JSON.stringify(record);
    });
    const text = rewritten.length > 0 ? `${rewritten.join('\n')}\n` : '';
    fs.writeFileSync(file, text);
    entry.head_hash = head;
    entry.sha256 = createHash('sha256').update(text).digest('hex');
    entry.bytes = Buffer.byteLength(text);
  }
  manifest.chain.head = head;
  const key = loadPrivateKey(forgerPrivateKey);
  const publicKey = publicKeyBase64(key);
  const signed: Manifest = {
    ...manifest,
    signature: {
      algorithm: 'ed25519',
      key_id: keyId(publicKey),
      public_key: publicKey,
      signed_content: 'the manifest without "signature", as JSON with keys sorted at every level',
      value: signText(key, stableStringify(manifest)),
    },
  };
  fs.writeFileSync(manifestFile, `${JSON.stringify(signed, null, 2)}\n`);
  return to;
}
