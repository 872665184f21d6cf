import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken, type Role } from '../../src/api/auth/tokens.js';
import { REPO_ROOT, runCli, startCli, type RunningCli } from '../helpers/cli.js';
import { clearOfTheHour } from '../helpers/hourlyTick.js';
import { tempDir } from '../helpers/store.js';

/** Debian's interpreter, as the client's users on Debian have it (not whatever is on PATH). */
const PYTHON = '/usr/bin/python3';
const CLIENT = path.join(REPO_ROOT, 'clients/python');

/**
 * The Python client (clients/python, standard library only) against a real service: the
 * real `driftwatch serve` with API tokens, monitors written by `driftwatch init`. Its
 * unittest suite runs twice — with Debian's pandas, and with pandas blocked — and the
 * notebook-style quickstart runs as a script; each must pass, nothing skipped.
 */
describe('the Python client against a running service', () => {
  const dir = tempDir('driftwatch-python-');
  const tokens = Object.fromEntries(
    (['ingest', 'read', 'operator', 'admin'] as Role[]).map((role) => [
      role,
      createToken(role, `python-${role}`),
    ]),
  );
  const env = {
    DRIFTWATCH_DATA_DIR: path.join(dir, 'data'),
    DRIFTWATCH_MONITORS_DIR: path.join(dir, 'monitors'),
    DRIFTWATCH_PORT: '0',
    DRIFTWATCH_TOKENS: Object.values(tokens)
      .map((token) => token.line)
      .join(','),
  };
  let service: RunningCli | undefined;
  let url = '';
  /**
   * The last complete window of the hourly schedule (windows lie on its grid): the one the
   * service evaluated when it started, run again with the suite's events.
   */
  const lastHour = () => Math.floor(Date.now() / 3_600_000) * 3_600_000;

  beforeAll(async () => {
    fs.mkdirSync(path.join(dir, 'training'));
    fs.copyFileSync(
      path.join(REPO_ROOT, 'examples/baseline.csv'),
      path.join(dir, 'training/baseline.csv'),
    );
    for (const model of ['py-fraud', 'py-fraud-2', 'card-fraud']) {
      const init = await runCli(
        ['init', '--model', model, '--baseline', path.join(dir, 'training/baseline.csv')],
        env,
      );
      expect(init.stderr).toBe('');
      expect(init.status).toBe(0);
    }
    service = startCli(['serve'], env);
    url = (await service.waitForStderr(/listening on (http:\/\/\S+);/, 120_000))[1] ?? '';
  }, 180_000);
  afterAll(async () => {
    await service?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const suiteEnv = (model: string) => ({
    DRIFTWATCH_TEST_URL: url,
    DRIFTWATCH_TEST_INGEST_TOKEN: tokens.ingest?.token ?? '',
    DRIFTWATCH_TEST_READ_TOKEN: tokens.read?.token ?? '',
    DRIFTWATCH_TEST_OPERATOR_TOKEN: tokens.operator?.token ?? '',
    DRIFTWATCH_TEST_MODEL: model,
    DRIFTWATCH_TEST_WINDOW_END: new Date(lastHour()).toISOString(),
    DRIFTWATCH_TEST_EXAMPLES: path.join(REPO_ROOT, 'examples'),
    DRIFTWATCH_COMMAND: `'${process.execPath}' '${path.join(REPO_ROOT, 'bin/driftwatch.js')}'`,
  });

  it('passes its tests with pandas (DataFrames in and out)', async () => {
    await clearOfTheHour();
    const result = await python(
      ['-m', 'unittest', 'discover', '-s', 'tests', '-t', '.', '-v'],
      { ...suiteEnv('py-fraud'), DRIFTWATCH_TEST_PANDAS: 'required' },
      CLIENT,
    );
    expectPassed(result, 18);
  }, 480_000);

  it('passes its tests with pandas blocked (lists of dicts, a clear message for DataFrames)', async () => {
    await clearOfTheHour();
    const blocker = path.join(dir, 'no-pandas');
    fs.mkdirSync(path.join(blocker, 'pandas'), { recursive: true });
    fs.writeFileSync(
      path.join(blocker, 'pandas/__init__.py'),
      'raise ImportError("pandas is blocked for this test run")\n',
    );
    const result = await python(
      ['-m', 'unittest', 'discover', '-s', 'tests', '-t', '.', '-v'],
      { ...suiteEnv('py-fraud-2'), DRIFTWATCH_TEST_PANDAS: 'blocked', PYTHONPATH: blocker },
      CLIENT,
    );
    expectPassed(result, 18);
  }, 480_000);

  it('runs the quickstart notebook as a script: posts, evaluates, shows the firing alerts', async () => {
    await clearOfTheHour();
    const result = await python(
      [path.join(CLIENT, 'examples/quickstart.py')],
      {
        DRIFTWATCH_URL: url,
        DRIFTWATCH_TOKEN: tokens.admin?.token ?? '',
        DRIFTWATCH_MODEL: 'card-fraud',
        DRIFTWATCH_COMMAND: suiteEnv('card-fraud').DRIFTWATCH_COMMAND,
      },
      dir,
    );
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^8000 predictions from /m);
    expect(result.stdout).toMatch(/^accepted 8000, rejected 0, duplicates 0$/m);
    expect(result.stdout).toMatch(/: critical, \d+ breaches$/m);
    expect(result.stdout).toMatch(/^\d+ alert\(s\) firing, \d+ of them from this window$/m);
    expect(result.stdout).toMatch(/^ {2}critical +psi +amount +channel=web$/m);
    expect(result.stdout).toMatch(/^report: \d+ of \d+ entries drifted: /m);
  }, 480_000);
});

interface PythonResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs Debian's python3 with the client importable and no bytecode left in the checkout. */
function python(args: string[], env: Record<string, string>, cwd: string): Promise<PythonResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, args, {
      cwd,
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: process.env.HOME ?? '/tmp',
        PYTHONDONTWRITEBYTECODE: '1',
        ...env,
        PYTHONPATH: [env.PYTHONPATH, CLIENT].filter(Boolean).join(path.delimiter),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ status: code ?? -1, stdout, stderr }));
  });
}

/** unittest's verdict: every test ran and passed, none skipped. */
function expectPassed(result: PythonResult, tests: number): void {
  const summary = `${result.stderr}\n${result.stdout}`;
  expect(summary, summary).toMatch(new RegExp(`^Ran ${tests} tests in `, 'm'));
  expect(summary).toMatch(/^OK$/m);
  expect(result.status).toBe(0);
}
