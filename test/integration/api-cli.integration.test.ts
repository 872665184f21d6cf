import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
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
});
