import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRandom } from '../src/demo/random.js';
import { openStore, toClickHouseTime, type Store } from '../src/store/clickhouse.js';
import { buildFinerHour, listFinerHoursToBuild } from '../src/store/finerCells.js';
import { migrate } from '../src/store/migrate.js';
import { loadLine } from './measure.js';

/**
 * Issue 22.1: a monitor whose drift verdicts straddle their thresholds, at 1M and 10M
 * events in its window, run as a person runs it — the whole `driftwatch run --json`, its
 * own process — on this build and on another build given as DRIFTWATCH_BENCH_COMPARE
 * (e.g. /work/main, its dist/ built), on the same store at the same load. The case of the
 * issue: one monitor of 20 numeric + 5 categorical features × 10 regions, drifted so that
 * the numeric features' KS statistics spread around the check's min_statistic (a few of
 * them inside their brackets' width). Events are generated inside ClickHouse (numbers(),
 * seeded normal draws: a hash of each event's number) into `events`, so every summary view
 * fires as on ingest, and every fill of a size holds the same events; the window's closed
 * hour is then built into finer cells (migration 0015) as the summary reconciler builds
 * it, off the insert path, and the build's CPU and the rows each table holds are printed
 * too (the finer cells' cost).
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const NUMERIC = Array.from({ length: 20 }, (_, i) => `n${i}`);
const CATEGORICAL = Array.from({ length: 5 }, (_, i) => `c${i}`);
const REGIONS = 10;
const BASELINE_ROWS = 50_000;
const HOUR = 3_600_000;
const RUNS = 3;
/** Events an insert: the writer's batch (DRIFTWATCH_INGEST_LINGER_MESSAGES' default). */
const INSERT_BLOCK = 20_000;
/** Late events inserted into the hour after its build (DRIFTWATCH_BENCH_LATE_EVENTS): the rebuild they cost. */
const LATE_EVENTS = 1_000;
/** Shift of feature n_i in the window: KS D ≈ 0.4 · shift, so n10..n14 sit near 0.1. */
const shiftOf = (i: number) => 0.0125 * i;

/** DRIFTWATCH_BENCH_STRADDLING_SIZES (events, comma-separated): 1M and 10M unless told, 100M on request. */
function sizesFromEnv(): number[] {
  const text = process.env.DRIFTWATCH_BENCH_STRADDLING_SIZES;
  return text ? text.split(',').map(Number) : [1_000_000, 10_000_000];
}

export async function runStraddlingBenchmark(sizes = sizesFromEnv()): Promise<void> {
  const compare = process.env.DRIFTWATCH_BENCH_COMPARE;
  // DRIFTWATCH_BENCH_DIR keeps the filled store (one directory a size) between runs: the fill
  // is the slow part, and runs of two builds compare best on the same store
  const kept = process.env.DRIFTWATCH_BENCH_DIR;
  const runs = Number(process.env.DRIFTWATCH_BENCH_RUNS ?? RUNS);
  for (const size of sizes) {
    const dir = kept
      ? path.join(kept, `straddling-${size}`)
      : fs.mkdtempSync(path.join(os.tmpdir(), 'driftwatch-bench-straddle-'));
    try {
      const end = await filledStore(dir, size);
      const builds: [string, string][] = [['this build', ROOT]];
      if (compare) builds.push([`DRIFTWATCH_BENCH_COMPARE (${compare})`, compare]);
      const verdicts = new Map<string, string>();
      for (let i = 0; i < runs; i += 1) {
        for (const [label, root] of builds) {
          const run = runCli(root, dir, end);
          console.log(
            `${(size / 1e6).toFixed(0)}M events, ${label}, run ${i + 1}: wall ${run.wall.toFixed(2)} s, CPU ${run.cpu.toFixed(2)} s ` +
              `(user ${run.user.toFixed(2)}, sys ${run.sys.toFixed(2)}), ${run.results} results (${run.status}); ` +
              `narrowing ${JSON.stringify(run.narrowing)}; exactFallback ${JSON.stringify(run.exactFallback)}; ${run.load}`,
          );
          verdicts.set(label, run.verdicts);
        }
      }
      if (compare) {
        const [mine, theirs] = [...verdicts.values()];
        console.log(
          mine === theirs
            ? 'verdicts: every status and value identical between the two builds'
            : `verdicts DIFFER between the two builds:\n${firstDifference(mine ?? '', theirs ?? '')}`,
        );
      }
    } finally {
      if (!kept) fs.rmSync(dir, { recursive: true, force: true });
    }
  }
}

