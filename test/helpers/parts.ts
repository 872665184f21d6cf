import fs from 'node:fs';
import path from 'node:path';

/**
 * Calls `onPart` once, as soon as an insert commits a new part to a table of an embedded
 * store (a part directory renamed from `tmp_insert_*`; one block: a merge's part covers
 * several, min < max). For killing a process at a chosen moment of an insert: right after
 * `events` has its part, while the insert's materialized views are still writing theirs.
 * Returns a function that stops watching.
 */
export function watchParts(dataDir: string, table: string, onPart: () => void): () => void {
  const dir = fs.realpathSync(path.join(dataDir, 'data', 'default', table));
  const committed = () =>
    new Set(
      fs.readdirSync(dir).filter((name) => {
        const [, min, max] = /^(?:\d+|all)_(\d+)_(\d+)_\d+$/.exec(name) ?? [];
        return min !== undefined && min === max;
      }),
    );
  const before = committed();
  let fired = false;
  const look = () => {
    if (fired) return;
    for (const name of committed()) {
      if (before.has(name)) continue;
      fired = true;
      onPart();
      return;
    }
  };
  const watcher = fs.watch(dir, look);
  const poll = setInterval(look, 2);
  return () => {
    watcher.close();
    clearInterval(poll);
  };
}
