import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openStore, type Store } from '../src/store/clickhouse.js';
import { migrate } from '../src/store/migrate.js';
import { startClickHouseHttpStandIn } from '../test/helpers/clickhouseHttp.js';
import buildMockBroker from '../test/helpers/globalSetup.js';
import { startMockBroker, type MockBroker } from '../test/helpers/kafka.js';
import {
  killWithSoak,
  residentMiB,
  superviseProcess,
  type Incarnation,
  type SupervisedProcess,
} from './children.js';
import {
  BROKERS,
  createOffsetObserver,
  GROUP,
  PARTITIONS,
  TOPICS,
  type OffsetObserver,
} from './cluster.js';
import { countInserts, finalCounts, type FinalCounts } from './counts.js';
import {
  brokersDown,
  failover,
  killMidBatch,
  scaleOut,
  storeOutage,
  type FaultRecord,
} from './faults.js';
import { startHttpIngest, type HttpIngest, type HttpIngestResult } from './httpIngest.js';
import { baselineCsv, MONITOR_YAML, SOAK_MAX_EVENT_BYTES } from './messages.js';
import type { Injection, ProducerProgress, ProducerSettings } from './protocol.js';
import { startStoreProxy, type StoreProxy } from './storeProxy.js';
import {
  findStalls,
  missedMinuteWindows,
  resumedAfter,
  tallyInjections,
  type InjectionTally,
  type ProgressSample,
  type Stall,
} from './tally.js';
import { clamp, every, sleep } from './timing.js';

export type { FaultRecord } from './faults.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface SoakOptions {
  minutes: number;
  /** Good predictions per second. */
  rate: number;
  /** The consumers' KAFKA_SESSION_TIMEOUT_MS: how long a killed consumer's partitions wait. */
  sessionTimeoutMs: number;
  /** Events per second posted over HTTP to a service on its own embedded store (0: none). */
  httpRate: number;
  /** Where logs, the monitor file and its baseline go. */
  runDir: string;
  log(line: string): void;
}

export interface RssSample {
  atMs: number;
  /** 'store': the soak's own process, where the embedded store runs. */
  process: 'consumer' | 'scheduler' | 'store';
  pid: number;
  mib: number;
}

export interface ReadinessSpan {
  fromMs: number;
  toMs: number;
  detail: string;
}

export interface SoakResult {
  startedMs: number;
  endedMs: number;
  options: Omit<SoakOptions, 'log'>;
  load: { before: number[]; after: number[]; samples: number[] };
  producer: ProducerProgress & { injections: Injection[]; exitCode: number | null };
  events: FinalCounts['events'];
  labels: FinalCounts['labels'];
  deadLetters: FinalCounts['deadLetters'];
  injections: InjectionTally;
  infinitiesStored: number;
  stalls: Stall[];
  drained: boolean;
  /** A partition's low watermark passed its committed offset: the broker dropped unread messages. */
  retentionOvertook: string[];
  faults: FaultRecord[];
  consumer: { incarnations: Incarnation[]; readiness: ReadinessSpan[] };
  scheduler: { incarnations: Incarnation[]; failures: string[] };
  monitorRuns: FinalCounts['monitorRuns'] & { missedWindows: number[] };
  summaries: FinalCounts['summaries'];
  rss: RssSample[];
  /** HTTP ingest with SIGKILLs, on its own embedded store (absent with --http-rate 0). */
  http?: HttpIngestResult;
}

/**
 * The soak: a store, a broker and the service's processes, a producer at a steady rate,
 * observers of progress and memory, the faults on a timeline proportional to the run's
 * length; then production stops, the consumer catches up, and the store is counted.
 */