/** The store of one size, filled once (kept directories are reused); the window's end. */
async function filledStore(dir: string, size: number): Promise<Date> {
  const marker = path.join(dir, 'window-end');
  if (fs.existsSync(marker)) {
    console.log(`reusing the store in ${dir}`);
    return new Date(fs.readFileSync(marker, 'utf8').trim());
  }
  fs.mkdirSync(dir, { recursive: true });
  const end = new Date(Math.floor(Date.now() / HOUR) * HOUR - 2 * HOUR);
  writeMonitor(dir);
  await fill(dir, size, end);
  fs.writeFileSync(marker, `${end.toISOString()}\n`);
  return end;
}

/** The first result that differs, to read when two builds disagree. */
function firstDifference(mine: string, theirs: string): string {
  const a = mine.split('\n');
  const b = theirs.split('\n');
  const at = a.findIndex((line, i) => line !== b[i]);
  return `this build:  ${a[at] ?? '(none)'}\nthe other:   ${b[at] ?? '(none)'}`;
}

function writeMonitor(dir: string): void {
  const random = createRandom(22);
  const header = [...NUMERIC, ...CATEGORICAL, 'region', 'score'];
  const lines = [header.join(',')];
  for (let r = 0; r < BASELINE_ROWS; r += 1) {
    lines.push(
      [
        ...NUMERIC.map(() => random.normal(0, 1).toPrecision(8)),
        ...CATEGORICAL.map(() => `v${Math.floor(random.uniform() * 6)}`),
        `r${r % REGIONS}`,
        random.uniform().toPrecision(6),
      ].join(','),
    );
  }
  fs.mkdirSync(path.join(dir, 'monitors'));
  fs.writeFileSync(path.join(dir, 'monitors', 'base.csv'), `${lines.join('\n')}\n`);
  fs.writeFileSync(
    path.join(dir, 'monitors', 'straddle.yaml'),
    `model: straddle-model
baseline: { file: base.csv }
features:
${NUMERIC.map((f) => `  ${f}: numeric`).join('\n')}
${CATEGORICAL.map((f) => `  ${f}: categorical`).join('\n')}
prediction: { threshold: 0.5 }
slices: [region]
schedule: '0 * * * *'
window: 1h
checks:
  - { metric: psi, features: all, warn: 0.1, critical: 0.25 }
  - { metric: ks, features: [${NUMERIC.join(', ')}], p_value: 0.01, min_statistic: 0.1 }
  - { metric: wasserstein_normed, features: [${NUMERIC.join(', ')}], warn: 0.1, critical: 0.2 }
  - { metric: chi2, features: [${CATEGORICAL.join(', ')}], p_value: 0.01, min_statistic: 0.1 }
  - { metric: null_rate, features: all, max_increase: 0.05 }
`,
  );
}

