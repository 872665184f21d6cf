import { randomBytes } from 'node:crypto';
import type { QueryParams, Store } from './clickhouse.js';
import { storageTable } from './clusterSchema.js';
import { FINER_BUCKET } from './summaryQueries.js';

/**
 * The finer cells of closed hours (summary_1h_k10, migration 0015), built off the insert
 * path: one INSERT … SELECT from an hour's stored events per (model, hour), recorded in
 * summary_finer_builds with the hour's fingerprint (its 'event' cells in summary_1h). An
 * hour whose fingerprint has changed since (late events, a summaries rebuild) is built
 * again under a new build id; readers take only an hour's newest build, and only while it
 * is current, so nothing is counted twice.
 */

/** An hour of a model whose finer cells are missing or stale. */
export interface FinerHourToBuild {
  model: string;
  hourMs: number;
  /** The hour's 'event' cells in summary_1h now: the fingerprint the build records. */
  summarized: number;
  /** The hour's newest recorded build (0: none). */
  previousBuild: string;
}

/**
 * Hours in [sinceMs, beforeMs) that have at least `minEvents` prediction events in
 * summary_1h and no current build: never built, or built under another fingerprint. Reads summary_1h's 'event' cells
 * and the builds' records only (no raw event), oldest first.
 */
export async function listFinerHoursToBuild(
  store: Store,
  range: { sinceMs: number; beforeMs: number },
  minEvents: number,
): Promise<FinerHourToBuild[]> {
  const rows = await store.query<{
    model: string;
    hour_ms: string;
    summarized: string;
    previous: string;
  }>(
    `SELECT model, toUnixTimestamp(grain_start) * 1000 AS hour_ms, summarized, toString(newest_build) AS previous
     FROM (${FINER_HOURS(false)})
     WHERE current = 0 AND summarized >= {min_events:UInt64}
     ORDER BY hour_ms, model`,
    { since_ms: range.sinceMs, before_ms: range.beforeMs, min_events: minEvents },
  );
  return rows.map((row) => ({
    model: row.model,
    hourMs: Number(row.hour_ms),
    summarized: Number(row.summarized),
    previousBuild: row.previous,
  }));
}

const HOURS_BETWEEN = `grain_start >= toDateTime(intDiv({since_ms:Int64}, 1000), 'UTC')
  AND grain_start < toDateTime(intDiv({before_ms:Int64}, 1000), 'UTC')`;

/**
 * Each hour of the range with prediction events in summary_1h (of one model, or of all),
 * with its events (`summarized`, the fingerprint a build records), its newest build by when
 * it started (a build's done record wins over its started one; 0: none) and whether that
 * build is current (done, and its fingerprint the hour's now). The one relation both the
 * builder (the hours not current) and narrowing (each hour's current build) read.
 */
const FINER_HOURS = (oneModel: boolean) => {
  const model = oneModel ? 'AND model = {model:String}' : '';
  return `SELECT s.model AS model, s.grain_start AS grain_start, s.summarized AS summarized,
         b.newest_build AS newest_build,
         toUInt8(b.newest_done = 1 AND b.newest_summarized = s.summarized) AS current
  FROM (SELECT model, grain_start, sum(count) AS summarized FROM summary_1h
        WHERE kind = 'prediction' AND state = 'event' AND ${HOURS_BETWEEN} ${model}
        GROUP BY model, grain_start) AS s
  LEFT JOIN (SELECT model, grain_start,
                    argMax(build_id, (started_at, done)) AS newest_build,
                    argMax(done, (started_at, done)) AS newest_done,
                    argMax(summarized, (started_at, done)) AS newest_summarized
             FROM summary_finer_builds
             WHERE ${HOURS_BETWEEN} ${model}
             GROUP BY model, grain_start) AS b
    ON b.model = s.model AND b.grain_start = s.grain_start`;
};

export interface FinerBuild {
  buildId: string;
  /** The hour's events the build was planned from (its fingerprint, `summarized`). */
  events: number;
}

