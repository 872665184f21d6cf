import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, runCli, startCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/store.js';

/** Issue 8, item 9 (the CLI's part) and issue 7's YAML reproduction: clear errors, soon. */
describe('the CLI on bad input', () => {
  it('ingest says within seconds that no broker answers, keeps trying, and stops on SIGTERM', async () => {
    // a port that was just free: nothing listens there
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    const ingest = startCli(['ingest', '--brokers', `127.0.0.1:${port}`], {
      DRIFTWATCH_DATA_DIR: path.join(tempDir('driftwatch-ingest-'), 'data'),
    });
    try {
      await ingest.waitForStderr(
        new RegExp(
          `no Kafka broker answers at 127.0.0.1:${port} \\(connection refused\\); trying again every 5 s in the background`,
        ),
        10_000, // "seconds, not half a minute": a loose bound on purpose
      );
    } finally {
      expect(await ingest.stop()).toBe(0);
    }
    expect(ingest.stderr()).toMatch(/SIGTERM: stopping before Kafka answered/);
  });

  it('validate names an alias bomb by file, line and column, and checks the other files', async () => {
    const dir = tempDir('driftwatch-validate-bomb-');
    const levels = 'abcdefghi';
    const bomb = [
      'model: bomb',
      'a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]',
      ...levels
        .slice(1)
        .split('')
        .map((name, i) => `${name}: &${name} [${Array(9).fill(`*${levels[i]}`).join(', ')}]`),
    ].join('\n');
    fs.writeFileSync(path.join(dir, 'bomb.yaml'), bomb);
    const result = await runCli(['validate', dir]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(
      new RegExp(
        `^${path.join(dir, 'bomb.yaml')}:8:8: the document expands to more than 100,000 values through its aliases`,
      ),
    );
  });

  it('history of an unknown model names the known ones; a backtest backwards is refused', async () => {
    const env = {
      DRIFTWATCH_DATA_DIR: path.join(tempDir('driftwatch-history-'), 'data'),
      DRIFTWATCH_MONITOR_SECRETS: 'RETRAIN_SECRET', // the shipped fraud-detector's webhook
    };
    const history = await runCli(['history', '--model', 'fraud-detectr'], env);
    expect(history.status).toBe(2);
    expect(history.stderr).toBe(
      'driftwatch: --model: unknown model "fraud-detectr": no monitor and no history (known models: churn-model, delivery-time, fraud-detector, ticket-router)\n',
    );
    const backtest = await runCli(
      [
        'backtest',
        '--model',
        'fraud-detector',
        '--from',
        '2026-11-22T12:00:00Z',
        '--to',
        '2026-11-22T12:00:00Z',
      ],
      env,
    );
    expect(backtest.status).toBe(2);
    expect(backtest.stderr).toBe(
      'driftwatch: --from (2026-11-22T12:00:00.000Z) must be before --to (2026-11-22T12:00:00.000Z)\n',
    );
    // a model whose file the access policy refuses is not "unknown": the refusal is said
    const refused = await runCli(['history', '--model', 'fraud-detector'], {
      ...env,
      DRIFTWATCH_MONITOR_SECRETS: '',
    });
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(
      /^driftwatch: \S+fraud-detector\.yaml: the monitor file is invalid: .*RETRAIN_SECRET is not exposed to monitor files/,
    );
  });

  it('read-only commands on a directory with no store say so, and create nothing', async () => {
    const dataDir = path.join(tempDir('driftwatch-nostore-'), 'data');
    const env = {
      DRIFTWATCH_DATA_DIR: dataDir,
      DRIFTWATCH_MONITOR_SECRETS: 'RETRAIN_SECRET', // the shipped fraud-detector's webhook
    };
    const said = `driftwatch: ${dataDir}: no store here yet (DRIFTWATCH_DATA_DIR): nothing has been stored; start the service (driftwatch serve) and send events, or point DRIFTWATCH_DATA_DIR at an existing store\n`;
    for (const args of [
      ['status'],
      ['history', '--model', 'fraud-detector'],
      ['runs', '--model', 'fraud-detector'],
      ['alerts'],
      ['alerts', '--dead'],
      ['alerts', 'silences'],
      ['alerts', 'show', 'abcd1234'],
    ]) {
      const result = await runCli(args, env);
      expect([result.status, result.stderr], args.join(' ')).toEqual([2, said]);
    }
    expect(fs.existsSync(dataDir)).toBe(false);
  }, 120_000);

  it('--version prints the version of package.json', async () => {
    const { version } = JSON.parse(
      fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8'),
    ) as { version: string };
    for (const flag of ['--version', '-V']) {
      const result = await runCli([flag]);
      expect([result.status, result.stdout]).toEqual([0, `${version}\n`]);
    }
  });

  it('serve without monitors warns what is missing and what to do', async () => {
    const dir = tempDir('driftwatch-nomonitors-');
    for (const [monitors, why] of [
      [path.join(dir, 'missing'), 'does not exist'],
      [dir, 'holds no monitor files (*.yaml)'],
    ] as const) {
      const serve = startCli(['serve'], {
        DRIFTWATCH_DATA_DIR: path.join(dir, 'data'),
        DRIFTWATCH_MONITORS_DIR: monitors,
        DRIFTWATCH_PORT: '0',
      });
      const warned = await serve
        .waitForStderr(
          new RegExp(
            `warning: no monitors: the monitors directory ${monitors} ${why.replace(/[()*.]/g, '\\$&')}\\. Events are stored, but nothing is evaluated or alerted\\. Write one YAML file per model there`,
          ),
        )
        .then(
          () => 'warned',
          (error: Error) => error.message,
        );
      // A SIGTERM in the first instants after start-up ended serve by the signal itself here
      // (under vitest only; see the report of issue 18's branch): give it a moment.
      await new Promise((resolve) => setTimeout(resolve, 2000));
      expect([warned, await serve.stop()]).toEqual(['warned', 0]);
    }
  }, 120_000);
});
