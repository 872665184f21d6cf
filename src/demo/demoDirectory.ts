import fs from 'node:fs';
import path from 'node:path';
import { InputError } from '../errors.js';
import { StoreLockedError, findStoreHolder } from '../store/storeHolder.js';

/** Written into a data directory the demo creates: the only kind it ever empties. */
export const DEMO_MARKER = '.driftwatch-demo';

/**
 * Makes the demo's data directory ready. The demo starts afresh by emptying the directory,
 * so it empties only one it created itself (it carries the marker), never one in use by
 * another process, and never one with someone else's data: that is refused with what to do.
 */
export function prepareDemoDirectory(
  dataDir: string,
  options: { keep: boolean },
): { reset: boolean } {
  const holder = findStoreHolder(dataDir);
  if (holder) throw new StoreLockedError(dataDir, holder);
  const entries = fs.existsSync(dataDir) ? fs.readdirSync(dataDir) : [];
  if (entries.length > 0 && !entries.includes(DEMO_MARKER)) {
    throw new InputError(
      { file: dataDir },
      `this directory holds data the demo did not create (no ${DEMO_MARKER} marker), and the demo ` +
        'never touches it: unset DRIFTWATCH_DATA_DIR (the demo then uses .driftwatch/demo/data) ' +
        'or point it at a new or empty directory',
    );
  }
  const reset = entries.length > 0 && !options.keep;
  if (reset) fs.rmSync(dataDir, { recursive: true, force: true });
  fs.mkdirSync(dataDir, { recursive: true });
  if (!fs.existsSync(path.join(dataDir, DEMO_MARKER))) {
    fs.writeFileSync(
      path.join(dataDir, DEMO_MARKER),
      `created by driftwatch demo at ${new Date().toISOString()}; the demo may empty this directory\n`,
    );
  }
  return { reset };
}
