import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runCli, startCli, type RunningCli } from '../helpers/cli.js';
import { clearOfTheHour } from '../helpers/hourlyTick.js';
import { tempDir } from '../helpers/store.js';

/**
 * `driftwatch init` as a user runs it, on a CSV and on a Parquet training file: the monitor
 * it writes validates, and runs — against events posted to a running service, the planted
 * drift of examples/current.csv is found and fires an alert; the same model's baseline
 * rows, sent as events, are not drift.
 */
interface FiringAlert {
  metric: string;
  feature: string;
  slice: string;
  severity: string;
  last_window_end: string;
}

interface StoredResult {
  metric: string;
  feature: string;
  slice_key: string;
  slice_value: string;
  status: string;
}

describe('driftwatch init, then validate, serve, post events and run', () => {
  const dir = tempDir('driftwatch-init-');
  const monitors = path.join(dir, 'monitors');
  const env = {
    DRIFTWATCH_DATA_DIR: path.join(dir, 'data'),
    DRIFTWATCH_MONITORS_DIR: monitors,
    DRIFTWATCH_PORT: '0',
  };
  let service: RunningCli | undefined;
  let url = '';

  beforeAll(() => {
    fs.mkdirSync(path.join(dir, 'training'));
    for (const file of ['baseline.csv', 'baseline.parquet']) {
      fs.copyFileSync(path.join(REPO_ROOT, 'examples', file), path.join(dir, 'training', file));
    }
  });
  afterAll(async () => {
    await service?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('writes a commented monitor from a CSV, saying what it chose and why', async () => {
    const result = await runCli(
      ['init', '--model', 'fraud-csv', '--baseline', path.join(dir, 'training/baseline.csv')],
      env,
    );
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const lines = result.stdout.split('\n');
    const row = (column: string) => lines.find((line) => line.startsWith(`  ${column} `)) ?? '';
    expect(row('amount')).toMatch(
      /feature, numeric +all 20,000 values parse as numbers; from 1\.06 to 758\.28$/,
    );
    expect(row('device_score')).toMatch(
      /all 19,815 values parse as numbers; 185 empty; from 0 to 1/,
    );
    expect(row('merchant_category')).toMatch(/feature, categorical +text .*3 distinct values/);
    expect(row('channel')).toMatch(/slice +text with 3 values \(android, ios, web\)/);
    expect(row('country')).toMatch(/slice +text with 5 values/);
    expect(row('score')).toMatch(/score +named score; from 0\.0007 to 0\.9756/);
    expect(row('label')).toMatch(/label +named label; values 0 and 1/);
    expect(result.stdout).toMatch(/--features a,b:categorical,\.\.\. +--slices a,b \| none/);
    expect(result.stdout).toMatch(/^task: binary \(the default; .*issue 19\)$/m);
    const file = path.join(monitors, 'fraud-csv.yaml');
    expect(result.stdout).toContain(`wrote ${file}; validated as \`driftwatch validate\` does`);
    const yaml = fs.readFileSync(file, 'utf8');
    expect(yaml).toMatch(/^baseline: \{ file: \.\.\/training\/baseline\.csv \}$/m);
    expect(yaml).toMatch(/^ {2}amount: numeric # all 20,000 values parse as numbers/m);
    expect(yaml).toMatch(/^slices: \[channel, country\] #/m);
  });

  it('writes one from a Parquet file, with the evidence of its column types', async () => {
    const result = await runCli(
      [
        'init',
        '--model',
        'fraud-parquet',
        '--baseline',
        path.join(dir, 'training/baseline.parquet'),
        '--slices',
        'channel',
      ],
      env,
    );
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(
      /^ {2}amount +feature, numeric +a Parquet column of type Nullable\(Float64\); from 1\.06 to 758\.28$/m,
    );
    expect(result.stdout).toMatch(/^ {2}country +feature, categorical +a Parquet column/m);
    expect(result.stdout).toMatch(/^ {2}channel +slice +chosen with --slices/m);
  });

  it('never overwrites a file without --force, and refuses tasks monitor files cannot say yet', async () => {
    const file = path.join(monitors, 'fraud-csv.yaml');
    const before = fs.readFileSync(file, 'utf8');
    fs.appendFileSync(file, '# my own edit\n');
    const again = await runCli(
      ['init', '--model', 'fraud-csv', '--baseline', path.join(dir, 'training/baseline.csv')],
      env,
    );
    expect(again.status).toBe(2);
    expect(again.stderr).toBe(`driftwatch: ${file}: already exists: --force replaces it\n`);
    expect(fs.readFileSync(file, 'utf8')).toBe(`${before}# my own edit\n`);
    const forced = await runCli(
      [
        'init',
        '--model',
        'fraud-csv',
        '--baseline',
        path.join(dir, 'training/baseline.csv'),
        '--force',
      ],
      env,
    );
    expect(forced.status).toBe(0);
    expect(forced.stdout).toContain(`replaced ${file}`);
    expect(fs.readFileSync(file, 'utf8')).toBe(before);
    const multiclass = await runCli(
      [
        'init',
        '--model',
        'classes',
        '--baseline',
        path.join(dir, 'training/baseline.csv'),
        '--task',
        'multiclass',
      ],
      env,
    );
    expect(multiclass.status).toBe(2);
    expect(multiclass.stderr).toMatch(/--task: multiclass models are not supported yet/);
    expect(fs.existsSync(path.join(monitors, 'classes.yaml'))).toBe(false);
    expect(fs.readdirSync(monitors).sort()).toEqual(['fraud-csv.yaml', 'fraud-parquet.yaml']);
  });

  it('validates both as `driftwatch validate` does', async () => {
    const result = await runCli(['validate', monitors], env);
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe(`2 monitor(s) valid in ${monitors}\n`);
  });

  it('runs both against events posted to the service: the planted drift fires, the baseline does not', async () => {
    service = startCli(['serve'], env);
    url = (await service.waitForStderr(/listening on (http:\/\/\S+);/, 120_000))[1] ?? '';
    expect(service.stderr()).toMatch(/monitors: fraud-csv, fraud-parquet/);
    // two windows an hour apart: the baseline's own rows, then the drifted current file
    await clearOfTheHour();
    // windows lie on the schedule's grid (hourly): the last complete one, and the one before
    const end = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000);
    const earlier = new Date(end.getTime() - 3_600_000);
    for (const model of ['fraud-csv', 'fraud-parquet']) {
      const clean = eventsFrom(path.join(REPO_ROOT, 'examples/baseline.csv'), model, earlier, 4000);
      const drifted = eventsFrom(path.join(REPO_ROOT, 'examples/current.csv'), model, end, 4000);
      for (const body of [clean, drifted]) {
        const response = await fetch(`${url}/v1/events`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-ndjson' },
          body,
        });
        const answer = (await response.json()) as { accepted: number; rejected: number };
        expect(answer).toMatchObject({ accepted: 4000, rejected: 0 });
      }
    }
    for (const model of ['fraud-csv', 'fraud-parquet']) {
      const drift = await runWindow(model, end);
      expect(drift.header).toMatch(
        new RegExp(
          `^${model} \\S+ \\.\\. ${end.toISOString()}: critical \\(baseline file:baseline\\.(csv|parquet) v1, `,
        ),
      );
      expect(drift.results).toContainEqual(
        expect.objectContaining({
          metric: 'psi',
          feature: 'amount',
          slice_key: 'channel',
          slice_value: 'web',
          status: 'critical',
        }),
      );
      expect(drift.results).toContainEqual(
        expect.objectContaining({
          metric: 'new_categories',
          feature: 'merchant_category',
          slice_key: '',
          status: 'warn',
        }),
      );
      const clean = await runWindow(model, earlier);
      expect(clean.header).toContain(`.. ${earlier.toISOString()}: `);
      const distances = clean.results.filter((r) => r.metric === 'psi' || r.metric === 'ks');
      expect(distances.length).toBeGreaterThan(10);
      expect(distances.filter((r) => r.status !== 'ok')).toEqual([]);
    }
    // `run` through the service alerts as a scheduled run would: the drifted window fired
    // (no route configured: kept and shown, nobody notified)
    const response = await fetch(`${url}/v1/alerts?model=fraud-csv&state=firing&limit=1000`);
    const firing = ((await response.json()) as { items: FiringAlert[] }).items;
    expect(firing).toContainEqual(
      expect.objectContaining({
        metric: 'psi',
        feature: 'amount',
        slice: 'channel=web',
        severity: 'critical',
        last_window_end: end.toISOString(),
      }),
    );
  }, 420_000);

  /** `driftwatch run` (which asks the running service), then that window's stored results. */
  async function runWindow(
    model: string,
    windowEnd: Date,
  ): Promise<{ header: string; results: StoredResult[] }> {
    const result = await runCli(
      ['run', '--model', model, '--window-end', windowEnd.toISOString()],
      env,
    );
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const query = new URLSearchParams({
      model,
      from: new Date(windowEnd.getTime() - 1).toISOString(),
      to: windowEnd.toISOString(),
      limit: '1000',
    });
    const response = await fetch(`${url}/v1/results?${query.toString()}`);
    const page = (await response.json()) as { items: StoredResult[] };
    return { header: result.stdout.split('\n')[0] ?? '', results: page.items };
  }
});

/**
 * The first `count` rows of an example file as prediction events of `model`, spread over
 * the 50 minutes before `end` (the window ending at `end` holds them all).
 */
function eventsFrom(file: string, model: string, end: Date, count: number): string {
  const [header, ...rows] = fs.readFileSync(file, 'utf8').trim().split('\n');
  const names = (header ?? '').split(',');
  const start = end.getTime() - 55 * 60_000;
  return rows
    .slice(0, count)
    .map((line, i) => {
      const cells = Object.fromEntries(line.split(',').map((value, k) => [names[k], value]));
      const number = (name: string) => (cells[name] === '' ? null : Number(cells[name]));
      return JSON.stringify({
        type: 'prediction',
        event_id: `${model}-${end.getTime()}-${i}`,
        prediction_id: `${model}-${end.getTime()}-${i}`,
        model,
        model_version: 'v1',
        ts: new Date(start + Math.floor((i * 50 * 60_000) / count)).toISOString(),
        features: {
          amount: number('amount'),
          account_age_days: number('account_age_days'),
          device_score: number('device_score'),
          tiny_rate: number('tiny_rate'),
          merchant_category: cells.merchant_category || null,
          // a feature of the Parquet monitor (sliced by channel only), an attribute of both
          country: cells.country,
        },
        score: number('score'),
        attributes: { channel: cells.channel, country: cells.country },
      });
    })
    .join('\n');
}