/** The window's events at SQL speed, with each summary view's insert cost and rows. */
async function fill(dir: string, size: number, end: Date): Promise<void> {
  const store = await openStore({
    kind: 'embedded',
    dataDir: path.join(dir, 'data'),
    database: 'driftwatch',
  });
  try {
    await migrate(store);
    // the writer's batches (DRIFTWATCH_INGEST_LINGER_MESSAGES, 20,000): the blocks the views see
    // on ingest; DRIFTWATCH_BENCH_INSERT_BLOCK=1000000 fills 10M or 100M in a fraction of the
    // time (the summaries are the same, and the runs measured after the fill do not change)
    const chunk = Number(process.env.DRIFTWATCH_BENCH_INSERT_BLOCK ?? INSERT_BLOCK);
    const cpu0 = process.cpuUsage();
    const wall0 = performance.now();
    for (let offset = 0; offset < size; offset += chunk)
      await insertEvents(store, offset, Math.min(chunk, size - offset), size, end);
    const cpu = process.cpuUsage(cpu0);
    console.log(
      `${(size / 1e6).toFixed(0)}M events inserted into events (every summary view attached): ` +
        `${((performance.now() - wall0) / 1000).toFixed(1)} s, CPU ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s ` +
        `(${((cpu.user + cpu.system) / size).toFixed(2)} µs an event); ${loadLine()}`,
    );
    // DRIFTWATCH_BENCH_FINER_UNBUILT=1: the run of an hour whose finer cells are not built yet
    if (process.env.DRIFTWATCH_BENCH_FINER_UNBUILT) console.log('finer cells not built');
    else {
      await buildFinerCells(store, size);
      // late events after the hour's build (grace 0: built at its close): one rebuild's cost
      const late = Number(process.env.DRIFTWATCH_BENCH_LATE_EVENTS ?? LATE_EVENTS);
      if (late > 0) {
        await insertEvents(store, size, late, size + late, end);
        console.log(`${late} late events inserted into the built hour; rebuilding:`);
        await buildFinerCells(store, size);
      }
    }
    for (const table of ['summary_5m', 'summary_1h', 'summary_1d', 'summary_1h_k10'])
      await store.command(`OPTIMIZE TABLE ${table} FINAL`);
    const sizes = await store.query<{ table: string; rows: string; bytes: string }>(
      `SELECT table, toString(sum(rows)) AS rows, toString(sum(bytes_on_disk)) AS bytes FROM system.parts
       WHERE database = currentDatabase() AND active AND table IN ('summary_5m', 'summary_1h', 'summary_1d', 'summary_1h_k10')
       GROUP BY table ORDER BY table`,
    );
    console.log(
      `stored for the window's hour: ${sizes.map((s) => `${s.table} ${s.rows} rows, ${(Number(s.bytes) / 2 ** 20).toFixed(1)} MiB`).join('; ')}`,
    );
  } finally {
    await store.close();
  }
}

/**
 * The window's closed hour built into finer cells as the summary reconciler builds it, off
 * the insert path (src/store/finerCells.ts): one INSERT … SELECT from the hour's events;
 * CPU of this process (the engine is embedded) and wall time.
 */
async function buildFinerCells(store: Store, size: number): Promise<void> {
  const due = await listFinerHoursToBuild(store, { sinceMs: 0, beforeMs: Date.now() }, 1);
  for (const hour of due) {
    const cpu0 = process.cpuUsage();
    const wall0 = performance.now();
    const build = await buildFinerHour(store, hour);
    const cpu = process.cpuUsage(cpu0);
    console.log(
      `${(size / 1e6).toFixed(0)}M events: finer cells of ${new Date(hour.hourMs).toISOString()} built from ${build.events} events: ` +
        `wall ${((performance.now() - wall0) / 1000).toFixed(2)} s, CPU ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s ` +
        `(${((cpu.user + cpu.system) / Math.max(1, build.events)).toFixed(2)} µs an event); ${loadLine()}`,
    );
  }
}

