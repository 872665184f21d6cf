import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../test/helpers/store.js';
import { DEMO_MARKER, prepareDemoDirectory } from './demoDirectory.js';

describe("the demo's data directory", () => {
  it('creates a missing directory with its marker', () => {
    const dir = path.join(tempDir('driftwatch-demo-dir-'), 'data');
    expect(prepareDemoDirectory(dir, { keep: false })).toEqual({ reset: false });
    expect(fs.readdirSync(dir)).toEqual([DEMO_MARKER]);
  });

  it('empties a directory it created, and keeps it with --keep', () => {
    const dir = tempDir('driftwatch-demo-dir-');
    prepareDemoDirectory(dir, { keep: false });
    fs.writeFileSync(path.join(dir, 'events'), 'old demo data');
    expect(prepareDemoDirectory(dir, { keep: true })).toEqual({ reset: false });
    expect(fs.existsSync(path.join(dir, 'events'))).toBe(true);
    expect(prepareDemoDirectory(dir, { keep: false })).toEqual({ reset: true });
    expect(fs.readdirSync(dir)).toEqual([DEMO_MARKER]);
  });

  it('refuses a directory with data it did not create, and leaves it untouched', () => {
    const dir = tempDir('driftwatch-demo-dir-');
    fs.writeFileSync(path.join(dir, 'precious'), 'a live store');
    for (const keep of [false, true]) {
      expect(() => prepareDemoDirectory(dir, { keep })).toThrow(
        `${dir}: this directory holds data the demo did not create (no ${DEMO_MARKER} marker), and the demo never touches it`,
      );
    }
    expect(fs.readdirSync(dir)).toEqual(['precious']);
  });

  it('accepts an empty directory', () => {
    const dir = tempDir('driftwatch-demo-dir-');
    expect(prepareDemoDirectory(dir, { keep: false })).toEqual({ reset: false });
    expect(fs.readdirSync(dir)).toEqual([DEMO_MARKER]);
  });
});
