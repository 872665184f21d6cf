import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './helpers/cli.js';

/**
 * `npm install` on a clean clone leaves package-lock.json as it is and warns of no install
 * script: the lock holds every platform build npm would otherwise add (rollup's, esbuild's),
 * and package.json's allowScripts decides every dependency's install script.
 */
interface LockEntry {
  version?: string;
  optionalDependencies?: Record<string, string>;
  hasInstallScript?: boolean;
}

const lock = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, LockEntry>;
};
const manifest = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
  allowScripts?: Record<string, boolean>;
};

/**
 * Platform builds the registry this project installs from does not have (404), so npm
 * cannot record them and skips them without changing the lock (docs/DEVELOPMENT.md, "Installing").
 */
const UNPUBLISHED = new Set([
  '@chdb/lib-darwin-arm64',
  '@chdb/lib-darwin-x64',
  '@chdb/lib-linux-arm64-gnu',
]);

/** Where npm resolves `name` from the package at `location`: its own node_modules, then up. */
function resolves(location: string, name: string): boolean {
  let dir = location;
  for (;;) {
    if (lock.packages[`${dir ? `${dir}/` : ''}node_modules/${name}`]) return true;
    if (dir === '') return false;
    const parent = dir.lastIndexOf('/node_modules/');
    dir = parent < 0 ? '' : dir.slice(0, parent);
  }
}

describe('package-lock.json and allowScripts', () => {
  it('holds every optional (platform) dependency npm can fetch', () => {
    const missing: string[] = [];
    for (const [location, entry] of Object.entries(lock.packages)) {
      for (const name of Object.keys(entry.optionalDependencies ?? {})) {
        if (!UNPUBLISHED.has(name) && !resolves(location, name)) {
          missing.push(`${name} (for ${location || 'the root'})`);
        }
      }
    }
    expect(missing).toEqual([]);
  });

  it('decides every install script, so npm 11 warns of none', () => {
    const allowed = manifest.allowScripts ?? {};
    const undecided = Object.entries(lock.packages)
      .filter(([, entry]) => entry.hasInstallScript)
      .map(([location, entry]) => ({
        name: location.slice(location.lastIndexOf('node_modules/') + 'node_modules/'.length),
        version: entry.version ?? '',
      }))
      .filter(({ name, version }) => !(name in allowed) && !(`${name}@${version}` in allowed));
    expect(undecided).toEqual([]);
  });
});
