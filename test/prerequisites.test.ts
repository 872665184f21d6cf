import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './helpers/cli.js';
import { tempDir } from './helpers/store.js';

const SCRIPT = path.join(REPO_ROOT, 'test/prerequisites.mjs');

/** A PATH holding node and sh only: no compiler, no pkg-config, no chromium, no promtool, no apt-get. */
function barePath(): string {
  const bin = tempDir('driftwatch-bare-path-');
  fs.symlinkSync(process.execPath, path.join(bin, 'node'));
  fs.symlinkSync('/bin/sh', path.join(bin, 'sh'));
  return bin;
}

describe('npm test prerequisites (the pretest step)', () => {
  it('passes silently on a machine that has everything', () => {
    const result = spawnSync(process.execPath, [SCRIPT], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('fails with one line naming the exact command when it cannot install', () => {
    const result = spawnSync(process.execPath, [SCRIPT], {
      encoding: 'utf8',
      env: { PATH: barePath() },
    });
    expect(result.status).toBe(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^npm test needs gcc, pkg-config, .*chromium, prometheus, prometheus-alertmanager: run `sudo apt-get update && sudo apt-get install -y --no-install-recommends gcc pkg-config .*chromium prometheus prometheus-alertmanager`/,
    );
  });
});
