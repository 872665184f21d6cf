import fs from 'node:fs';
import path from 'node:path';
import semver from 'semver';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './helpers/cli.js';

/**
 * The Node versions package.json declares must be ones every locked dependency accepts
 * (fastify's light-my-request once pulled cookie@2, which wants Node 22, while we declared
 * Node 20): `npm install` then warns, and the dependency may use what Node 20 lacks.
 */
interface LockedPackage {
  version?: string;
  engines?: { node?: string } | string[];
}

const read = <T>(file: string): T =>
  JSON.parse(fs.readFileSync(path.join(REPO_ROOT, file), 'utf8')) as T;

describe('declared Node engines', () => {
  const declared = read<{ engines: { node: string } }>('package.json').engines.node;
  const locked = read<{ packages: Record<string, LockedPackage> }>('package-lock.json').packages;

  it('are accepted by every locked dependency', () => {
    const refusing = Object.entries(locked)
      .filter(([name]) => name !== '')
      .flatMap(([name, entry]) => {
        const wanted = Array.isArray(entry.engines) ? undefined : entry.engines?.node;
        return wanted && !semver.subset(declared, wanted, { includePrerelease: false })
          ? [`${name.replace(/^.*node_modules\//, '')}@${entry.version}: node ${wanted}`]
          : [];
      });
    expect(refusing).toEqual([]);
  });

  it('include the Node this suite runs on', () => {
    expect(semver.satisfies(process.version, declared)).toBe(true);
  });
});
