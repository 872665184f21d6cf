import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { forgeExport } from '../helpers/forgeExport.js';
import { tempDir } from '../helpers/store.js';

describe('token and export commands, as a user runs them', () => {
  const root = tempDir('driftwatch-api-cli-');
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it('token create prints a token once and the hashed line that grants it', async () => {
    const result = await runCli(['token', 'create', '--role', 'operator', '--name', 'oncall']);
    expect(result.status).toBe(0);
    const token = /^\s+(dw_\S+)$/m.exec(result.stdout)?.[1] ?? '';
    const line = /^\s+(operator:[0-9a-f]{64}:oncall)$/m.exec(result.stdout)?.[1] ?? '';
    expect(token).toMatch(/^dw_/);
    expect(line.split(':')[1]).toBe(createHash('sha256').update(token).digest('hex'));
    const bad = await runCli(['token', 'create', '--role', 'root']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/"root" is not one of ingest, metrics, read, operator, admin/);
  });

  it('serve refuses to listen beyond loopback without tokens', async () => {
    const result = await runCli(['serve'], {
      DRIFTWATCH_HOST: '0.0.0.0',
      DRIFTWATCH_DATA_DIR: path.join(root, 'serve-data'),
      DRIFTWATCH_TOKENS: '',
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/DRIFTWATCH_HOST=0\.0\.0\.0 without API tokens/);
  });

  it('export writes a signed export and export verify checks it, and fails a tampered one', async () => {
    const keys = await runCli(['export', 'keygen']);
    const privateKey = /DRIFTWATCH_EXPORT_SIGNING_KEY=(\S+)/.exec(keys.stdout)?.[1] ?? '';
    const publicKey = /DRIFTWATCH_EXPORT_PUBLIC_KEY=(\S+)/.exec(keys.stdout)?.[1] ?? '';
    const out = path.join(root, 'export');
    const env = {
      DRIFTWATCH_DATA_DIR: path.join(root, 'data'),
      DRIFTWATCH_EXPORT_SIGNING_KEY: privateKey,
    };
    const written = await runCli(
      [
        'export',
        '--from',
        '2026-11-01T00:00:00Z',
        '--to',
        '2026-12-01T00:00:00Z',
        '--format',
        'csv',
        '--out',
        out,
      ],
      env,
    );
    expect(written.stderr).toBe('');
    expect(written.status).toBe(0);
    expect(written.stdout).toMatch(/drift_history\.csv\s+0 records/);
    const verified = await runCli(['export', 'verify', out, '--public-key', publicKey]);
    expect(verified.stdout).toMatch(/^OK\s+0 records, chain intact, signature valid$/m);
    expect(verified.status).toBe(0);
    const manifest = path.join(out, 'manifest.json');
    fs.writeFileSync(
      manifest,
      fs
        .readFileSync(manifest, 'utf8')
        .replace('"record_format": "csv"', '"record_format": "jsonl"'),
    );
    const tampered = await runCli(['export', 'verify', out, '--public-key', publicKey]);
    expect(tampered.status).toBe(1);
    expect(tampered.stdout).toMatch(
      /BAD\s+manifest\.json: the signature does not match its content/,
    );
    const unsigned = await runCli(
      [
        'export',
        '--from',
        '2026-11-01T00:00:00Z',
        '--to',
        '2026-12-01T00:00:00Z',
        '--out',
        path.join(root, 'x'),
      ],
      { DRIFTWATCH_DATA_DIR: path.join(root, 'data') },
    );
    expect(unsigned.status).toBe(2);
    expect(unsigned.stderr).toMatch(/DRIFTWATCH_EXPORT_SIGNING_KEY/);
  });
  it('export verify proves who signed an export only with a key or fingerprint it was given', async () => {
    const keys = await runCli(['export', 'keygen']);
    const privateKey = /DRIFTWATCH_EXPORT_SIGNING_KEY=(\S+)/.exec(keys.stdout)?.[1] ?? '';
    const publicKey = /DRIFTWATCH_EXPORT_PUBLIC_KEY=(\S+)/.exec(keys.stdout)?.[1] ?? '';
    const env = {
      DRIFTWATCH_DATA_DIR: path.join(root, 'data-origin'),
      DRIFTWATCH_EXPORT_SIGNING_KEY: privateKey,
    };
    // A copy re-signed with another key: intact, but only a trusted key says by whom.
    const forger = await runCli(['export', 'keygen']);
    const forgerKey = /DRIFTWATCH_EXPORT_SIGNING_KEY=(\S+)/.exec(forger.stdout)?.[1] ?? '';
    const lines = path.join(root, 'export-jsonl');
    const period = ['--from', '2026-11-01T00:00:00Z', '--to', '2026-12-01T00:00:00Z'];
    expect((await runCli(['export', ...period, '--out', lines], env)).status).toBe(0);
    const forged = forgeExport(
      lines,
      path.join(root, 'forged'),
      (_file, record) => record,
      forgerKey,
    );
    const untrusted = await runCli(['export', 'verify', forged], {
      DRIFTWATCH_EXPORT_PUBLIC_KEY: '',
    });
    expect(untrusted.stdout).toMatch(
      /^UNPROVEN {2}0 records, chain intact, signature valid for the key the export carries \(sha256:[0-9a-f]{64}\); who signed it is not proven/m,
    );
    expect(untrusted.stdout).not.toMatch(/^OK/m);
    expect(untrusted.status).toBe(3);
    const json = await runCli(['export', 'verify', forged, '--json'], {
      DRIFTWATCH_EXPORT_PUBLIC_KEY: '',
    });
    expect(JSON.parse(json.stdout)).toMatchObject({
      ok: false,
      integrity: 'intact',
      origin: 'unproven',
      trustedKey: false,
    });
    expect(json.status).toBe(3);
    const refuted = await runCli(['export', 'verify', forged], {
      DRIFTWATCH_EXPORT_PUBLIC_KEY: publicKey,
    });
    expect(refuted.stdout).toMatch(/^BAD {2}manifest\.json: not signed by the given public key$/m);
    expect(refuted.status).toBe(1);
    const fingerprint = /DRIFTWATCH_EXPORT_KEY_FINGERPRINT=(sha256:[0-9a-f]{64})/.exec(
      keys.stdout,
    )?.[1];
    expect(fingerprint).toBeDefined();
    const pinned = { DRIFTWATCH_EXPORT_KEY_FINGERPRINT: fingerprint ?? '' };
    expect((await runCli(['export', 'verify', lines], pinned)).status).toBe(0);
    const pinnedForged = await runCli(['export', 'verify', forged], pinned);
    expect(pinnedForged.stdout).toMatch(
      /^BAD {2}manifest\.json: signed by key sha256:[0-9a-f]{64}, not the pinned sha256:/m,
    );
    expect(pinnedForged.status).toBe(1);
  }, 240_000);
});
