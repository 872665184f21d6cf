import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/cli.js';
import { tempDir } from '../helpers/store.js';

/**
 * The package as npm ships it: `npm pack` of a copy of this checkout (its `prepare` builds
 * dist/), installed into an empty directory from the tarball (dependencies from npm's cache
 * when they are there), then run from that directory as a user would, through npx:
 * --help, init, report on the shipped examples, a short demo, and `serve` with its API
 * reference and dashboard assets. Slow: the install unpacks embedded ClickHouse (libchdb,
 * about 540 MB): measured 104 s at load 12 without the serve step, 173 s at load 18-21.
 */
describe('npm pack, installed into an empty directory', () => {
  const root = tempDir('driftwatch-package-');
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it('ships what it needs and nothing else, installs, and runs --help, init, report and the demo', async () => {
    const stage = path.join(root, 'stage');
    copyCheckout(stage);
    // the build needs the dev dependencies (TypeScript); npm does not pack node_modules
    fs.symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(stage, 'node_modules'));
    const packed = await npm(['pack', '--json', '--pack-destination', root], stage);
    expect(packed.status, packed.stderr).toBe(0);
    const [pack] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as {
      filename: string;
      files: { path: string }[];
    }[];
    const files = (pack?.files ?? []).map((file) => file.path);
    for (const needed of [
      'bin/driftwatch.js',
      'dist/.build-stamp',
      'dist/cli/main.js',
      'dist/drift/sortedColumnWorker.js',
      'dist/store/migrations/0001_events.sql',
      'schemas/monitor.schema.json',
      'web/dashboard.js',
      'monitors/fraud-detector.yaml',
      'baselines/fraud-detector.csv',
      'examples/baseline.csv',
      'examples/current.parquet',
      'README.md',
      'docs/QUICKSTART.md',
      'docs/MONITORS.md', // the README's reference pages ship with it
      'clients/python/driftwatch/client.py',
      'clients/python/examples/quickstart.py',
    ]) {
      expect(files, needed).toContain(needed);
    }
    const unwanted = files.filter(
      (file) =>
        /^(src|test|bench|soak|deploy|scratch|node_modules|clients\/python\/tests)\//.test(file) ||
        /\.(map|ts|pyc)$|\.test\.js$|\.testing\.js$|generate\.|tsconfig|Dockerfile|eslint/.test(
          file,
        ),
    );
    expect(unwanted).toEqual([]);

    const home = path.join(root, 'empty');
    fs.mkdirSync(home);
    const installed = await npm(
      [
        'install',
        '--no-audit',
        '--no-fund',
        '--prefer-offline',
        path.join(root, pack?.filename ?? ''),
      ],
      home,
    );
    expect(installed.status, installed.stderr).toBe(0);
    // tsx (and esbuild) serve only a checkout's sources: not installed with the package
    expect(fs.existsSync(path.join(home, 'node_modules/tsx'))).toBe(false);
    expect(fs.existsSync(path.join(home, 'node_modules/driftwatch/src'))).toBe(false);

    const help = await npx(['--help'], home);
    expect(help.stderr).toBe('');
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^ {2}init \[options\]/m);
    expect(help.stdout).toMatch(/^ {2}report \[options\]/m);

    const shipped = path.join(home, 'node_modules/driftwatch/examples');
    fs.copyFileSync(path.join(shipped, 'baseline.csv'), path.join(home, 'train.csv'));
    const init = await npx(['init', '--model', 'card-fraud', '--baseline', 'train.csv'], home);
    expect(init.stderr).toBe('');
    expect(init.status).toBe(0);
    expect(init.stdout).toContain('wrote monitors/card-fraud.yaml; validated');

    const report = await npx(
      [
        'report',
        '--baseline',
        path.join(shipped, 'baseline.csv'),
        '--current',
        path.join(shipped, 'current.parquet'),
        '--slice',
        'channel',
        '--format',
        'json',
      ],
      home,
    );
    expect(report.stderr).toBe('');
    expect(report.status).toBe(0);
    const entries = (JSON.parse(report.stdout) as { features: Entry[] }).features;
    expect(entries).toContainEqual(
      expect.objectContaining({ name: 'amount', slice: 'web', drift: true }),
    );
    expect(entries).toContainEqual(
      expect.objectContaining({ name: 'account_age_days', slice: 'all', drift: false }),
    );

    // the demo runs the package's own monitors, whatever this directory holds (card-fraud here)
    const demo = await npx(
      ['demo', '--hours', '1', '--events-per-hour', '600', '--live', '0'],
      home,
      {
        DRIFTWATCH_PORT: '0',
      },
    );
    expect(demo.stderr).toBe('');
    expect(demo.status).toBe(0);
    expect(demo.stdout).toMatch(/^stored: \{"events":\{"predictions":2400,/m);
    expect(demo.stdout).toMatch(/^== fraud-detector: /m);
    expect(demo.stdout).toMatch(/^== churn-model: /m);
    expect(demo.stdout).not.toMatch(/card-fraud/);
    expect(demo.stdout).toMatch(/^demo finished: \d+ critical findings/m);
    expect(fs.existsSync(path.join(home, '.driftwatch/demo/data'))).toBe(true);

    // the service from the package: its API reference and dashboard assets are in it too
    const serve = spawn(
      process.execPath,
      [path.join(home, 'node_modules/driftwatch/bin/driftwatch.js'), 'serve'],
      {
        cwd: home,
        env: userEnv({ DRIFTWATCH_PORT: '0', DRIFTWATCH_DATA_DIR: path.join(home, 'data') }),
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let stderr = '';
        serve.stderr.on('data', (chunk: Buffer) => {
          stderr += chunk.toString();
          const found = /listening on (http:\/\/\S+);.*monitors: card-fraud/.exec(stderr);
          if (found?.[1]) resolve(found[1]);
        });
        serve.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
      });
      for (const route of [
        '/readyz',
        '/docs/static/index.html',
        '/dashboard',
        '/assets/uPlot.iife.min.js',
      ]) {
        const response = await fetch(`${url}${route}`);
        expect(response.status, route).toBe(200);
      }
    } finally {
      const exited = new Promise((resolve) => serve.once('exit', resolve));
      serve.kill('SIGTERM');
      await exited;
    }
  }, 900_000);
});

