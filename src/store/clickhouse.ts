import fs from 'node:fs';
import {
  createClient,
  type ClickHouseClient,
  type ClickHouseClientConfigOptions,
  type ClickHouseSettings,
} from '@clickhouse/client';
import { createChdbConnection } from 'chdb/connection';
import type { StoreConfig } from '../config/config.js';
import { DriftwatchError, errorMessage } from '../errors.js';
import { StoreLockedError, findStoreHolder } from './storeHolder.js';

export type QueryParams = Record<string, unknown>;

/**
 * The one gateway to ClickHouse. Every other module goes through these four calls, so
 * the SQL beside each call site is all there is, values only ever travel as typed query
 * parameters (`{name:Type}`), and errors come back as DriftwatchError with the server's
 * code kept in `cause`.
 */
export interface Store {
  readonly kind: StoreConfig['kind'];
  /** The raw client: for streaming exports and inserts that need it. */
  readonly client: ClickHouseClient;
  query<T>(sql: string, params?: QueryParams, settings?: ClickHouseSettings): Promise<T[]>;
  command(sql: string, params?: QueryParams, settings?: ClickHouseSettings): Promise<void>;
  insert<T extends object>(
    table: string,
    rows: readonly T[],
    settings?: ClickHouseSettings,
  ): Promise<void>;
  close(): Promise<void>;
}

/**
 * A server when CLICKHOUSE_URL is set; otherwise embedded ClickHouse (chdb) in a data
 * directory. Embedded mode uses the engine's `default` database: the directory belongs to
 * driftwatch alone, and chdb has no per-request database setting.
 */
export async function openStore(config: StoreConfig): Promise<Store> {
  if (config.kind === 'embedded') {
    if (config.dataDir !== ':memory:') fs.mkdirSync(config.dataDir, { recursive: true });
    const client = createClient({ connection: embeddedConnection(config.dataDir) });
    return wrapClient('embedded', client);
  }
  await ensureServerDatabase(config);
  const client = createClient({
    url: config.url,
    username: config.username,
    password: config.password,
    database: config.database,
    application: 'driftwatch',
  });
  return wrapClient('server', client);
}

type ClientConnection = NonNullable<ClickHouseClientConfigOptions['connection']>;

/**
 * chdb implements the client's Connection against @clickhouse/client-common's type
 * declarations, which differ from @clickhouse/client's only in where they are declared.
 */
function embeddedConnection(dataDir: string): ClientConnection {
  // Asked first, so a held store is reported by name without the engine's own stderr noise.
  const holder = dataDir === ':memory:' ? null : findStoreHolder(dataDir);
  if (holder) throw new StoreLockedError(dataDir, holder);
  try {
    return createChdbConnection({ path: dataDir }) as unknown as ClientConnection;
  } catch (error) {
    // "Failed to create connection for path": lost a race with another opener, or worse.
    const racer = findStoreHolder(dataDir);
    if (racer) throw new StoreLockedError(dataDir, racer);
    throw storeError(`open the embedded store in ${dataDir}`, error);
  }
}

async function ensureServerDatabase(
  config: Extract<StoreConfig, { kind: 'server' }>,
): Promise<void> {
  const bootstrap = createClient({
    url: config.url,
    username: config.username,
    password: config.password,
  });
  // On a cluster: one Replicated database across the nodes, so every table the migrations
  // create is created on every replica, and replicated (src/store/migrate.ts).
  const statement = config.cluster
    ? `CREATE DATABASE IF NOT EXISTS ${config.database} ON CLUSTER ${config.cluster} ` +
      `ENGINE = Replicated('/clickhouse/databases/${config.database}', '{shard}', '{replica}')`
    : `CREATE DATABASE IF NOT EXISTS ${config.database}`;
  try {
    await bootstrap.command({ query: statement });
  } catch (error) {
    throw storeError(`cannot reach ClickHouse at ${config.url}`, error);
  } finally {
    await bootstrap.close();
  }
}

function wrapClient(kind: StoreConfig['kind'], client: ClickHouseClient): Store {
  return {
    kind,
    client,
    async query<T>(sql: string, params: QueryParams = {}, settings: ClickHouseSettings = {}) {
      try {
        const result = await client.query({
          query: sql,
          query_params: params,
          format: 'JSONEachRow',
          clickhouse_settings: settings,
        });
        return await result.json<T>();
      } catch (error) {
        throw storeError(firstLine(sql), error);
      }
    },
    async command(sql: string, params: QueryParams = {}, settings: ClickHouseSettings = {}) {
      try {
        await client.command({ query: sql, query_params: params, clickhouse_settings: settings });
      } catch (error) {
        throw storeError(firstLine(sql), error);
      }
    },
    async insert<T extends object>(
      table: string,
      rows: readonly T[],
      settings: ClickHouseSettings = {},
    ) {
      if (rows.length === 0) return;
      try {
        await client.insert({
          table,
          values: rows as T[],
          format: 'JSONEachRow',
          clickhouse_settings: settings,
        });
      } catch (error) {
        throw storeError(`insert into ${table}`, error);
      }
    },
    async close() {
      await client.close();
    },
  };
}

/** ClickHouse's error code and type, kept from whichever client raised it. */
export interface ClickHouseFailure {
  code?: string;
  type?: string;
}

export function storeError(what: string, error: unknown): DriftwatchError {
  const failure = error as ClickHouseFailure;
  // Codes ClickHouse gives to problems of the query itself are not worth retrying;
  // everything without a code (sockets, timeouts) is.
  const retriable = failure.code === undefined;
  return new DriftwatchError('DW_STORE', `ClickHouse: ${errorMessage(error)} (in: ${what})`, {
    cause: error,
    retriable,
  });
}

function firstLine(sql: string): string {
  return sql.trim().split('\n')[0]?.slice(0, 120) ?? '';
}

/** DateTime64(3) parameters travel as 'YYYY-MM-DD hh:mm:ss.sss' in UTC. */
export function toClickHouseTime(date: Date): string {
  return date.toISOString().replace('T', ' ').replace('Z', '');
}
