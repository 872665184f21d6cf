import type { Store } from './clickhouse.js';
import { isoFromClickHouse } from './results.js';

export interface MonitorFileVersion {
  monitor: string;
  model: string;
  hash: string;
  path: string;
  text: string;
}

/** One row per load: the text under a hash, and when the service (re)loaded it. */
export async function insertMonitorFileVersions(
  store: Store,
  versions: readonly MonitorFileVersion[],
): Promise<void> {
  await store.insert(
    'monitor_files',
    versions.map((version) => ({ ...version })),
  );
}

export interface StoredMonitorFile extends MonitorFileVersion {
  first_loaded_at: string;
  last_loaded_at: string;
  loads: number;
}

/** Each distinct monitor file version, oldest first. */
export async function listMonitorFileVersions(
  store: Store,
  filter: { model?: string } = {},
): Promise<StoredMonitorFile[]> {
  const rows = await store.query<Record<string, string | number>>(
    `SELECT monitor, model, hash, any(path) AS file_path, any(text) AS file_text,
            toString(min(loaded_at)) AS first_loaded, toString(max(loaded_at)) AS last_loaded, count() AS loads
     FROM monitor_files
     WHERE {model:String} = '' OR model = {model:String}
     GROUP BY monitor, model, hash ORDER BY min(loaded_at), model, hash`,
    { model: filter.model ?? '' },
  );
  return rows.map((row) => ({
    monitor: String(row.monitor),
    model: String(row.model),
    hash: String(row.hash),
    path: String(row.file_path),
    text: String(row.file_text),
    first_loaded_at: isoFromClickHouse(String(row.first_loaded)),
    last_loaded_at: isoFromClickHouse(String(row.last_loaded)),
    loads: Number(row.loads),
  }));
}