/**
 * Builds one hour's finer cells: recorded as started; the hour's distinct stored
 * prediction events, each finite number bucketed at k = 10 under the frame summary_1h's
 * cell used (the newest created before the event's ingested_at, as the views read it), in
 * one INSERT … SELECT (one part); recorded as done, which makes it the hour's current
 * build; then the builds of the hour started before it deleted. Readers never see two
 * builds of an hour: they read the newest build's id only, once it is done.
 */
export async function buildFinerHour(store: Store, hour: FinerHourToBuild): Promise<FinerBuild> {
  const buildId = newBuildId();
  const params: QueryParams = {
    model: hour.model,
    build_id: buildId,
    from_ms: hour.hourMs,
    to_ms: hour.hourMs + HOUR_MS,
    since_ms: hour.hourMs,
    before_ms: hour.hourMs + HOUR_MS,
    started_at: Date.now() * 1000,
    summarized: hour.summarized,
  };
  const record = (done: 0 | 1, events: number) =>
    store.command(
      `INSERT INTO summary_finer_builds (model, grain_start, build_id, started_at, done, events, summarized)
       VALUES ({model:String}, toDateTime(intDiv({from_ms:Int64}, 1000), 'UTC'), {build_id:UInt64},
               fromUnixTimestamp64Micro({started_at:Int64}, 'UTC'), ${done}, {events:UInt64}, {summarized:UInt64})`,
      { ...params, events },
    );
  await record(0, 0);
  await store.command(
    `INSERT INTO summary_1h_k10 (model, grain_start, build_id, feature, slice_hash, frame, bucket,
                                 count, value_sum, value_min, value_max)
     ${finerCellsOfHour()}`,
    params,
  );
  // The hour's events as its fingerprint counts them (summary_1h's 'event' cells when the
  // build was planned), not a second FINAL read of the hour. They are the distinct stored
  // events the insert read unless the summaries are off or events arrived in between; either
  // way the fingerprint changes (a repair by the reconciler, the late events' cells) and the
  // hour is built again, and readers never take this build.
  const events = hour.summarized;
  await record(1, events);
  await deleteEarlierBuilds(store, params);
  await deleteIfSuperseded(store, params);
  return { buildId, events };
}

const HOUR_MS = 3_600_000;

const HOUR_OF_EVENTS = `model = {model:String} AND kind = 'prediction'
  AND ts >= fromUnixTimestamp64Milli({from_ms:Int64}, 'UTC') AND ts < fromUnixTimestamp64Milli({to_ms:Int64}, 'UTC')`;

/** The hour's cells: its events' finite numbers by feature, slice, frame and k = 10 bucket. */
function finerCellsOfHour(): string {
  return `SELECT {model:String} AS model, toDateTime(intDiv({from_ms:Int64}, 1000), 'UTC') AS grain_start,
         {build_id:UInt64} AS build_id, feature, slice_hash, frame, bucket,
         count() AS count, sum(v) AS value_sum, min(v) AS value_min, max(v) AS value_max
    FROM (
      SELECT toString(x.f) AS feature, x.slice_hash AS slice_hash, x.v AS v, fr.frame AS frame,
             ${FINER_BUCKET('(x.v - if(isFinite(fr.centre), fr.centre, 0.)) / if(fr.scale > 0 AND isFinite(fr.scale), fr.scale, 1.)')} AS bucket
      FROM (SELECT e.model AS model, e.ingested_at AS ingested_at, e.slice_hash AS slice_hash, f, v
            FROM (SELECT model, ingested_at, cityHash64(attributes) AS slice_hash, feature_numbers
                  FROM events FINAL WHERE ${HOUR_OF_EVENTS}) AS e
            ARRAY JOIN mapKeys(e.feature_numbers) AS f, mapValues(e.feature_numbers) AS v
            WHERE isFinite(v)) AS x
      ASOF LEFT JOIN (SELECT model, feature, created_at, frame, centre, scale FROM feature_frames
                      WHERE model = {model:String}) AS fr
        ON x.model = fr.model AND x.f = fr.feature AND x.ingested_at >= fr.created_at)
    GROUP BY feature, slice_hash, frame, bucket`;
}

