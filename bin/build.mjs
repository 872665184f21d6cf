// `npm run build` (and `prepare`, so `npm install` builds): compiles src/ to dist/ with tsc,
// copies the SQL migrations beside the compiled store, and stamps the build last, so
// bin/driftwatch.js runs dist/ only when a whole build is newer than every source file.
// `node bin/build.mjs OUT_DIR` builds elsewhere (the test of the compiled layout does).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.resolve(process.argv[2] ?? path.join(root, 'dist'));
// An installed package ships dist/ and no sources; npm may still run `prepare` there (a
// tarball install allowed to run its scripts): nothing to build, and dist/ must stay.
if (
  !fs.existsSync(path.join(root, 'src')) ||
  !fs.existsSync(path.join(root, 'tsconfig.build.json'))
) {
  process.exit(0);
}
fs.rmSync(dist, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', dist], {
  cwd: root,
  stdio: 'inherit',
});
fs.cpSync(path.join(root, 'src/store/migrations'), path.join(dist, 'store/migrations'), {
  recursive: true,
});
// The monitor file's validator, compiled now rather than by every command that reads a
// monitor file (~0.3 s of CPU each; src/monitors/monitorSchema.ts loads it when its schema
// hash matches). From the sources through tsx (a dev dependency, as typescript is): dist/
// may be built where the dependencies do not resolve.
const { register } = await import('tsx/esm/api');
const unregister = register();
const monitorSchema = await import(
  pathToFileURL(path.join(root, 'src/monitors/monitorSchema.ts')).href
);
fs.writeFileSync(
  path.join(dist, 'monitors', monitorSchema.PRECOMPILED_FILE),
  monitorSchema.precompiledValidatorSource(),
);
await unregister();
fs.writeFileSync(path.join(dist, '.build-stamp'), `${new Date().toISOString()}\n`);
