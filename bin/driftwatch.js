#!/usr/bin/env node
// Runs the compiled CLI (dist/, built by `npm run build`, which `npm install` runs as its
// `prepare` step). In a checkout whose TypeScript sources are newer than that build, it runs
// the sources through tsx instead (slower to start), so an edit never runs stale code.
import fs from 'node:fs';

const root = new URL('../', import.meta.url);
const buildStamp = new URL('dist/.build-stamp', root);

function newestSourceTime(dir) {
  let newest = 0;
  let entries;
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0; // no sources shipped (a production image): the build is all there is
  }
  for (const entry of entries) {
    const child = new URL(entry.name + (entry.isDirectory() ? '/' : ''), dir);
    newest = Math.max(
      newest,
      entry.isDirectory() ? newestSourceTime(child) : fs.statSync(child).mtimeMs,
    );
  }
  return newest;
}

function builtTime() {
  try {
    return fs.statSync(buildStamp).mtimeMs;
  } catch {
    return -1;
  }
}

if (builtTime() >= newestSourceTime(new URL('src/', root))) {
  await import(new URL('dist/cli/main.js', root).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('src/cli/main.ts', root).href);
}