interface Entry {
  name: string;
  slice: string;
  drift: boolean;
}

/** Every file git tracks or would track (not the ignored ones: dist, node_modules, scratch). */
function copyCheckout(target: string): void {
  const listed = spawnSync(
    'git',
    ['ls-files', '-z', '--cached', '--others', '--exclude-standard'],
    {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    },
  );
  expect(listed.status, listed.stderr).toBe(0);
  for (const file of listed.stdout.split('\0').filter(Boolean)) {
    const from = path.join(REPO_ROOT, file);
    if (!fs.existsSync(from)) continue; // deleted in the work tree, not yet in the index
    fs.mkdirSync(path.dirname(path.join(target, file)), { recursive: true });
    fs.copyFileSync(from, path.join(target, file));
  }
}

/** The environment of a user's shell: none of this test run's npm or driftwatch settings. */
function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(npm_|DRIFTWATCH_|CLICKHOUSE_|KAFKA_|VITEST|NODE_OPTIONS)/i.test(key)) env[key] = value;
  }
  return { ...env, ...extra };
}

interface Finished {
  status: number;
  stdout: string;
  stderr: string;
}

/** A command in its own process, asynchronously: a blocked test worker misses vitest's calls. */
function run(
  command: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 600_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ status: code ?? -1, stdout, stderr });
    });
  });
}

function npm(args: string[], cwd: string): Promise<Finished> {
  return run('npm', args, cwd, userEnv());
}

/** The installed command, as the README shows it: `npx driftwatch ...`. */
function npx(args: string[], cwd: string, extra: Record<string, string> = {}): Promise<Finished> {
  return run('npx', ['--no-install', 'driftwatch', ...args], cwd, userEnv(extra));
}
