import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadLine } from './measure.js';

/**
 * Issue 22.1: where a `driftwatch run` of the straddling benchmark's monitor spends its CPU,
 * phase by phase, in one process as the CLI runs it (bench/straddling.ts fills the store; give
 * its directory as DRIFTWATCH_BENCH_STORE, e.g. /work/bench/x/straddling-1000000). CPU is
 * process.cpuUsage(): every thread of the process, the embedded engine's included. Each
 * query is timed too (wall, and the process's CPU while it ran) and named by the first of
 * our functions on its stack, so the summary reads, the finer cells' reads and the results'
 * inserts can be told apart; the CPU between queries is ours (folding, judging, results).
 */
interface Phase {
  name: string;
  wall: number;
  cpu: number;
}
interface QueryTiming {
  caller: string;
  sql: string;
  wall: number;
  cpu: number;
}

const cpuNow = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
};

/** The first frame of our code below the store: the query's caller. */
function callerOf(stack: string): string {
  const frames = stack.split('\n').slice(2);
  const ours = frames.find(
    (frame) => /\/(src|dist)\//.test(frame) && !/\/(src|dist)\/store\/clickhouse\./.test(frame),
  );
  const match = ours ? /at (?:async )?([\w.<>]+) \((.*\/(?:src|dist)\/[^:]+)/.exec(ours) : null;
  return match ? `${match[1]} (${path.basename(match[2] ?? '')})` : '?';
}

export async function runStraddlingPhases(): Promise<void> {
  const dir = process.env.DRIFTWATCH_BENCH_STORE;
  if (!dir) throw new Error('give DRIFTWATCH_BENCH_STORE: a store filled by bench/straddling.ts');
  const fs = await import('node:fs');
  const end = new Date(fs.readFileSync(path.join(dir, 'window-end'), 'utf8').trim());
  const phases: Phase[] = [];
  let mark = { wall: performance.now(), cpu: cpuNow() };
  const phase = (name: string) => {
    const now = { wall: performance.now(), cpu: cpuNow() };
    phases.push({ name, wall: (now.wall - mark.wall) / 1000, cpu: now.cpu - mark.cpu });
    mark = now;
  };
  // DRIFTWATCH_BENCH_BUILD: a build's root (its dist/, as the CLI runs it; e.g. another
  // checkout, to compare); unset: this checkout's sources through tsx
  const build = process.env.DRIFTWATCH_BENCH_BUILD;
  const from = async <T>(module: string): Promise<T> =>
    (await import(
      build ? pathToFileURL(path.join(build, 'dist', `${module}.js`)).href : `../src/${module}.js`
    )) as T;
  const { loadConfig } = await from<typeof import('../src/config/config.js')>('config/config');
  const { openStore } = await from<typeof import('../src/store/clickhouse.js')>('store/clickhouse');
  const { migrate } = await from<typeof import('../src/store/migrate.js')>('store/migrate');
  const monitorFile =
    await from<typeof import('../src/monitors/monitorFile.js')>('monitors/monitorFile');
  const evaluate =
    await from<typeof import('../src/monitors/evaluateWindow.js')>('monitors/evaluateWindow');
  const { readWindowSamples } =
    await from<typeof import('../src/drift/windowSummary.js')>('drift/windowSummary');
  const { alertingLater } =
    await from<typeof import('../src/alerts/runAlerting.js')>('alerts/runAlerting');
  const { windowEndingAt } = await from<typeof import('../src/timeWindow.js')>('timeWindow');
  phase('modules loaded (the run command’s imports)');
  const config = loadConfig({
    ...process.env,
    DRIFTWATCH_DATA_DIR: path.join(dir, 'data'),
    DRIFTWATCH_MONITORS_DIR: path.join(dir, 'monitors'),
    DRIFTWATCH_BASELINE_ROOTS: path.join(dir, 'monitors'),
  });
  const raw = await openStore(config.store);
  phase('store opened (engine started, tables attached)');
  const timings: QueryTiming[] = [];
  // each query again after the run: its cost in an engine that has run it once
  const replay: { caller: string; sql: string; rest: unknown[] }[] = [];
  const queryOf = raw.query.bind(raw);
  const timed =
    <A extends unknown[], R>(call: (sql: string, ...rest: A) => Promise<R>, replayed = false) =>
    async (sql: string, ...rest: A): Promise<R> => {
      const caller = callerOf(new Error().stack ?? '');
      if (replayed) replay.push({ caller, sql, rest: rest as unknown[] });
      const started = { wall: performance.now(), cpu: cpuNow() };
      try {
        return await call(sql, ...rest);
      } finally {
        timings.push({
          caller,
          sql: sql.replace(/\s+/g, ' ').slice(0, 100),
          wall: (performance.now() - started.wall) / 1000,
          cpu: cpuNow() - started.cpu,
        });
      }
    };
  const store = {
    ...raw,
    kind: raw.kind,
    client: raw.client,
    cluster: raw.cluster,
    query: timed(queryOf, true),
    command: timed(raw.command.bind(raw)),
    insert: timed(raw.insert.bind(raw)),
    insertRowBinary: timed(raw.insertRowBinary.bind(raw)),
    close: raw.close.bind(raw),
  } as typeof raw;
  await migrate(store);
  phase('migration check');
  const directory = monitorFile.loadMonitorDirectory(
    config.monitorsDir,
    monitorFile.monitorFileOptionsOf(config),
  );
  const plan = directory.plans.find((p) => p.model === 'straddle-model');
  if (!plan) throw new Error('no straddle-model monitor');
  phase('monitor file read');
  const window = windowEndingAt(end, plan.windowMs);
  const prepared = await evaluate.prepareMonitor(store, plan, window);
  phase('baseline resolved, profile read (built on a first run)');
  const queriesBefore = timings.length;
  const read = await readWindowSamples(store, {
    model: plan.model,
    window,
    keys: prepared.profile.sliceKeys,
  });
  phase(`window summaries read and folded (${timings.length - queriesBefore} queries)`);
  const queriesJudged = timings.length;
  const evaluation = await evaluate.evaluateWindowSamples(store, plan, window, read.samples, {
    now: new Date(),
    prepared,
  });
  phase(
    `compared, judged, narrowed, results stored (${timings.length - queriesJudged} queries, ${evaluation.results.length} results)`,
  );
  await alertingLater(store, plan.monitor, end);
  phase('alerting line');
  const again: QueryTiming[] = [];
  for (const { caller, sql, rest } of replay) {
    const started = { wall: performance.now(), cpu: cpuNow() };
    await (queryOf as (sql: string, ...rest: unknown[]) => Promise<unknown[]>)(sql, ...rest);
    again.push({
      caller,
      sql,
      wall: (performance.now() - started.wall) / 1000,
      cpu: cpuNow() - started.cpu,
    });
  }
  mark = { wall: performance.now(), cpu: cpuNow() };
  await raw.close();
  phase('store closed');
  console.log(
    `narrowing ${JSON.stringify(evaluation.narrowing)}; exactFallback ${JSON.stringify(evaluation.exactFallback)}; ${loadLine()}`,
  );
  console.log('\nphase | wall s | CPU s');
  for (const p of phases) console.log(`${p.name} | ${p.wall.toFixed(3)} | ${p.cpu.toFixed(3)}`);
  const total = phases.reduce((sum, p) => ({ wall: sum.wall + p.wall, cpu: sum.cpu + p.cpu }), {
    wall: 0,
    cpu: 0,
  });
  console.log(`total | ${total.wall.toFixed(3)} | ${total.cpu.toFixed(3)}`);
  const byCaller = new Map<string, { n: number; wall: number; cpu: number; sql: string }>();
  for (const t of timings) {
    const entry = byCaller.get(t.caller) ?? { n: 0, wall: 0, cpu: 0, sql: t.sql };
    byCaller.set(t.caller, {
      ...entry,
      n: entry.n + 1,
      wall: entry.wall + t.wall,
      cpu: entry.cpu + t.cpu,
    });
  }
  const againBy = new Map<string, number>();
  for (const t of again) againBy.set(t.caller, (againBy.get(t.caller) ?? 0) + t.cpu);
  console.log(
    '\nqueries by caller | n | wall s | CPU s (overlaps when concurrent) | CPU s run again | first SQL',
  );
  for (const [caller, e] of [...byCaller].sort((a, b) => b[1].cpu - a[1].cpu))
    console.log(
      `${caller} | ${e.n} | ${e.wall.toFixed(3)} | ${e.cpu.toFixed(3)} | ${againBy.get(caller)?.toFixed(3) ?? '-'} | ${e.sql}`,
    );
}
