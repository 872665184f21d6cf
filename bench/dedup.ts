import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openStore, type Store } from '../src/store/clickhouse.js';
import { findStoredEvents, type EventKey } from '../src/store/events.js';
import { migrate } from '../src/store/migrate.js';

/**
 * Issue 22.3: what the writer's duplicate lookup (`findStoredEvents`) costs as the store
 * grows. One model's events spread evenly over the day before now, N of them (ids `s<i>`,
 * in time order, inserted a million at a time), then lookups of 20,000 keys (the writer's
 * flush) of four shapes: a live batch of new events (times in the last seconds), a replayed
 * batch (stored keys, consecutive), late new events (times spread over the whole day: the
 * primary key cannot narrow them) and a replay of keys spread over the day. CPU of the
 * whole process (the engine is embedded) per key, the median of 5 lookups. With `variants`,
 * each a skip index on event_id made before the fill, in a fresh store filled the same way.
 */
export async function runDedupBenchmark(
  sizes: readonly number[] = [1_000_000, 10_000_000],
  variants: readonly { name: string; index: string | null }[] = [
    { name: 'as migrated', index: null },
  ],
): Promise<void> {
  console.log(`load ${loadavg()}`);
  for (const stored of sizes) {
    for (const variant of variants) {
      await withStore(async (store) => {
        if (variants.length > 1) await setIndex(store, variant.index);
        const fillStarted = process.cpuUsage();
        const range = await fill(store, stored);
        const fill_s = cpuSeconds(fillStarted);
        const index = await indexBytes(store);
        console.log(
          `${stored.toLocaleString('en')} stored, ${variant.name}: fill ${fill_s.toFixed(1)} s CPU, index ${(index / 2 ** 20).toFixed(1)} MiB on disk; load ${loadavg()}`,
        );
        for (const [shape, keys] of lookups(range, stored)) {
          const perKey: number[] = [];
          let found = 0;
          for (let run = 0; run < 5; run += 1) {
            const before = process.cpuUsage();
            found = (await findStoredEvents(store, keys)).size;
            perKey.push((cpuSeconds(before) * 1e6) / keys.length);
          }
          perKey.sort((a, b) => a - b);
          console.log(
            `  ${shape.padEnd(36)} ${perKey[2]!.toFixed(2).padStart(6)} µs/key (min ${perKey[0]!.toFixed(2)}, max ${perKey[4]!.toFixed(2)}); ${found} found`,
          );
        }
      });
    }
  }
  console.log(`load ${loadavg()}`);
}

/**
 * Skip indexes on event_id, against none. A granule is skipped only when none of the
 * lookup's ids may be in it: with a false-positive rate p per id, a granule passes a
 * lookup of k ids with probability 1 − (1 − p)^k, which is ~1 at k = 20,000.
 */
export const DEDUP_INDEX_VARIANTS = [
  { name: 'no index', index: null },
  { name: 'bloom_filter(0.01) GRANULARITY 1', index: 'bloom_filter(0.01) GRANULARITY 1' },
  { name: 'bloom_filter(0.01) GRANULARITY 4', index: 'bloom_filter(0.01) GRANULARITY 4' },
  { name: 'bloom_filter(0.0001) GRANULARITY 1', index: 'bloom_filter(0.0001) GRANULARITY 1' },
] as const;

const MODEL = 'bench-model';
const DAY_MS = 86_400_000;
const LOOKUP = 20_000;

async function withStore(run: (store: Store) => Promise<void>): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'driftwatch-bench-dedup-'));
  const store = await openStore({ kind: 'embedded', dataDir: dir, database: 'bench' });
  try {
    await migrate(store);
    // the lookup reads `events` only: filling the summaries would cost minutes and change nothing
    await store.command('DROP VIEW IF EXISTS events_summary_input_mv');
    await run(store);
  } finally {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The variant's index on event_id, replacing whatever the migrations made. */
async function setIndex(store: Store, index: string | null): Promise<void> {
  const existing = await store.query<{ name: string }>(
    `SELECT name FROM system.data_skipping_indices WHERE database = currentDatabase() AND table = 'events'`,
  );
  for (const { name } of existing) await store.command(`ALTER TABLE events DROP INDEX ${name}`);
  if (index)
    await store.command(`ALTER TABLE events ADD INDEX bench_event_id event_id TYPE ${index}`);
}

/** N events over the day before now, inserted 1M at a time (parts as a live store has them). */
async function fill(store: Store, stored: number): Promise<{ from: number; step: number }> {
  const from = Date.now() - DAY_MS;
  const step = DAY_MS / stored;
  for (let start = 0; start < stored; start += 1_000_000) {
    const count = Math.min(1_000_000, stored - start);
    await store.command(
      `INSERT INTO events (model, kind, ts, event_id, prediction_id)
       SELECT '${MODEL}', 'prediction', fromUnixTimestamp64Milli(toInt64(${from} + n * ${step}), 'UTC'),
              concat('s', toString(n)), concat('p', toString(n))
       FROM (SELECT number + ${start} AS n FROM numbers(${count}))`,
    );
  }
  await new Promise((resolve) => setTimeout(resolve, 3000)); // let the first merges run
  return { from, step };
}

function lookups(range: { from: number; step: number }, stored: number): [string, EventKey[]][] {
  const key = (id: string, tsMs: number): EventKey => ({
    model: MODEL,
    kind: 'prediction',
    tsMs: Math.floor(tsMs),
    event_id: id,
  });
  const at = (i: number) => range.from + i * range.step;
  const spread = (i: number) => Math.floor(((i * 7919) % LOOKUP) * (stored / LOOKUP));
  return [
    [
      'live batch, new keys',
      Array.from({ length: LOOKUP }, (_, i) => key(`n${i}`, Date.now() - 2000 + i / 10)),
    ],
    [
      'replayed batch, stored keys',
      Array.from({ length: LOOKUP }, (_, i) => key(`s${stored / 2 + i}`, at(stored / 2 + i))),
    ],
    [
      'late events over the day, new keys',
      Array.from({ length: LOOKUP }, (_, i) => key(`n${i}`, at(spread(i)))),
    ],
    [
      'replay over the day, stored keys',
      Array.from({ length: LOOKUP }, (_, i) => key(`s${spread(i)}`, at(spread(i)))),
    ],
  ];
}

async function indexBytes(store: Store): Promise<number> {
  const [row] = await store.query<{ bytes: string }>(
    `SELECT sum(data_compressed_bytes) AS bytes FROM system.data_skipping_indices
     WHERE database = currentDatabase() AND table = 'events'`,
  );
  return Number(row?.bytes ?? 0);
}

function cpuSeconds(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1e6;
}

function loadavg(): string {
  return os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join('/');
}
