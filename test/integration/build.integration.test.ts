import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/cli.js';
import { tempDir } from '../helpers/store.js';

/**
 * The compiled CLI as it ships (and as the Docker image holds it): dist/, schemas/,
 * package.json and node_modules, without the TypeScript sources. It must find its JSON
 * Schemas and SQL migrations from there.
 */
describe('the compiled build, without the sources', () => {
  const pkg = tempDir('driftwatch-build-');
  const run = (args: string[], env: Record<string, string> = {}) =>
    spawnSync(process.execPath, [path.join(pkg, 'bin/driftwatch.js'), ...args], {
      cwd: pkg,
      encoding: 'utf8',
      env: { ...process.env, ...env },
    });

  beforeAll(() => {
    const build = spawnSync(
      process.execPath,
      [path.join(REPO_ROOT, 'bin/build.mjs'), path.join(pkg, 'dist')],
      { encoding: 'utf8' },
    );
    expect(build.stderr).toBe('');
    expect(build.status).toBe(0);
    fs.mkdirSync(path.join(pkg, 'bin'));
    fs.copyFileSync(path.join(REPO_ROOT, 'bin/driftwatch.js'), path.join(pkg, 'bin/driftwatch.js'));
    fs.copyFileSync(path.join(REPO_ROOT, 'package.json'), path.join(pkg, 'package.json'));
    fs.cpSync(path.join(REPO_ROOT, 'schemas'), path.join(pkg, 'schemas'), { recursive: true });
    fs.symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(pkg, 'node_modules'));
  }, 120_000);

  it('runs without tsx or sources', () => {
    expect(fs.existsSync(path.join(pkg, 'src'))).toBe(false);
    const result = run(['--help']);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/report \[options\]/);
  });

  it('finds the monitor schema', () => {
    const result = run(['validate', path.join(REPO_ROOT, 'monitors')], {
      DRIFTWATCH_MONITOR_SECRETS: 'RETRAIN_SECRET',
    });
    // alert channels not configured in this shell are warnings, not errors
    const errors = result.stderr.split('\n').filter((line) => line && !/: warning: /.test(line));
    expect(errors).toEqual([]);
    // every shipped monitor file (one per demo model) is valid
    const shipped = fs
      .readdirSync(path.join(REPO_ROOT, 'monitors'))
      .filter((name) => /\.ya?ml$/.test(name)).length;
    expect(shipped).toBeGreaterThanOrEqual(4);
    expect(result.stdout).toMatch(new RegExp(`^${shipped} monitor\\(s\\) valid`));
  });

  it("sorts a large report's columns on the compiled worker threads", () => {
    // 210,000 rows a file: above the size from which the exact report sorts on workers.
    // The current file is the reference shifted by a tenth of its range: KS D = 0.1 and
    // Wasserstein = 21,000 exactly, worked out by hand, not by the code under test.
    const n = 210_000;
    const column = (shift: number) =>
      `x\n${Array.from({ length: n }, (_, i) => `${i + shift}\n`).join('')}`;
    fs.writeFileSync(path.join(pkg, 'baseline.csv'), column(0));
    fs.writeFileSync(path.join(pkg, 'current.csv'), column(n / 10));
    const result = run(
      [
        'report',
        '--baseline',
        path.join(pkg, 'baseline.csv'),
        '--current',
        path.join(pkg, 'current.csv'),
        '--features',
        'x',
        '--format',
        'json',
      ],
      { DRIFTWATCH_DATA_DIR: path.join(pkg, 'report-data') },
    );
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const report = JSON.parse(result.stdout) as {
      exact: boolean;
      features: { name: string; ks: { statistic: number }; wasserstein: number }[];
    };
    expect(report.exact).toBe(true);
    expect(report.features[0]).toMatchObject({
      name: 'x',
      ks: { statistic: 0.1 },
      wasserstein: n / 10,
    });
  }, 120_000);

  it('finds and applies the SQL migrations', () => {
    const data = { DRIFTWATCH_DATA_DIR: path.join(pkg, 'data') };
    // status only reads: on a directory with no store yet it creates nothing
    expect(run(['status', '--json'], data).status).toBe(2);
    expect(fs.existsSync(data.DRIFTWATCH_DATA_DIR)).toBe(false);
    // an export opens the store, migrated
    const key = /DRIFTWATCH_EXPORT_SIGNING_KEY=(\S+)/.exec(run(['export', 'keygen']).stdout)?.[1];
    const period = ['--from', '2026-11-01T00:00:00Z', '--to', '2026-11-02T00:00:00Z'];
    const exported = run(['export', ...period, '--out', path.join(pkg, 'export')], {
      ...data,
      DRIFTWATCH_EXPORT_SIGNING_KEY: key ?? '',
    });
    expect(exported.stderr).toBe('');
    const result = run(['status', '--json'], data);
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual({
      events: { predictions: 0, features: 0, labels: 0 },
      dead_letters: 0,
    });
  });
});