async function insertEvents(
  store: Store,
  offset: number,
  rows: number,
  total: number,
  end: Date,
  model = 'straddle-model',
): Promise<void> {
  // every value a hash of (event number, stream): the same events on every fill, so the
  // straddling verdicts (and the runs measured over them) are the same from one fill to the next
  const numbers = NUMERIC.map(
    (_, i) =>
      `${shiftOf(i)} + sqrt(-2 * ln(${uniform(2 * i)})) * cos(2 * pi() * ${uniform(2 * i + 1)})`,
  ).join(', ');
  const strings = CATEGORICAL.map((_, i) =>
    // c0 drifts: one category takes a larger share
    i === 0
      ? `concat('v', toString(if(${draw(100 + i)} % 10 < 3, 0, ${draw(110 + i)} % 6)))`
      : `concat('v', toString(${draw(100 + i)} % 6))`,
  ).join(', ');
  await store.command(
    `INSERT INTO events (kind, event_id, model, ts, prediction_id, score, feature_numbers, feature_strings, feature_nulls, attributes)
     SELECT 'prediction', toString(number), {model:String},
            toDateTime64({start:String}, 3, 'UTC') + toIntervalMillisecond(intDiv(number * 3600000, ${total})),
            toString(number), ${uniform(200)},
            mapFromArrays({numeric:Array(String)}, [${numbers}]),
            mapFromArrays({categorical:Array(String)}, [${strings}]),
            [], map('region', concat('r', toString(number % ${REGIONS})))
     FROM numbers(${offset}, ${rows})`,
    {
      model,
      start: toClickHouseTime(new Date(end.getTime() - HOUR)),
      numeric: NUMERIC,
      categorical: CATEGORICAL,
    },
  );
}

interface CliRun {
  wall: number;
  cpu: number;
  user: number;
  sys: number;
  results: number;
  status: string;
  narrowing: unknown;
  exactFallback: unknown;
  load: string;
  /** Every result's identity, status and values, one a line: what two builds must agree on. */
  verdicts: string;
}

/** A 64-bit hash of (event number, stream): the fill's seeded draw. */
function draw(stream: number): string {
  return `cityHash64(number, ${stream})`;
}

/** A uniform draw in (0, 1) from 53 bits of the hash, never 0 (ln of it is taken). */
function uniform(stream: number): string {
  return `((bitShiftRight(${draw(stream)}, 11) + 0.5) / 9007199254740992)`;
}

/** `driftwatch run --json` of a build (its dist/), wall and CPU by /usr/bin/time. */
function runCli(root: string, dir: string, end: Date): CliRun {
  const load = loadLine();
  const started = performance.now();
  const result = spawnSync(
    '/usr/bin/time',
    [
      '-f',
      'cpu %U %S',
      process.execPath,
      path.join(root, 'dist/cli/main.js'),
      'run',
      '--model',
      'straddle-model',
      '--window-end',
      end.toISOString(),
      '--json',
    ],
    {
      cwd: root,
      env: {
        ...process.env,
        DRIFTWATCH_DATA_DIR: path.join(dir, 'data'),
        DRIFTWATCH_MONITORS_DIR: path.join(dir, 'monitors'),
        DRIFTWATCH_BASELINE_ROOTS: path.join(dir, 'monitors'),
      },
      encoding: 'utf8',
      maxBuffer: 256 * 2 ** 20,
    },
  );
  const wall = (performance.now() - started) / 1000;
  if (result.status !== 0) throw new Error(`driftwatch run (${root}) failed: ${result.stderr}`);
  const [, user = '0', sys = '0'] = /cpu ([\d.]+) ([\d.]+)/.exec(result.stderr) ?? [];
  const out = JSON.parse(result.stdout) as {
    status: string;
    results: Record<string, unknown>[];
    narrowing?: unknown;
    exactFallback?: unknown;
  };
  return {
    wall,
    cpu: Number(user) + Number(sys),
    user: Number(user),
    sys: Number(sys),
    results: out.results.length,
    status: out.status,
    narrowing: out.narrowing ?? null,
    exactFallback: out.exactFallback ?? null,
    load,
    verdicts: out.results.map(verdictLine).join('\n'),
  };
}

/** A result as `run --json` prints it: its check, status, values and brackets. */
function verdictLine(result: Record<string, unknown>): string {
  return JSON.stringify(result);
}
