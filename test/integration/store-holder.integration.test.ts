import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startCli, type RunningCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/store.js';

/**
 * Issue 18, item 4: no time zone, clock step or reused pid makes a held store look free.
 * A real demo holds its directory (engine started in UTC); a second demo and the read
 * commands run beside it in other time zones, and after its status file's start time no
 * longer agrees with /proc (what a 14 s clock step does). The directory survives, and
 * every answer is one line that says what to do.
 */
const ZONES = ['Asia/Kolkata', 'Europe/Berlin', 'America/New_York', 'Pacific/Chatham', 'UTC'];

describe('a store held by a live demo stays held', () => {
  const dataDir = path.join(tempDir('driftwatch-holder-'), 'data');
  const env = { DRIFTWATCH_DATA_DIR: dataDir, DRIFTWATCH_PORT: '0', TZ: 'UTC' };
  let holder: RunningCli;
  let url = '';

  /** The directory's top-level entries and its tables' definitions: what a reset removes. */
  const listing = () => [
    ...fs.readdirSync(dataDir).filter((name) => name !== 'tmp'),
    ...fs
      .readdirSync(path.join(dataDir, 'metadata'), { recursive: true })
      .map((name) => `metadata/${String(name)}`),
  ];

  beforeAll(async () => {
    holder = startCli(['demo', '--hours', '1', '--events-per-hour', '300', '--live', '600'], env);
    // the demo is live once it has written its service record
    const record = path.join(dataDir, 'driftwatch-service.json');
    for (let i = 0; i < 1200 && !fs.existsSync(record); i += 1) await sleep(100);
    url = (JSON.parse(fs.readFileSync(record, 'utf8')) as { url: string }).url;
    // its history is stored and evaluated before it streams live events
    for (let i = 0; i < 600; i += 1) {
      const runs = await fetch(`${url}/v1/models/fraud-detector/runs`).then((r) => r.json());
      if ((runs as { total: number }).total >= 2) break;
      await sleep(200);
    }
  }, 180_000);

  afterAll(async () => {
    expect(await holder.stop()).toBe(0);
  });

  const heldBy = () =>
    new RegExp(
      `^driftwatch: the embedded store ${dataDir} is in use by pid ${holder.pid} \\(driftwatch demo --hours 1 --events-per-hour 300 --live 600\\) since \\S+, serving ${url}; stop that process first \\(kill ${holder.pid}\\), or set DRIFTWATCH_DATA_DIR to another directory\\n$`,
    );

  it.each(ZONES)(
    'a second demo in %s refuses, and empties nothing',
    async (zone) => {
      const before = listing();
      expect(before).toContain('.driftwatch-demo');
      const second = await runCli(['demo', '--hours', '1', '--live', '0'], { ...env, TZ: zone });
      expect(second.stderr).toMatch(heldBy());
      expect(second.status).toBe(1);
      expect(second.stdout).not.toContain('starting afresh');
      const after = listing();
      expect(before.filter((name) => !after.includes(name))).toEqual([]);
      expect(after).toContain('metadata/default/alert_states.sql');
      const status = await fetch(`${url}/v1/status`);
      expect(status.status).toBe(200);
    },
    120_000,
  );

  it.each(ZONES)(
    'status and runs in %s answer through the holder',
    async (zone) => {
      const status = await runCli(['status', '--json'], { ...env, TZ: zone });
      expect(status.stderr).toBe('');
      const counts = JSON.parse(status.stdout) as { events: { predictions: number } };
      expect(counts.events.predictions).toBeGreaterThanOrEqual(600);
      const runs = await runCli(['runs', '--model', 'fraud-detector', '--json'], {
        ...env,
        TZ: zone,
      });
      expect(runs.stderr).toBe('');
      expect((JSON.parse(runs.stdout) as unknown[]).length).toBeGreaterThanOrEqual(2);
    },
    120_000,
  );

  it('after a 14 s clock step the store is still held, and no engine error reaches the user', async () => {
    // The engine wrote its start in local time; a clock stepped 14 s forward since moves
    // /proc's idea of that start 14 s later. Writing the start 14 s earlier is the same
    // disagreement, with the engine's lock left in place.
    const statusFile = path.join(dataDir, 'status');
    const text = fs.readFileSync(statusFile, 'utf8');
    const started = /^Started at: (\S+ \S+)$/m.exec(text)?.[1] ?? '';
    const earlier = new Date(new Date(`${started}Z`).getTime() - 14_000)
      .toISOString()
      .replace('T', ' ')
      .slice(0, 19);
    fs.writeFileSync(statusFile, text.replace(started, earlier));
    for (const args of [
      ['status', '--json'],
      ['history', '--model', 'fraud-detector', '--limit', '5', '--json'],
      ['runs', '--model', 'fraud-detector', '--json'],
    ]) {
      const answer = await runCli(args, env);
      expect(answer.stderr, args.join(' ')).toBe('');
      expect(answer.status, args.join(' ')).toBe(0);
    }
    const second = await runCli(['demo', '--hours', '1', '--live', '0'], env);
    expect(second.stderr).toMatch(heldBy());
    expect(second.stderr).not.toContain('Code: 76');
    expect(fs.existsSync(path.join(dataDir, '.driftwatch-demo'))).toBe(true);
  }, 120_000);
});