/**
 * The cells and records of the hour's builds started before this one, deleted: readers
 * take the newest started build, so they are never read again (a build another process
 * started later is left alone: it replaces this one). A lightweight delete of one hour's
 * rows, only when there are such builds (a rebuild, or a build a crash cut short: its
 * started record names it).
 */
async function deleteEarlierBuilds(store: Store, params: QueryParams): Promise<void> {
  const earlier = await store.query<{ build_id: string }>(
    `SELECT DISTINCT toString(build_id) AS build_id FROM summary_finer_builds
     WHERE model = {model:String} AND ${HOURS_BETWEEN}
       AND started_at < fromUnixTimestamp64Micro({started_at:Int64}, 'UTC')`,
    params,
  );
  if (earlier.length === 0) return;
  await deleteBuilds(
    store,
    params,
    earlier.map((row) => row.build_id),
  );
}

/** The hour's cells and records of these builds, deleted (lightweight deletes of one hour's rows). */
async function deleteBuilds(store: Store, params: QueryParams, builds: string[]): Promise<void> {
  const cluster = store.cluster ? ` ON CLUSTER ${store.cluster.cluster}` : '';
  // the cells first: should the second delete not run, the records still name those builds
  for (const table of ['summary_1h_k10', 'summary_finer_builds']) {
    await store.command(
      `DELETE FROM ${storageTable(table, store.cluster)}${cluster}
       WHERE model = {model:String} AND ${HOURS_BETWEEN} AND build_id IN {builds:Array(UInt64)}`,
      { ...params, builds: builds.map((build) => BigInt(build)) },
    );
  }
}

/**
 * This build's cells and records deleted when another build of the hour started after it
 * (two processes' reconcilers, or two passes, building one hour at once): readers take that
 * newer one, and its own deleteEarlierBuilds may have run while this build's insert was
 * still writing, which would leave these cells behind, never read but kept until the TTL.
 */
async function deleteIfSuperseded(store: Store, params: QueryParams): Promise<void> {
  const [newer] = await store.query<{ n: string }>(
    `SELECT count() AS n FROM summary_finer_builds
     WHERE model = {model:String} AND ${HOURS_BETWEEN}
       AND started_at > fromUnixTimestamp64Micro({started_at:Int64}, 'UTC')`,
    params,
  );
  if (Number(newer?.n ?? 0) === 0) return;
  await deleteBuilds(store, params, [String(params.build_id)]);
}

/** A build id: random, never 0 (0 is a LEFT JOIN's miss). */
function newBuildId(): string {
  const id = randomBytes(8).readBigUInt64BE() | 1n;
  return id.toString();
}

/** A whole hour of a model's window as its finer cells stand: its events, and its current build if any. */
export interface FinerHour {
  hourMs: number;
  /** The hour's prediction events in summary_1h ('event' cells) now. */
  summarized: number;
  /** Its current build (newest, done, its fingerprint the hour's now), or null: read from raw events. */
  currentBuild: string | null;
}

/**
 * Every hour of [sinceMs, beforeMs) of a model that has prediction events in summary_1h,
 * with its events and its current build: the hours a window's narrowing reads from finer
 * cells, and the ones it would read from raw events (the open one, one whose late events
 * await a rebuild, one never built), with what each of those costs (its events).
 */
export async function listFinerHours(
  store: Store,
  model: string,
  range: { sinceMs: number; beforeMs: number },
): Promise<FinerHour[]> {
  const rows = await store.query<{
    hour_ms: string;
    summarized: string;
    current: number;
    build_id: string;
  }>(
    `SELECT toUnixTimestamp(grain_start) * 1000 AS hour_ms, summarized, current,
            toString(newest_build) AS build_id
     FROM (${FINER_HOURS(true)})
     ORDER BY hour_ms`,
    { model, since_ms: range.sinceMs, before_ms: range.beforeMs },
  );
  return rows.map((row) => ({
    hourMs: Number(row.hour_ms),
    summarized: Number(row.summarized),
    currentBuild: Number(row.current) === 1 ? row.build_id : null,
  }));
}