export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const durationMs = options.minutes * 60_000;
  prepareRunDirectory(options.runDir);
  await buildMockBroker();
  buildCliIfStale(options.log);
  const cleanups: (() => Promise<void>)[] = [];
  try {
    const loadBefore = os.loadavg();
    const world = await startWorld(cleanups, options.log);
    const startedMs = Date.now();
    const services = startServices(world, options, cleanups);
    const producer = startProducer(world.broker.bootstrap, options.rate, cleanups);
    const http = startHttp(world, options, cleanups);
    const observed = observe(world, services, options.runDir, cleanups);

    const httpFaults = http ? runHttpFaults(http, startedMs, durationMs, options.log) : undefined;
    const faults = await runFaults(world, services, startedMs, durationMs, options.log);
    await httpFaults;
    await sleep(startedMs + 0.9 * durationMs - Date.now());
    options.log('producer: stopping; waiting for the consumer to catch up');
    const produced = await producer.stop();
    const httpResult = await http?.stop();
    if (httpResult)
      options.log(`http: ${httpResult.acknowledged} events acknowledged; store counted`);
    const drained = await drain(observed.samples, Math.max(startedMs + durationMs, Date.now()));
    await sleep(1500); // a last look, so an open stall ends where the run ends
    observed.stop();
    const loadAfter = os.loadavg();
    fs.writeFileSync(path.join(options.runDir, 'samples.json'), JSON.stringify(observed.samples));

    // a tick may still be running at the stop: windows ending in the last seconds are not owed
    const schedulerOwesUntil = Date.now() - 5000;
    await services.scheduler.stop();
    await services.consumer.stop();
    const endedMs = Date.now();
    const counts = await finalCounts(world.store, produced.goodAcked, produced.injections);
    return {
      startedMs,
      endedMs,
      options: {
        minutes: options.minutes,
        rate: options.rate,
        sessionTimeoutMs: options.sessionTimeoutMs,
        httpRate: options.httpRate,
        runDir: options.runDir,
      },
      load: { before: loadBefore, after: loadAfter, samples: observed.load },
      producer: produced,
      events: counts.events,
      labels: counts.labels,
      deadLetters: counts.deadLetters,
      injections: tallyInjections(produced.injections, counts.deadLetterGroups, (id) =>
        counts.injectedStored.has(id),
      ),
      infinitiesStored: counts.infinitiesStored,
      stalls: findStalls(observed.samples),
      drained,
      retentionOvertook: [...observed.retentionOvertook],
      faults: faults
        .sort((a, b) => a.fromMs - b.fromMs)
        .map((fault) => ({
          ...fault,
          progressAfterMs: resumedAfter(observed.samples, resumeFrom(fault, services.consumer)),
        })),
      consumer: { incarnations: services.consumer.incarnations, readiness: observed.readiness },
      scheduler: {
        incarnations: services.scheduler.incarnations,
        failures: services.schedulerFailures,
      },
      monitorRuns: {
        ...counts.monitorRuns,
        missedWindows: missedMinuteWindows(
          services.scheduler.incarnations[0]?.startedMs ?? startedMs,
          schedulerOwesUntil,
          counts.windowEnds,
        ),
      },
      rss: observed.rss,
      summaries: counts.summaries,
      ...(httpResult ? { http: httpResult } : {}),
    };
  } finally {
    for (const cleanup of cleanups) await cleanup().catch(() => undefined);
  }
}

interface World {
  store: Store;
  /** The consumer's and the scheduler's ways to the store, which the faults cut. */
  proxies: { consumer: StoreProxy; scheduler: StoreProxy; second: StoreProxy };
  broker: MockBroker;
  observer: OffsetObserver;
}

/**
 * The store: ClickHouse's HTTP interface answered by an embedded engine in this process
 * (so the service's processes share one store, as they would share a server), reached
 * through proxies the soak can cut. The broker: librdkafka's mock cluster.
 */
async function startWorld(
  cleanups: (() => Promise<void>)[],
  log: (line: string) => void,
): Promise<World> {
  const standIn = await startClickHouseHttpStandIn();
  cleanups.unshift(() => standIn.close());
  const store = await openStore({
    kind: 'server',
    url: standIn.url,
    username: 'default',
    password: '',
    database: 'driftwatch',
    waitMs: 0,
  });
  cleanups.unshift(() => store.close());
  await migrate(store);
  await countInserts(store);
  const target = new URL(standIn.url);
  const upstream = { host: target.hostname, port: Number(target.port) };
  const proxies = {
    consumer: await startStoreProxy(upstream),
    scheduler: await startStoreProxy(upstream),
    second: await startStoreProxy(upstream),
  };
  cleanups.unshift(async () => {
    for (const proxy of Object.values(proxies)) await proxy.close();
  });
  const broker = await startMockBroker({
    brokers: BROKERS,
    topics: {
      [TOPICS.predictions]: PARTITIONS.predictions,
      [TOPICS.features]: PARTITIONS.features,
      [TOPICS.labels]: PARTITIONS.labels,
    },
  });
  cleanups.unshift(() => broker.stop());
  await broker.command(`coordinator ${GROUP} 1`);
  const observer = createOffsetObserver(broker.bootstrap);
  cleanups.unshift(() => observer.close());
  log(`store: ClickHouse HTTP stand-in ${standIn.url} (embedded engine in this process)`);
  log(`broker: librdkafka mock cluster of ${BROKERS} at ${broker.bootstrap}`);
  return { store, proxies, broker, observer };
}

