import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { watchParts } from '../test/helpers/parts.js';
import { superviseProcess, type Incarnation, type SupervisedProcess } from './children.js';
import type { HttpStoreCounts } from './counts.js';
import { sleep } from './timing.js';

/**
 * HTTP ingest in the soak (issue 18, item 9): a `serve --role api` process on an embedded
 * store of its own — the default deployment, where a SIGKILL takes the engine down with
 * the process, in the middle of an insert's materialized views — fed by a client posting
 * NDJSON bodies at a steady rate and resending a body whole until it is acknowledged (as
 * any client must after a cut connection, a 408 or a 503). The soak SIGKILLs the service,
 * sometimes right after an insert's part lands in `events` (the moment that left events
 * stored and never summarized), sometimes at once. At the end: every acknowledged event
 * stored once, and every summary grain counting exactly the distinct stored events.
 */
export const HTTP_MODEL = 'soak-http';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** Bodies alternate: one insert, and several (the route writes 4,096 events at a time). */
const BODY_SIZES = [500, 6000];

export type HttpKillPoint = 'insert' | 'now';

export interface HttpKill {
  atMs: number;
  point: HttpKillPoint;
  detail: string;
}

export interface HttpIngestResult {
  rate: number;
  /** Events of bodies answered 200 with every event accepted: h-0 .. h-(acknowledged - 1). */
  acknowledged: number;
  bodies: number;
  /** Sends of a body after a failed one (each whole). */
  resends: number;
  /** Answers by status ('connection' for a send that got none). */
  answers: Record<string, number>;
  kills: HttpKill[];
  incarnations: Incarnation[];
  /** 'summary gap repaired' lines the service logged (its restarts finding what a kill cut). */
  repairsLogged: number;
  counts: HttpStoreCounts;
}

export interface HttpIngest {
  kill(point: HttpKillPoint): Promise<HttpKill>;
  /** Stops posting (the body in hand is sent until acknowledged), stops the service, counts its store. */
  stop(): Promise<HttpIngestResult>;
}

export function startHttpIngest(options: {
  runDir: string;
  /** Events per second. */
  rate: number;
  env: NodeJS.ProcessEnv;
}): HttpIngest {
  const dataDir = path.join(options.runDir, 'http-data');
  const monitorsDir = path.join(options.runDir, 'http-monitors');
  fs.mkdirSync(monitorsDir, { recursive: true });
  const service = superviseProcess({
    name: 'http ingest',
    command: process.execPath,
    args: [path.join(ROOT, 'bin/driftwatch.js'), 'serve', '--role', 'api'],
    // no CLICKHOUSE_URL (the soak's environment has none): the embedded store
    env: {
      ...options.env,
      DRIFTWATCH_DATA_DIR: dataDir,
      DRIFTWATCH_MONITORS_DIR: monitorsDir,
    },
    logFile: path.join(options.runDir, 'http-ingest.log'),
    restartDelayMs: 1000,
  });
  let repairsLogged = 0;
  service.onLine((line) => {
    if (line.includes('"msg":"summary gap repaired')) repairsLogged += 1;
  });
  const client = startClient(service, options.rate);
  const kills: HttpKill[] = [];
  let stopped: Promise<HttpIngestResult> | undefined;

  async function stop(): Promise<HttpIngestResult> {
    const sent = await client.stop();
    await service.stop();
    const counts = JSON.parse(
      countStore([dataDir, HTTP_MODEL, String(sent.acknowledged)]),
    ) as HttpStoreCounts;
    return {
      rate: options.rate,
      ...sent,
      kills,
      incarnations: service.incarnations,
      repairsLogged,
      counts,
    };
  }

  return {
    async kill(point) {
      const atMs = Date.now();
      const detail = await killService(service, dataDir, point);
      const record = { atMs, point, detail };
      kills.push(record);
      return record;
    },
    stop() {
      stopped ??= stop();
      return stopped;
    },
  };
}

function countStore(args: string[]): string {
  return execFileSync(
    process.execPath,
    ['--import', 'tsx', path.join(ROOT, 'soak/countStore.ts'), ...args],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
  );
}

/**
 * SIGKILLs the service: right after the next insert's part lands in `events` (within 30 s,
 * else at once), or at once. Its supervisor starts the next one.
 */
async function killService(
  service: SupervisedProcess,
  dataDir: string,
  point: HttpKillPoint,
): Promise<string> {
  const live = service.current();
  if (!live?.address) return 'no service alive to kill';
  if (point === 'now') return `pid ${service.killNow()} at once`;
  const killed = await new Promise<string>((resolve) => {
    const timer = setTimeout(() => {
      stop();
      resolve(`pid ${service.killNow()} at once (no insert seen within 30 s)`);
    }, 30_000);
    const stop = watchParts(dataDir, 'events', () => {
      clearTimeout(timer);
      stop();
      resolve(`pid ${service.killNow()} right after an insert's part landed in events`);
    });
  });
  return killed;
}

/** The client: bodies of consecutive ids at `rate` events/s, each resent until acknowledged. */
function startClient(service: SupervisedProcess, rate: number) {
  let stopping = false;
  let acknowledged = 0;
  let bodies = 0;
  let resends = 0;
  const answers: Record<string, number> = {};
  const count = (key: string) => (answers[key] = (answers[key] ?? 0) + 1);
  const startedMs = Date.now();

  async function send(text: string, size: number): Promise<void> {
    for (let sent = 0; ;) {
      const address = service.current()?.address;
      if (!address) {
        await sleep(200); // the service is starting again
        continue;
      }
      if (sent > 0) resends += 1;
      sent += 1;
      try {
        const response = await fetch(`${address}/v1/events?type=prediction`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-ndjson' },
          body: text,
          signal: AbortSignal.timeout(180_000),
        });
        count(String(response.status));
        const answer = (await response.json()) as { accepted?: number };
        if (response.status === 200 && answer.accepted === size) return;
      } catch {
        count('connection');
      }
      await sleep(500);
    }
  }

  const running = (async () => {
    while (!stopping) {
      const size = BODY_SIZES[bodies % BODY_SIZES.length]!;
      // paced: the body's last event is due at rate
      await sleep(startedMs + ((acknowledged + size) / rate) * 1000 - Date.now());
      await send(body(acknowledged, size), size);
      acknowledged += size;
      bodies += 1;
    }
  })();

  return {
    async stop() {
      stopping = true;
      await running;
      return { acknowledged, bodies, resends, answers };
    },
  };
}

/** Events h-first .. h-(first + size - 1), timed just now. */
function body(first: number, size: number): string {
  const now = Date.now();
  const lines: string[] = [];
  for (let i = 0; i < size; i += 1) {
    const n = first + i;
    lines.push(
      `{"event_id":"h-${n}","model":"${HTTP_MODEL}","model_version":"v1",` +
        `"ts":"${new Date(now - size + i).toISOString()}","prediction_id":"p-h-${n}",` +
        `"features":{"amount":${(n * 7919) % 1000},"device_score":${(n % 997) / 997},` +
        `"merchant_category":"${['grocery', 'travel', 'fuel'][n % 3]}"},` +
        `"score":${(n % 1000) / 1000},"attributes":{"country":"${['US', 'GB', 'DE'][n % 3]}"}}`,
    );
  }
  return `${lines.join('\n')}\n`;
}
