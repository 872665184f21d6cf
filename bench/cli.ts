import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Issue 8's CLI start-up: `driftwatch --help` and `driftwatch status` (on an empty embedded
 * store), each run as its own process, as a person runs them: the compiled build (dist/,
 * what `npm install` builds), the same through bin/driftwatch.js (which first checks that
 * the build is newer than the sources), and the TypeScript sources through tsx with its
 * cache off (what every call cost before the build was shipped).
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const RUNS = 7;

interface Mode {
  name: string;
  argv: string[];
  env?: Record<string, string>;
}

const MODES: Mode[] = [
  { name: 'compiled (node dist/cli/main.js)', argv: ['dist/cli/main.js'] },
  { name: 'bin/driftwatch.js (build is fresh)', argv: ['bin/driftwatch.js'] },
  {
    name: 'tsx, no cache (the old bin)',
    argv: ['--import', 'tsx', 'src/cli/main.ts'],
    env: { TSX_DISABLE_CACHE: '1' },
  },
];

const COMMANDS = [['--help'], ['status']];

export async function runCliBenchmark(): Promise<void> {
  if (!fs.existsSync(path.join(ROOT, 'dist/.build-stamp'))) {
    throw new Error('no build in dist/: run `npm run build` first');
  }
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'driftwatch-bench-cli-'));
  try {
    // the first status migrates the empty store; measure from the second call on
    run(MODES[0]!, ['status'], dataDir);
    for (const command of COMMANDS) {
      for (const mode of MODES) {
        const seconds: number[] = [];
        const loads: number[] = [];
        for (let i = 0; i < RUNS; i += 1) {
          loads.push(os.loadavg()[0] ?? 0);
          seconds.push(run(mode, command, dataDir));
        }
        seconds.sort((a, b) => a - b);
        const median = seconds[Math.floor(seconds.length / 2)] ?? NaN;
        console.log(
          `driftwatch ${command.join(' ').padEnd(7)} ${mode.name.padEnd(36)} median ${median.toFixed(2)} s,` +
            ` min ${seconds[0]?.toFixed(2)} s, max ${seconds.at(-1)?.toFixed(2)} s over ${RUNS} runs;` +
            ` load average (1 min) ${Math.min(...loads).toFixed(2)}–${Math.max(...loads).toFixed(2)}`,
        );
      }
    }
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

function run(mode: Mode, command: string[], dataDir: string): number {
  const started = performance.now();
  const result = spawnSync(process.execPath, [...mode.argv, ...command], {
    cwd: ROOT,
    env: { ...process.env, ...mode.env, DRIFTWATCH_DATA_DIR: dataDir },
    encoding: 'utf8',
  });
  const seconds = (performance.now() - started) / 1000;
  if (result.status !== 0) {
    throw new Error(`${mode.name} ${command.join(' ')} failed: ${result.stderr}`);
  }
  return seconds;
}
