import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runCli, startCli, type RunningCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/store.js';

/**
 * Issue 7, item 2, as a user meets it: a store with data, a demo pointed at it, and the
 * CLI used while the service runs on the same embedded store.
 */
const EVENTS = path.join(REPO_ROOT, 'examples/events.ndjson');
const STORED = { events: { predictions: 998, features: 0, labels: 0 }, dead_letters: 2 };

// Nine nested levels of nine aliases: 387 million values once expanded.
const ALIAS_BOMB = [
  'model: bomb',
  'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
  ...'bcdefghi'
    .split('')
    .map((name, i) => `${name}: &${name} [${Array(9).fill(`*${'abcdefgh'[i]}`).join(',')}]`),
].join('\n');

describe('data safety: the demo, and the CLI beside a running service', () => {
  const dir = tempDir('driftwatch-safety-');
  const dataDir = path.join(dir, 'data');
  const monitorsDir = path.join(dir, 'monitors');
  const env = {
    DRIFTWATCH_DATA_DIR: dataDir,
    DRIFTWATCH_PORT: '0',
    DRIFTWATCH_MONITORS_DIR: monitorsDir,
    DRIFTWATCH_BASELINE_ROOTS: REPO_ROOT,
    RETRAIN_SECRET: 'whsec_ZGF0YS1zYWZldHk=', // the shipped monitor's webhook secret
    DRIFTWATCH_MONITOR_SECRETS: 'RETRAIN_SECRET',
  };
  let service: RunningCli | undefined;
  let url = '';

  const serve = async (): Promise<RunningCli> => {
    const running = startCli(['serve'], env);
    url = (await running.waitForStderr(/listening on (http:\/\/\S+);/))[1] ?? '';
    return running;
  };

  beforeAll(async () => {
    fs.mkdirSync(monitorsDir);
    fs.writeFileSync(
      path.join(monitorsDir, 'fraud-detector.yaml'),
      fs
        .readFileSync(path.join(REPO_ROOT, 'monitors/fraud-detector.yaml'), 'utf8')
        .replace('../baselines/', `${REPO_ROOT}/baselines/`),
    );
    fs.writeFileSync(path.join(monitorsDir, 'bomb.yaml'), ALIAS_BOMB);
    // a store with data of its own: the README's example events, posted to a service
    const seeding = await serve();
    const response = await fetch(`${url}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: fs.readFileSync(EVENTS),
    });
    expect(await response.json()).toMatchObject({ accepted: 998, rejected: 2 });
    expect(await seeding.stop()).toBe(0);
  }, 120_000);

  afterAll(async () => {
    await service?.stop();
  });

  it('the demo refuses a data directory it did not create, and leaves its data alone', async () => {
    const demo = await runCli(['demo', '--hours', '1', '--live', '0'], env);
    expect(demo.status).toBe(2);
    expect(demo.stderr.trim()).toBe(
      `driftwatch: ${dataDir}: this directory holds data the demo did not create (no .driftwatch-demo marker), and the demo never touches it: unset DRIFTWATCH_DATA_DIR (the demo then uses .driftwatch/demo/data) or point it at a new or empty directory`,
    );
    const status = await runCli(['status', '--json'], env);
    expect(JSON.parse(status.stdout)).toEqual(STORED);
  });

  it('serve starts beside a monitor file that is an alias bomb, and says where it is', async () => {
    service = await serve();
    expect(service.stderr()).toContain(
      `monitor refused: ${path.join(monitorsDir, 'bomb.yaml')}:8:8: the document expands to more than 100,000 values through its aliases`,
    );
    expect(service.stderr()).toMatch(/monitors: fraud-detector"/);
  });

  it('status, history, run, runs and backtest answer through the running service', async () => {
    const status = await runCli(['status', '--json'], env);
    expect(status.stderr).toBe('');
    expect(JSON.parse(status.stdout)).toEqual(STORED);

    const windowEnd = '2026-11-22T11:00:00.000Z';
    const run = await runCli(['run', '--model', 'fraud-detector', '--window-end', windowEnd], env);
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(
      /^fraud-detector 2026-11-22T10:30:00.000Z .. 2026-11-22T11:00:00.000Z: \w+ \(baseline file:fraud-detector.csv v1, \d+ results/,
    );

    // (all rows: the service's own schedule may have added the live window's meanwhile)
    const history = await runCli(
      ['history', '--model', 'fraud-detector', '--json', '--limit', '100000'],
      env,
    );
    const rows = JSON.parse(history.stdout) as { window_end: string }[];
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.map((row) => row.window_end)).toContain(windowEnd);

    const runs = await runCli(['runs', '--model', 'fraud-detector', '--json'], env);
    expect(JSON.parse(runs.stdout)).toContainEqual(
      expect.objectContaining({ window_end: windowEnd }),
    );

    const backtest = await runCli(
      [
        'backtest',
        '--model',
        'fraud-detector',
        '--from',
        '2026-11-22T10:00:00Z',
        '--to',
        windowEnd,
      ],
      env,
    );
    expect(backtest.stderr).toBe('');
    expect(backtest.stdout).toMatch(
      /^2026-11-22T10:30:00.000Z {2}\w+ +\d+ check\(s\) fired \(\d+ events\)\n/,
    );
    expect(backtest.stdout).toMatch(
      /\n2026-11-22T11:00:00.000Z {2}\w+ +\d+ check\(s\) fired \(\d+ events\)\n/,
    );
  });

  it('says clearly what is wrong with a request the service refuses', async () => {
    const reversed = await runCli(
      [
        'backtest',
        '--model',
        'fraud-detector',
        '--from',
        '2026-11-22T11:00:00Z',
        '--to',
        '2026-11-22T10:00:00Z',
      ],
      env,
    );
    expect(reversed.status).toBe(2);
    expect(reversed.stderr).toBe(
      'driftwatch: --from (2026-11-22T11:00:00.000Z) must be before --to (2026-11-22T10:00:00.000Z)\n',
    );
    const unknown = await runCli(['history', '--model', 'fraud-detectr'], env);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toBe(
      'driftwatch: --model: unknown model "fraud-detectr": no monitor and no history (known models: fraud-detector)\n',
    );
  });

  it('names the holder of the store to commands that need the store itself', async () => {
    const holder = new RegExp(
      `^driftwatch: the embedded store ${dataDir} is in use by pid ${service?.pid} \\(driftwatch serve\\) since \\S+, serving ${url}; stop that process first \\(kill ${service?.pid}\\), or set DRIFTWATCH_DATA_DIR to another directory\\n$`,
    );
    const rebuild = await runCli(
      [
        'summaries',
        'rebuild',
        '--model',
        'fraud-detector',
        '--from',
        '2026-11-22',
        '--to',
        '2026-11-23',
      ],
      env,
    );
    expect(rebuild.stderr).toMatch(holder);
    expect(rebuild.status).toBe(1);
    // a baseline is frozen by the service itself
    const baseline = await runCli(
      ['baseline', 'create', '--model', 'fraud-detector', '--file', 'baselines/fraud-detector.csv'],
      env,
    );
    expect(baseline.stderr).toBe('');
    expect(baseline.stdout).toMatch(
      /^baseline file:fraud-detector.csv version 2 for fraud-detector: \d+ rows\n$/,
    );
    const second = await runCli(['serve'], env);
    expect(second.stderr).toMatch(holder);
    expect(second.status).toBe(1);
    const demo = await runCli(['demo', '--hours', '1', '--live', '0'], env);
    expect(demo.stderr).toMatch(holder);
    const status = await runCli(['status', '--json'], env);
    expect(JSON.parse(status.stdout)).toEqual(STORED);
  });

  it('report on files needs no lock on the service’s store', async () => {
    const report = await runCli(
      [
        'report',
        '--baseline',
        'examples/baseline.csv',
        '--current',
        'examples/current.csv',
        '--format',
        'json',
      ],
      env,
    );
    expect(report.stderr).toBe('');
    expect(report.status).toBe(0);
    const summary = (JSON.parse(report.stdout) as { summary: { drifted: number } }).summary;
    expect(summary.drifted).toBeGreaterThan(0); // the example current file carries drift
  });

  it('stops cleanly, and the store is the CLI’s own again', async () => {
    expect(await service?.stop()).toBe(0);
    service = undefined;
    expect(fs.existsSync(path.join(dataDir, 'driftwatch-service.json'))).toBe(false);
    const status = await runCli(['status', '--json'], env);
    expect(status.stderr).toBe('');
    expect(JSON.parse(status.stdout)).toEqual(STORED);
  });

  it('a killed service leaves no lock behind', async () => {
    const killed = await serve();
    process.kill(killed.pid, 'SIGKILL');
    await killed.stop();
    // its records stay behind (ClickHouse's status file, driftwatch-service.json)...
    expect(fs.existsSync(path.join(dataDir, 'driftwatch-service.json'))).toBe(true);
    // ...but name no live process, so the store opens
    const status = await runCli(['status', '--json'], env);
    expect(status.stderr).toBe('');
    expect(JSON.parse(status.stdout)).toEqual(STORED);
  });
});
