import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** driftwatch's own version (package.json), recorded in every export manifest. */
export function softwareVersion(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!fs.existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) {
    dir = path.dirname(dir);
  }
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
    version?: string;
  };
  return manifest.version ?? '0.0.0';
}