interface Services {
  consumer: SupervisedProcess;
  scheduler: SupervisedProcess;
  schedulerFailures: string[];
  /** A second consumer in the same group (scale-out): started by the fault, stopped by it. */
  startSecondConsumer(): SupervisedProcess;
}

/** The consumer and the scheduler, each its own process, restarted whenever it ends. */
function startServices(
  world: World,
  options: SoakOptions,
  cleanups: (() => Promise<void>)[],
): Services {
  const env = serviceEnv(options.runDir, world.broker.bootstrap, options.sessionTimeoutMs);
  const cli = path.join(ROOT, 'bin/driftwatch.js');
  const scheduler = superviseProcess({
    name: 'scheduler',
    command: process.execPath,
    args: [cli, 'serve', '--role', 'scheduler'],
    env: { ...env, CLICKHOUSE_URL: world.proxies.scheduler.url },
    logFile: path.join(options.runDir, 'scheduler.log'),
    restartDelayMs: 1000,
  });
  cleanups.unshift(() => scheduler.stop());
  const schedulerFailures: string[] = [];
  scheduler.onLine((line) => {
    // serve logs JSON lines: the service's own sayings are their `msg`.
    if (/"msg":"monitor soak failed/.test(line)) schedulerFailures.push(line);
  });
  const consumer = superviseProcess({
    name: 'consumer',
    command: process.execPath,
    args: [cli, 'serve', '--role', 'ingest', '--kafka'],
    env: { ...env, CLICKHOUSE_URL: world.proxies.consumer.url },
    logFile: path.join(options.runDir, 'consumer.log'),
    restartDelayMs: 1000,
  });
  cleanups.unshift(() => consumer.stop());
  const startSecondConsumer = () => {
    const second = superviseProcess({
      name: 'second consumer',
      command: process.execPath,
      args: [cli, 'serve', '--role', 'ingest', '--kafka'],
      env: { ...env, KAFKA_CLIENT_ID: 'soak-ingest-2', CLICKHOUSE_URL: world.proxies.second.url },
      logFile: path.join(options.runDir, 'consumer-2.log'),
      restartDelayMs: 1000,
    });
    cleanups.unshift(() => second.stop());
    return second;
  };
  return { consumer, scheduler, schedulerFailures, startSecondConsumer };
}

/** The producer process (soak/producer.ts); `stop` ends production and returns its tally. */
function startProducer(
  bootstrap: string,
  rate: number,
  cleanups: (() => Promise<void>)[],
): { stop(): Promise<SoakResult['producer']> } {
  const settings: ProducerSettings = {
    bootstrap,
    topics: { predictions: TOPICS.predictions, labels: TOPICS.labels },
    partitions: { predictions: PARTITIONS.predictions, labels: PARTITIONS.labels },
    rate,
    badEvery: 100,
    labelEvery: 10,
    monthsEveryMs: 60_000,
    seed: 42,
  };
  const child: ChildProcess = fork(
    path.join(ROOT, 'soak/producer.ts'),
    [JSON.stringify(settings)],
    { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
  );
  killWithSoak(child);
  cleanups.unshift(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  const injections: Injection[] = [];
  let last: ProducerProgress = {
    type: 'progress',
    goodAcked: 0,
    labelsAcked: 0,
    injections: [],
    pending: 0,
    sendFailures: 0,
    lastError: null,
    acknowledgedByCodec: {},
  };
  child.on('message', (message: ProducerProgress) => {
    injections.push(...message.injections);
    last = message;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  return {
    async stop() {
      if (child.connected) child.send({ type: 'stop' });
      const exitCode = await exited;
      return { ...last, injections, exitCode };
    },
  };
}

interface Observations {
  samples: ProgressSample[];
  rss: RssSample[];
  readiness: ReadinessSpan[];
  load: number[];
  retentionOvertook: Set<string>;
  stop(): void;
}

/** Partitions' progress every second; memory, load and readiness every two. */
function observe(
  world: World,
  services: Services,
  runDir: string,
  cleanups: (() => Promise<void>)[],
): Observations {
  const observed: Omit<Observations, 'stop'> = {
    samples: [],
    rss: [],
    readiness: [],
    load: [],
    retentionOvertook: new Set(),
  };
  const timers = [
    every(1000, async () => {
      const partitions = await world.observer.sample();
      observed.samples.push({ atMs: Date.now(), partitions: partitions?.offsets ?? null });
      for (const key of partitions?.overtaken ?? []) observed.retentionOvertook.add(key);
    }),
    every(2000, async () => {
      for (const service of [services.consumer, services.scheduler]) {
        const pid = service.current()?.pid;
        const mib = pid === undefined ? undefined : residentMiB(pid);
        const name = service === services.consumer ? 'consumer' : 'scheduler';
        if (pid !== undefined && mib !== undefined)
          observed.rss.push({ atMs: Date.now(), process: name, pid, mib });
      }
      observed.rss.push({
        atMs: Date.now(),
        process: 'store',
        pid: process.pid,
        mib: process.memoryUsage.rss() / 2 ** 20,
      });
      observed.load.push(os.loadavg()[0]!);
    }),
    every(2000, async () => {
      const address = services.consumer.current()?.address;
      if (!address) return;
      const state = await fetchReadiness(address);
      if (state.ok) return;
      const now = Date.now();
      const open = observed.readiness.at(-1);
      if (open && now - open.toMs < 5000) open.toMs = now;
      else observed.readiness.push({ fromMs: now, toMs: now, detail: state.detail });
    }),
    // what the consumer itself reports per partition it holds, kept for post-mortems
    every(5000, async () => {
      const current = services.consumer.current();
      if (!current?.address) return;
      const response = await fetch(`${current.address}/metrics`, {
        signal: AbortSignal.timeout(3000),
      });
      const held = (await response.text())
        .split('\n')
        .filter((line) => /^driftwatch_kafka_/.test(line));
      fs.appendFileSync(
        path.join(runDir, 'consumer-metrics.log'),
        `--- ${new Date().toISOString()} pid ${current.pid}\n${held.join('\n')}\n`,
      );
    }),
  ];
  const stop = () => {
    for (const timer of timers) timer.stop();
  };
  cleanups.unshift(async () => stop());
  return { ...observed, stop };
}

/** The faults, at fixed fractions of the run, one after the other. */
async function runFaults(
  world: World,
  services: Services,
  startedMs: number,
  durationMs: number,
  log: (line: string) => void,
): Promise<FaultRecord[]> {
  const faults: FaultRecord[] = [];
  const { consumer } = services;
  const proxy = world.proxies.consumer;
  const storeOutageMs = clamp(durationMs * 0.1, 10_000, 90_000);
  const timeline: { at: number; run: () => Promise<FaultRecord> }[] = [
    { at: 0.12, run: () => killMidBatch(consumer, proxy, 'request') },
    { at: 0.2, run: () => killMidBatch(consumer, proxy, 'executed') },
    {
      at: 0.28,
      run: () =>
        storeOutage(Object.values(world.proxies), storeOutageMs, async () => {
          // a consumer started while the store is away must get going once it is back
          await sleep(storeOutageMs * 0.3);
          faults.push(await killMidBatch(consumer, proxy, 'now'));
        }),
    },
    { at: 0.45, run: () => killMidBatch(consumer, proxy, 'acknowledged') },
    {
      at: 0.53,
      run: () => brokersDown(world.broker, clamp(durationMs * 0.06, 8_000, 60_000)),
    },
    {
      at: 0.66,
      run: () =>
        failover(world.broker, world.observer.admin, clamp(durationMs * 0.05, 8_000, 45_000)),
    },
    { at: 0.76, run: () => killMidBatch(consumer, proxy, 'executed') },
    {
      at: 0.8,
      run: () => scaleOut(services.startSecondConsumer, clamp(durationMs * 0.07, 12_000, 60_000)),
    },
  ];
  for (const step of timeline) {
    await sleep(startedMs + step.at * durationMs - Date.now());
    const record = await step.run();
    faults.push(record);
    log(`fault: ${record.name}: ${record.detail}`);
  }
  return faults;
}

/** HTTP ingest on its own store, when the run has an HTTP rate; its service stops with the soak. */
function startHttp(
  world: World,
  options: SoakOptions,
  cleanups: (() => Promise<void>)[],
): HttpIngest | undefined {
  if (options.httpRate <= 0) return undefined;
  const http = startHttpIngest({
    runDir: options.runDir,
    rate: options.httpRate,
    env: serviceEnv(options.runDir, world.broker.bootstrap, options.sessionTimeoutMs),
  });
  cleanups.unshift(async () => {
    await http.stop().catch(() => undefined);
  });
  return http;
}

/**
 * SIGKILLs of the HTTP ingest service at fixed fractions of the run, beside the Kafka
 * faults: most right after an insert's part lands in `events` (its views still writing),
 * some at once.
 */
async function runHttpFaults(
  http: HttpIngest,
  startedMs: number,
  durationMs: number,
  log: (line: string) => void,
): Promise<void> {
  const timeline: { at: number; point: 'insert' | 'now' }[] = [
    { at: 0.1, point: 'insert' },
    { at: 0.18, point: 'insert' },
    { at: 0.26, point: 'now' },
    { at: 0.34, point: 'insert' },
    { at: 0.46, point: 'insert' },
    { at: 0.58, point: 'now' },
    { at: 0.66, point: 'insert' },
    { at: 0.74, point: 'insert' },
    { at: 0.82, point: 'insert' },
  ];
  for (const step of timeline) {
    await sleep(startedMs + step.at * durationMs - Date.now());
    const kill = await http.kill(step.point);
    log(`fault: http ingest SIGKILL: ${kill.detail}`);
  }
}

/** Waits until every partition's committed offset reaches its high watermark (or a minute past `notBefore`). */
async function drain(samples: readonly ProgressSample[], notBefore: number): Promise<boolean> {
  const until = notBefore + 60_000;
  while (Date.now() < until) {
    const last = samples.at(-1)?.partitions;
    if (last && Object.values(last).every((p) => p.committed >= p.high)) return true;
    await sleep(1000);
  }
  return false;
}

/**
 * When to look for progress after a fault: its end, or for a kill the start of the next
 * consumer (commits the killed one had sent may still land just after its death).
 */
function resumeFrom(fault: FaultRecord, consumer: SupervisedProcess): number {
  if (fault.name !== 'consumer SIGKILL') return fault.toMs;
  const next = consumer.incarnations.find((i) => i.startedMs > fault.toMs);
  return next?.startedMs ?? fault.toMs;
}

async function fetchReadiness(address: string): Promise<{ ok: boolean; detail: string }> {
  try {
    const response = await fetch(`${address}/readyz`, { signal: AbortSignal.timeout(3000) });
    const text = await response.text();
    return { ok: response.ok, detail: response.ok ? '' : text.slice(0, 300) };
  } catch (error) {
    return { ok: false, detail: `no answer: ${(error as Error).message}` };
  }
}

/** The monitor file and its baseline, in the run's directory. */
function prepareRunDirectory(runDir: string): void {
  fs.mkdirSync(path.join(runDir, 'monitors'), { recursive: true });
  fs.mkdirSync(path.join(runDir, 'baselines'), { recursive: true });
  fs.writeFileSync(path.join(runDir, 'monitors', 'soak.yaml'), MONITOR_YAML);
  fs.writeFileSync(path.join(runDir, 'baselines', 'soak.csv'), baselineCsv(5000));
}

/** The service processes run the compiled CLI, as in production; built when stale. */
function buildCliIfStale(log: (line: string) => void): void {
  const stamp = path.join(ROOT, 'dist/.build-stamp');
  const built = fs.existsSync(stamp) ? fs.statSync(stamp).mtimeMs : -1;
  if (built >= newestMtime(path.join(ROOT, 'src'))) return;
  log('building the CLI (dist/ is older than src/)');
  execFileSync(process.execPath, [path.join(ROOT, 'bin/build.mjs')], { stdio: 'inherit' });
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const child = path.join(dir, entry.name);
    newest = Math.max(
      newest,
      entry.isDirectory() ? newestMtime(child) : fs.statSync(child).mtimeMs,
    );
  }
  return newest;
}

/** The service's environment: ours only (nothing inherited that could point elsewhere). */
function serviceEnv(
  runDir: string,
  bootstrap: string,
  sessionTimeoutMs: number,
): NodeJS.ProcessEnv {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) => !/^(DRIFTWATCH_|CLICKHOUSE_|KAFKA_|SMTP_|SLACK_)/.test(name),
    ),
  );
  return {
    ...inherited,
    CLICKHOUSE_DATABASE: 'driftwatch',
    KAFKA_BROKERS: bootstrap,
    KAFKA_GROUP: GROUP,
    KAFKA_CLIENT_ID: 'soak-ingest',
    KAFKA_TOPIC_PREDICTIONS: TOPICS.predictions,
    KAFKA_TOPIC_FEATURES: TOPICS.features,
    KAFKA_TOPIC_LABELS: TOPICS.labels,
    KAFKA_SESSION_TIMEOUT_MS: String(sessionTimeoutMs),
    DRIFTWATCH_HOST: '127.0.0.1',
    DRIFTWATCH_PORT: '0',
    DRIFTWATCH_MONITORS_DIR: path.join(runDir, 'monitors'),
    DRIFTWATCH_DATA_DIR: path.join(runDir, 'data'),
    DRIFTWATCH_KAFKA_STALL_SECONDS: '15',
    DRIFTWATCH_MAX_EVENT_BYTES: String(SOAK_MAX_EVENT_BYTES),
  };
}
