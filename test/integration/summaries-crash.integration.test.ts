import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/clickhouse.js';
import { startCli, type RunningCli } from '../helpers/cli.js';
import { watchParts } from '../helpers/parts.js';
import { tempDir } from '../helpers/store.js';
import { eventsPerGrain, SUMMARY_TABLES } from '../helpers/summaryRows.js';

/**
 * Issue 18, item 2, as a user meets it: `driftwatch serve` on its embedded store, events
 * posted over HTTP, the process SIGKILLed during the posts — each time right after an
 * insert's part lands in `events` (the test watches the table's directory), while the
 * insert's materialized views are still writing theirs: the moment a crash leaves events
 * stored and not summarized — then restarted, and in the end every event posted again.
 * What the monitors read (each summary grain's event cells, per model, kind and grain)
 * must equal the distinct stored events, and nothing posted may be missing.
 */
const KILLS = 6;
const BODIES = 8;
const PER_BODY = 6000;
const START = Date.UTC(2026, 10, 20, 12);

function body(index: number): string {
  const lines: string[] = [];
  for (let i = 0; i < PER_BODY; i += 1) {
    const n = index * PER_BODY + i;
    lines.push(
      JSON.stringify({
        type: 'prediction',
        event_id: `e${n}`,
        model: n % 5 === 0 ? 'second' : 'crashy',
        ts: new Date(START + n * 450).toISOString(),
        prediction_id: `p${n}`,
        features: { amount: (n * 7919) % 1000, age: n % 97, channel: ['web', 'app'][n % 2] },
        score: (n % 1000) / 1000,
        attributes: { country: ['US', 'DE', 'FR'][n % 3] },
      }),
    );
  }
  return `${lines.join('\n')}\n`;
}

describe('summaries after SIGKILLs of a service ingesting over HTTP', () => {
  const dir = tempDir('driftwatch-crash-');
  const dataDir = path.join(dir, 'data');
  const monitorsDir = path.join(dir, 'monitors');
  fs.mkdirSync(monitorsDir);
  const env = {
    DRIFTWATCH_DATA_DIR: dataDir,
    DRIFTWATCH_PORT: '0',
    DRIFTWATCH_MONITORS_DIR: monitorsDir,
  };
  const bodies = Array.from({ length: BODIES }, (_, i) => body(i));
  let service: RunningCli | undefined;
  const logs: string[] = [];

  const serve = async (): Promise<{ running: RunningCli; url: string }> => {
    const running = startCli(['serve'], env);
    service = running;
    const url = (await running.waitForStderr(/listening on (http:\/\/\S+);/, 120_000))[1] ?? '';
    return { running, url };
  };
  const post = (url: string, text: string) =>
    fetch(`${url}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: text,
    });

  afterAll(async () => {
    await service?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('counts every stored event once in every summary grain, after kills during its inserts and a full resend', async () => {
    let next = 0;
    /** Posts body after body until the kill cuts one short (a round of only duplicates inserts nothing). */
    const killDuringPosts = async (running: RunningCli, url: string) => {
      const stop = watchParts(dataDir, 'events', () => process.kill(running.pid, 'SIGKILL'));
      try {
        for (let posted = 0; posted < BODIES; posted += 1) {
          const response = await post(url, bodies[next % BODIES]!).catch(() => undefined);
          if (!response) return;
          expect(response.status).toBe(200);
          next += 1;
        }
      } finally {
        stop();
      }
    };
    for (let round = 0; round < KILLS; round += 1) {
      const { running, url } = await serve();
      await killDuringPosts(running, url);
      expect(await running.stop()).toBe(128); // killed by the signal
      logs.push(running.stderr());
    }

    // killed again during the repair at start: once it has staged the cells it adds, before
    // it adds them (a start that finds nothing to repair is killed during posts, and again)
    let killedDuringRepair = false;
    for (let attempt = 0; attempt < 3 && !killedDuringRepair; attempt += 1) {
      const repairing = startCli(['serve'], env);
      service = repairing;
      const stop = watchParts(dataDir, 'summary_repairs', () =>
        process.kill(repairing.pid, 'SIGKILL'),
      );
      const url = await repairing.waitForStderr(/listening on (http:\/\/\S+);/, 120_000).then(
        (match) => match[1] ?? '',
        () => undefined,
      );
      stop();
      if (url === undefined) killedDuringRepair = true;
      else await killDuringPosts(repairing, url);
      await repairing.stop();
      logs.push(repairing.stderr());
    }
    expect(killedDuringRepair).toBe(true);

    // the client's retry: everything again; what is stored already counts as a duplicate
    const { running, url } = await serve();
    for (const text of bodies) {
      const response = await post(url, text);
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ accepted: PER_BODY, rejected: 0 });
    }
    expect(await running.stop()).toBe(0);
    logs.push(running.stderr());

    const store = await openStore({ kind: 'embedded', dataDir, database: 'driftwatch' });
    try {
      const [stored] = await store.query<{ distinct: string }>(
        'SELECT count() AS distinct FROM events FINAL',
      );
      expect(Number(stored?.distinct)).toBe(BODIES * PER_BODY); // none lost
      const grains = await eventsPerGrain(store);
      for (const table of SUMMARY_TABLES) {
        const { stored: want, summarized: have } = grains[table];
        const differing = [...new Set([...want.keys(), ...have.keys()])]
          .filter((key) => want.get(key) !== have.get(key))
          .map((key) => `${key}: ${have.get(key) ?? 0} summarized, ${want.get(key) ?? 0} stored`);
        expect({ table, differing: differing.slice(0, 10) }).toEqual({ table, differing: [] });
        const total = [...have.values()].reduce((sum, n) => sum + n, 0);
        expect({ table, total }).toEqual({ table, total: BODIES * PER_BODY }); // none counted twice
      }
    } finally {
      await store.close();
    }
    // the kills did cut inserts short: the restarts found the gaps and repaired them
    const repairs = logs.join('\n').match(/"msg":"summary gap repaired/g) ?? [];
    expect(repairs.length).toBeGreaterThan(0);
  }, 900_000);
});
