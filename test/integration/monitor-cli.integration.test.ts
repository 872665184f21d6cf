import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/store.js';

/**
 * The demo (the README's first command, without the live tail) and the monitor commands,
 * run as a user runs them, on the data the demo leaves behind.
 */
describe('driftwatch demo, then the monitor commands on its data', () => {
  const dir = tempDir('driftwatch-cli-');
  // the shipped fraud-detector monitor names its webhook's secret: the operator exposes it
  const env = {
    DRIFTWATCH_DATA_DIR: path.join(dir, 'data'),
    DRIFTWATCH_PORT: '0',
    DRIFTWATCH_MONITOR_SECRETS: 'RETRAIN_SECRET',
  };

  it('runs the demo: events through HTTP ingest, monitors firing on the drifted windows', async () => {
    const result = await runCli(
      ['demo', '--hours', '3', '--events-per-hour', '2000', '--live', '0'],
      env,
      180_000,
    );
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(
      /stored: \{"events":\{"predictions":24000,"features":0,"labels":0\},"dead_letters":0\}/,
    ); // the labels come later, a label delay after their predictions
    // drift in the middle third: windows before it are ok, the drifted ones critical, and
    // once the data is clean again the windows are ok again
    const fraud = result.stdout.split('== fraud-detector')[1]?.split('\n==')[0] ?? '';
    const statuses = [...fraud.matchAll(/^ {2}\S+Z {2}(\S+)/gm)].map((m) => m[1]);
    expect(statuses).toEqual(['ok', 'ok', 'critical', 'critical', 'ok', 'ok']);
    // the regression and the multiclass model: drifted inputs and predictions in the drifted
    // windows, then (their labels half an hour late) the quality of those windows
    for (const model of ['delivery-time', 'ticket-router']) {
      const section = result.stdout.split(`== ${model}`)[1]?.split('\n==')[0] ?? '';
      const windows = [...section.matchAll(/^ {2}\S+Z {2}(\S+)/gm)].map((m) => m[1]);
      expect(windows, model).toEqual(['ok', 'ok', 'critical', 'critical', 'critical', 'ok']);
    }
    expect(result.stdout).toMatch(/critical +psi:2 +prediction +city=north/);
    expect(result.stdout).toMatch(/critical +prediction_psi +- +channel=chat/);
    expect(result.stdout).toMatch(/critical +class_score_psi +scores\.technical +all/);
    expect(result.stdout).toMatch(/critical +psi +amount +channel=web/);
    expect(result.stdout).toMatch(/critical +psi +plan +region=EU/);
    expect(result.stdout).toMatch(/where to look/);
    // the HTML page of the most drifted window counts both sides' rows (it said "0 rows")
    const page = /most drifted window \(\d+ PSI results\): (\S+fraud-detector\S+\.html)/.exec(
      result.stdout,
    )?.[1];
    expect(page).toBeDefined();
    const html = fs.readFileSync(page ?? '', 'utf8');
    const counts = [...html.matchAll(/\((\d+) rows\)/g)].map((m) => Number(m[1]));
    const baselineRows =
      fs
        .readFileSync(path.join(REPO_ROOT, 'baselines/fraud-detector.csv'), 'utf8')
        .trim()
        .split('\n').length - 1;
    expect(counts).toHaveLength(2);
    expect(counts[0]).toBeGreaterThan(0); // the window's events
    expect(counts[1]).toBe(baselineRows);
    // the alerts reached the local receivers: firing, then resolved when the drift ended
    const alerts = result.stdout.split('\nalerts: what the channels received')[1] ?? '';
    const received = alerts.split('\n\n')[0]?.split('\n').slice(1) ?? [];
    const index = (pattern: RegExp) => received.findIndex((line) => pattern.test(line));
    const emailFiring = index(
      /^ {2}email +oncall@example\.com +\[driftwatch\] CRITICAL fraud-detector: \d+ firing/,
    );
    const emailResolved = index(
      /^ {2}email +oncall@example\.com +\[driftwatch\] RESOLVED fraud-detector: \d+ alerts resolved/,
    );
    const hookFiring = index(
      /^ {2}webhook +\/retrain +driftwatch\.alerts\.firing fraud-detector: \d+ breach\(es\), signature verified/,
    );
    const hookResolved = index(
      /^ {2}webhook +\/retrain +driftwatch\.alerts\.resolved fraud-detector: \d+ breach\(es\), signature verified/,
    );
    expect([emailFiring, emailResolved, hookFiring, hookResolved].every((i) => i >= 0)).toBe(true);
    expect(emailFiring).toBeLessThan(emailResolved);
    expect(hookFiring).toBeLessThan(hookResolved);
    expect(
      received.some((line) => /^ {2}slack +#ml-alerts +CRITICAL fraud-detector/.test(line)),
    ).toBe(true);
    for (const [model, to] of [
      ['delivery-time', 'logistics-ml@example\\.com'],
      ['ticket-router', 'support-ml@example\\.com'],
    ] as const) {
      const firing = index(
        new RegExp(`^ {2}email +${to} +\\[driftwatch\\] CRITICAL ${model}: \\d+ firing`),
      );
      const resolved = index(
        new RegExp(`^ {2}email +${to} +\\[driftwatch\\] RESOLVED ${model}: \\d+ alerts resolved`),
      );
      expect(firing, model).toBeGreaterThanOrEqual(0);
      expect(resolved, model).toBeGreaterThan(firing);
    }
    expect(result.stdout).toMatch(/^labels not arrived yet: 999 of delivery-time/m);
  }, 200_000);

  it('holds the regression and multiclass quality the late labels judged', async () => {
    const breaches = async (model: string) => {
      const result = await runCli(
        ['history', '--model', model, '--json', '--limit', '100000'],
        env,
      );
      const rows = JSON.parse(result.stdout) as {
        metric: string;
        status: string;
        slice_value: string;
      }[];
      return new Set(
        rows.filter((r) => r.status === 'critical' && r.slice_value === 'all').map((r) => r.metric),
      );
    };
    const regression = await breaches('delivery-time');
    for (const metric of ['psi', 'ks', 'mae', 'rmse', 'residual_ks'])
      expect(regression.has(metric), metric).toBe(true);
    const multiclass = await breaches('ticket-router');
    for (const metric of ['psi', 'prediction_psi', 'class_score_psi', 'accuracy', 'f1_macro'])
      expect(multiclass.has(metric), metric).toBe(true);
  });

  it('prints the drift history', async () => {
    const result = await runCli(
      [
        'history',
        '--model',
        'fraud-detector',
        '--feature',
        'amount',
        '--slice',
        'web',
        '--metric',
        'psi',
      ],
      env,
    );
    expect(result.status).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^window end +status +check +feature +slice/);
    expect(lines.length).toBe(1 + 6); // one row per 30-minute window of 3 hours, newest first
    expect(lines.slice(1).map((line) => line.split(/ +/)[1])).toEqual([
      'ok',
      'ok',
      'critical',
      'critical',
      'ok',
      'ok',
    ]);
    expect(lines[3]).toMatch(/critical +psi +amount +channel=web/);
  });

  it('backtests a range and prints which checks would have fired, storing nothing', async () => {
    const before = await runCli(
      ['history', '--model', 'churn-model', '--json', '--limit', '100000'],
      env,
    );
    const history = JSON.parse(before.stdout) as { window_end: string }[];
    const latest = history[0]?.window_end ?? '';
    const to = new Date(latest); // RFC 3339
    const from = new Date(to.getTime() - 2 * 3_600_000);
    const result = await runCli(
      [
        'backtest',
        '--model',
        'churn-model',
        '--from',
        from.toISOString(),
        '--to',
        to.toISOString(),
      ],
      env,
    );
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/critical +\d+ check\(s\) fired/);
    expect(result.stdout).toMatch(/psi +plan +region=EU/);
    const after = await runCli(
      ['history', '--model', 'churn-model', '--json', '--limit', '100000'],
      env,
    );
    expect(JSON.parse(after.stdout)).toHaveLength(history.length);
  });

  it('runs one evaluation and stores the same window once however often it runs', async () => {
    const runs = await runCli(
      ['history', '--model', 'fraud-detector', '--json', '--limit', '1'],
      env,
    );
    const end = (JSON.parse(runs.stdout) as { window_end: string }[])[0]?.window_end ?? '';
    const windowEnd = new Date(end).toISOString();
    const count = async () =>
      (
        JSON.parse(
          (
            await runCli(
              ['history', '--model', 'fraud-detector', '--json', '--limit', '100000'],
              env,
            )
          ).stdout,
        ) as unknown[]
      ).length;
    const before = await count();
    const result = await runCli(
      ['run', '--model', 'fraud-detector', '--window-end', windowEnd],
      env,
    );
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(
      /fraud-detector .* ok \(\d+ events; baseline file:fraud-detector.csv v1/,
    );
    expect(await count()).toBe(before);
  });

  it('refuses a window in the future, says "awaiting data" for an empty one before the first event (issue 20), and names bad flags (issue 8)', async () => {
    const count = async () =>
      (
        JSON.parse(
          (
            await runCli(
              ['history', '--model', 'fraud-detector', '--json', '--limit', '100000'],
              env,
            )
          ).stdout,
        ) as unknown[]
      ).length;
    const before = await count();
    const future = await runCli(
      ['run', '--model', 'fraud-detector', '--window-end', '2099-01-01T00:00:00Z'],
      env,
    );
    expect(future.status).toBe(2);
    expect(future.stderr).toMatch(/--window-end: 2099-01-01T00:00:00.000Z is in the future/);
    expect(await count()).toBe(before);
    const empty = await runCli(
      ['run', '--model', 'fraud-detector', '--window-end', '2020-01-01T00:00:00Z'],
      env,
    );
    expect(empty.status).toBe(0);
    // before the model's first event: shown, never paged (a window without events after it
    // is no_data, see judge.test.ts)
    expect(empty.stdout).toMatch(/2020-01-01T00:00:00.000Z: awaiting_data \(0 events;/);
    expect(empty.stdout).toMatch(
      /no event from this model yet: nothing alerts until its first event/,
    );
    expect(empty.stdout).toMatch(/^no checks fired$/m); // awaiting data fires nothing
    const backwards = await runCli(
      [
        'backtest',
        '--model',
        'fraud-detector',
        '--from',
        '2026-01-02T00:00:00Z',
        '--to',
        '2026-01-01T00:00:00Z',
      ],
      env,
    );
    expect(backwards.status).toBe(2);
    expect(backwards.stderr).toMatch(/--from \(.*\) must be before --to/);
    const unknown = await runCli(['history', '--model', 'no-such-model'], env);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(
      /unknown model "no-such-model": no monitor and no history \(known models: .*fraud-detector/,
    );
    const capped = await runCli(['history', '--model', 'fraud-detector', '--limit', '3'], env);
    expect(capped.stdout.trim().split('\n')).toHaveLength(1 + 3 + 1);
    expect(capped.stdout).toMatch(/\(rows 1-3 of \d+; --offset 3 for the next page\)/);
  });

  it('prints what is stored, for scripts', async () => {
    const result = await runCli(['status', '--json'], env);
    expect(JSON.parse(result.stdout)).toEqual({
      // the labels that had arrived when the history ended: all but each model's last label
      // delay (2 h, 1 h, 30 min, 30 min) of its 2,000 predictions an hour
      events: { predictions: 24000, features: 0, labels: 6000 * 4 - 3999 - 1999 - 999 - 999 },
      dead_letters: 0,
    });
  });

  it('loads a new baseline version from a file', async () => {
    const result = await runCli(
      [
        'baseline',
        'create',
        '--model',
        'churn-model',
        '--file',
        path.join(REPO_ROOT, 'baselines/churn-model.csv'),
      ],
      env,
    );
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(
      /baseline file:churn-model.csv version 2 for churn-model: 20000 rows/,
    );
  });
});

describe('driftwatch validate', () => {
  it('accepts the shipped monitors where the operator exposes their webhook secret', async () => {
    const result = await runCli(['validate', 'monitors'], {
      DRIFTWATCH_MONITOR_SECRETS: 'RETRAIN_SECRET',
    });
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/4 monitor\(s\) valid/);
    // without: the rule it breaks, where
    const closed = await runCli(['validate', 'monitors'], { DRIFTWATCH_MONITOR_SECRETS: '' });
    expect(closed.status).toBe(2);
    expect(closed.stderr).toContain(
      `monitors/fraud-detector.yaml:42:17: webhooks.retrain.secret_env: RETRAIN_SECRET is not exposed to monitor files: the operator lists the variables monitor files may name in DRIFTWATCH_MONITOR_SECRETS (it is unset: none)\n`,
    );
  });

  it('names file, line, column and what was expected, and keeps checking the other files', async () => {
    const dir = tempDir('driftwatch-validate-');
    fs.writeFileSync(
      path.join(dir, 'churn-model.yaml'),
      fs
        .readFileSync(path.join(REPO_ROOT, 'monitors/churn-model.yaml'), 'utf8')
        .replace('../baselines/', `${path.join(REPO_ROOT, 'baselines')}/`),
    );
    fs.writeFileSync(
      path.join(dir, 'bad.yaml'),
      `model: bad-model
baseline: { trailing: 7d }
features:
  amount: numeric
  kind: categorical
schedule: '*/5 * * * *'
window: 1 hour
checks:
  - { metric: psi, features: all, warn: high }
  - { metric: ks, features: [kind] }
  - { metric: auroc, min: 0.7 }
`,
    );
    const result = await runCli(['validate', dir], { DRIFTWATCH_BASELINE_ROOTS: REPO_ROOT });
    expect(result.status).toBe(2);
    const errors = result.stderr.trim().split('\n');
    expect(errors).toContain(
      `${path.join(dir, 'bad.yaml')}:7:9: window: expected a duration: an integer and a unit, s, m, h, d or w (e.g. 15m, 1h, 7d), got "1 hour"`,
    );
    expect(errors).toContain(
      `${path.join(dir, 'bad.yaml')}:9:41: checks[0].warn: expected a number, got "high"`,
    );
    expect(result.stdout).toMatch(/1 monitor\(s\) valid, \d+ error\(s\) in 1 file\(s\)/);
  });

  it('names a directory that does not exist, or holds no monitor files', async () => {
    const missing = path.join(tempDir('driftwatch-validate-'), 'monitors');
    const none = await runCli(['validate', missing]);
    expect(none.status).toBe(2);
    expect(none.stderr).toBe(`driftwatch: ${missing}: no such directory\n`);
    const empty = await runCli(['validate', path.dirname(missing)]);
    expect(empty.status).toBe(2);
    expect(empty.stderr).toBe(
      `driftwatch: ${path.dirname(missing)}: no monitor files (*.yaml, *.yml) in this directory\n`,
    );
  });

  it('names a baseline file that does not exist, at its line and column', async () => {
    const dir = tempDir('driftwatch-validate-');
    fs.writeFileSync(
      path.join(dir, 'churn-model.yaml'),
      fs.readFileSync(path.join(REPO_ROOT, 'monitors/churn-model.yaml'), 'utf8'),
    );
    const result = await runCli(['validate', dir]);
    expect(result.status).toBe(2);
    expect(result.stderr).toBe(
      `${path.join(dir, 'churn-model.yaml')}:7:9: baseline.file: no such file: ${path.resolve(dir, '../baselines/churn-model.csv')}\n`,
    );
  });
});
