// Insert CPU an event and storage of a 1M-event hour, for one build: node bench/insertCost.mjs
// ROOT [MIGRATIONS_DIR]. ROOT is a checkout with dist/ built (this one, or /work/main for
// the comparison); MIGRATIONS_DIR replaces its migrations (a variant of one, e.g. another k).
// A fresh embedded store per call, migrated by that build; events generated inside
// ClickHouse as bench/straddling.ts makes them (20 numeric + 5 categorical features × 10
// regions), so every summary view fires as on ingest. CPU of this process (the engine is
// embedded), the inserts alone.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const [root = '.', migrationsDir] = process.argv.slice(2);
const dist = path.resolve(root, 'dist');
const { openStore, toClickHouseTime } = await import(path.join(dist, 'store/clickhouse.js'));
const { migrate, readMigrations } = await import(path.join(dist, 'store/migrate.js'));

const NUMERIC = Array.from({ length: 20 }, (_, i) => `n${i}`);
const CATEGORICAL = Array.from({ length: 5 }, (_, i) => `c${i}`);
const HOUR = 3_600_000;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'driftwatch-insert-cost-'));
const store = await openStore({
  kind: 'embedded',
  dataDir: path.join(dir, 'data'),
  database: 'driftwatch',
});
const load = () =>
  `load ${fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`;
try {
  await migrate(store, migrationsDir ? readMigrations(path.resolve(migrationsDir)) : undefined);
  const start = new Date(Math.floor(Date.now() / HOUR) * HOUR - 3 * HOUR);
  const insert = (model, rows, block) => insertAt(model, rows, 0, rows, block);
  const insertAt = async (model, rows, offset, total, block) => {
    const numbers = NUMERIC.map((_, i) => `randNormal(${0.0125 * i}, 1)`).join(', ');
    const strings = CATEGORICAL.map((_, i) =>
      i === 0
        ? `concat('v', toString(if(rand(${i}) % 10 < 3, 0, rand(${i + 10}) % 6)))`
        : `concat('v', toString(rand(${i}) % 6))`,
    ).join(', ');
    const cpu0 = process.cpuUsage();
    await store.command(
      `INSERT INTO events (kind, event_id, model, ts, prediction_id, score, feature_numbers, feature_strings, feature_nulls, attributes)
       SELECT 'prediction', toString(number), {model:String},
              toDateTime64({start:String}, 3, 'UTC') + toIntervalMillisecond(intDiv(number * 3600000, ${total})),
              toString(number), rand() / 4294967295,
              mapFromArrays({numeric:Array(String)}, [${numbers}]),
              mapFromArrays({categorical:Array(String)}, [${strings}]),
              [], map('region', concat('r', toString(number % 10)))
       FROM numbers(${offset}, ${rows})`,
      { model, start: toClickHouseTime(start), numeric: NUMERIC, categorical: CATEGORICAL },
      // blocks of an HTTP post's chunk (4,096 events), or the engine's default (up to ~1M rows)
      block
        ? {
            max_block_size: String(block),
            min_insert_block_size_rows: String(block),
            max_insert_block_size: String(block),
          }
        : {},
    );
    const cpu = process.cpuUsage(cpu0);
    return (cpu.user + cpu.system) / rows;
  };
  await insert('warm-up', 20_000);
  // a view to leave out, to see what it costs (e.g. INSERT_COST_DETACH=summary_1h_k10_mv)
  if (process.env.INSERT_COST_DETACH)
    await store.command(`DETACH TABLE ${process.env.INSERT_COST_DETACH}`);
  if (process.env.INSERT_COST_SUSTAINED) {
    // the writer's batches, one after another, background merges included: 300k events in 20k-event inserts
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < 15; i += 1) await insertAt('sustained', 20_000, i * 20_000, 300_000);
    const cpu = process.cpuUsage(cpu0);
    console.log(
      `${path.resolve(root)}${migrationsDir ? ` (migrations ${migrationsDir})` : ''}: 300k events in 20k-event inserts, ` +
        `${((cpu.user + cpu.system) / 300_000).toFixed(1)} µs of CPU an event` +
        `${process.env.INSERT_COST_DETACH ? ` (${process.env.INSERT_COST_DETACH} detached)` : ''}; ${load()}`,
    );
    process.exit(0);
  }
  const costs = [];
  costs.push(await insert('hour-1m', 1_000_000));
  for (let i = 0; i < 2; i += 1) costs.push(await insert(`cost-${i}`, 300_000));
  const chunked = await insert('cost-chunks', 200_000, 4096);
  const builds = await buildFinerCells();
  const tables = [
    'summary_5m',
    'summary_1h',
    'summary_1d',
    'summary_1h_k10',
    'summary_finer_builds',
  ];
  for (const table of tables) await store.command(`OPTIMIZE TABLE ${table} FINAL`).catch(() => {});
  const sizes = await store.query(
    `SELECT table, toString(sum(rows)) AS rows, toString(sum(bytes_on_disk)) AS bytes FROM system.parts
     WHERE database = currentDatabase() AND active AND table IN {tables:Array(String)} GROUP BY table ORDER BY table`,
    { tables },
  );
  // the 1M-event hour's share of each table (its rows of all models'), bytes in proportion
  const described = [];
  for (const { table, rows, bytes } of sizes) {
    const [own] = await store.query(
      `SELECT toString(count()) AS n FROM ${table} WHERE model = 'hour-1m'`,
    );
    const share = Number(own.n) / Math.max(1, Number(rows));
    described.push(`${table} ${own.n} rows ${((Number(bytes) * share) / 2 ** 20).toFixed(1)} MiB`);
  }
  console.log(
    `${path.resolve(root)}${migrationsDir ? ` (migrations ${migrationsDir})` : ''}: insert CPU an event ` +
      `${costs.map((c) => c.toFixed(1)).join(', ')} µs (1M, 300k, 300k events), ${chunked.toFixed(1)} µs in 4,096-event blocks (200k); ${load()}; ` +
      `the 1M-event hour stored (after OPTIMIZE FINAL): ${described.join('; ')}`,
  );
  if (builds)
    console.log(`finer cells built once each hour closed (off the insert path): ${builds}`);
  /**
   * A build that builds closed hours off the insert path (src/store/finerCells.js): each
   * model's hour built as the summary reconciler does, one after another; CPU of this process
   * (the engine is embedded) and wall time of each build.
   */
  async function buildFinerCells() {
    const finer = await import(path.join(dist, 'store/finerCells.js')).catch(() => null);
    if (!finer?.buildFinerHour) return null;
    const due = await finer.listFinerHoursToBuild(store, { sinceMs: 0, beforeMs: Date.now() }, 1);
    const described = [];
    for (const hour of due) {
      const cpu0 = process.cpuUsage();
      const wall0 = performance.now();
      const build = await finer.buildFinerHour(store, hour);
      const cpu = process.cpuUsage(cpu0);
      const seconds = (cpu.user + cpu.system) / 1e6;
      described.push(
        `${hour.model} (${build.events} events): CPU ${seconds.toFixed(2)} s, wall ${((performance.now() - wall0) / 1000).toFixed(2)} s, ` +
          `${((seconds * 1e6) / Math.max(1, build.events)).toFixed(1)} µs an event`,
      );
    }
    return `${described.join('; ')}; ${load()}`;
  }
} finally {
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
}
