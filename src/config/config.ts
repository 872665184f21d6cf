import os from 'node:os';
import path from 'node:path';
import { DriftwatchError } from '../errors.js';

/** Where ClickHouse lives: a server (production) or an embedded engine in a directory. */
export type StoreConfig =
  | {
      kind: 'server';
      url: string;
      username: string;
      password: string;
      database: string;
      /** CLICKHOUSE_CLUSTER: create the database on every node with the Replicated engine. */
      cluster?: string;
    }
  | { kind: 'embedded'; dataDir: string; database: string };

export interface KafkaConfig {
  brokers: string[];
  groupId: string;
  clientId: string;
  topics: { predictions: string; features: string; labels: string };
}

export interface Config {
  store: StoreConfig;
  kafka: KafkaConfig;
  http: {
    host: string;
    port: number;
    /** A request (headers and body) must arrive within this (DRIFTWATCH_REQUEST_TIMEOUT_MS). */
    requestTimeoutMs: number;
  };
  monitorsDir: string;
  /** The demo's own data directory: DRIFTWATCH_DATA_DIR if set, else .driftwatch/demo/data. */
  demoDataDir: string;
  /**
   * Directories the files monitors name (baselines) must lie in (DRIFTWATCH_BASELINE_ROOTS,
   * separated by ':'); unset: the monitors directory's parent.
   */
  baselineRoots: string[] | undefined;
  /** The bearer token the CLI sends to a running service's API (DRIFTWATCH_TOKEN). */
  serviceToken: string | undefined;
}

type Env = Readonly<Record<string, string | undefined>>;

/** Parsed once at start and passed down: no other module reads process.env. */
export function loadConfig(env: Env = process.env): Config {
  return {
    store: loadStoreConfig(env),
    kafka: loadKafkaConfig(env),
    http: {
      host: env.DRIFTWATCH_HOST ?? '127.0.0.1',
      port: parsePort(env.DRIFTWATCH_PORT ?? '8080', 'DRIFTWATCH_PORT'),
      requestTimeoutMs: parsePositiveInteger(
        env.DRIFTWATCH_REQUEST_TIMEOUT_MS ?? '30000',
        'DRIFTWATCH_REQUEST_TIMEOUT_MS',
      ),
    },
    monitorsDir: env.DRIFTWATCH_MONITORS_DIR ?? 'monitors',
    demoDataDir: path.resolve(env.DRIFTWATCH_DATA_DIR ?? path.join('.driftwatch', 'demo', 'data')),
    baselineRoots: env.DRIFTWATCH_BASELINE_ROOTS
      ? env.DRIFTWATCH_BASELINE_ROOTS.split(path.delimiter)
          .filter(Boolean)
          .map((root) => path.resolve(root))
      : undefined,
    serviceToken: env.DRIFTWATCH_TOKEN || undefined,
  };
}

export function loadStoreConfig(env: Env = process.env): StoreConfig {
  const database = env.CLICKHOUSE_DATABASE ?? 'driftwatch';
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(database)) {
    throw new DriftwatchError(
      'DW_CONFIG',
      `CLICKHOUSE_DATABASE "${database}" is not a plain identifier`,
    );
  }
  const url = env.CLICKHOUSE_URL;
  if (url) {
    const cluster = env.CLICKHOUSE_CLUSTER || undefined;
    if (cluster !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(cluster)) {
      throw new DriftwatchError(
        'DW_CONFIG',
        `CLICKHOUSE_CLUSTER "${cluster}" is not a plain identifier`,
      );
    }
    return {
      kind: 'server',
      url,
      username: env.CLICKHOUSE_USER ?? 'default',
      password: env.CLICKHOUSE_PASSWORD ?? '',
      database,
      ...(cluster ? { cluster } : {}),
    };
  }
  const dataDir = env.DRIFTWATCH_DATA_DIR ?? path.join(os.homedir(), '.driftwatch', 'data');
  return { kind: 'embedded', dataDir: path.resolve(dataDir), database };
}

export function loadKafkaConfig(env: Env = process.env): KafkaConfig {
  return {
    brokers: (env.KAFKA_BROKERS ?? 'localhost:9092')
      .split(',')
      .map((broker) => broker.trim())
      .filter(Boolean),
    groupId: env.KAFKA_GROUP ?? 'driftwatch-ingest',
    clientId: env.KAFKA_CLIENT_ID ?? 'driftwatch',
    topics: {
      predictions: env.KAFKA_TOPIC_PREDICTIONS ?? 'predictions',
      features: env.KAFKA_TOPIC_FEATURES ?? 'features',
      labels: env.KAFKA_TOPIC_LABELS ?? 'labels',
    },
  };
}

function parsePositiveInteger(value: string, name: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number <= 0) {
    throw new DriftwatchError(
      'DW_CONFIG',
      `${name} must be a positive whole number, got "${value}"`,
    );
  }
  return number;
}

function parsePort(value: string, name: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new DriftwatchError(
      'DW_CONFIG',
      `${name} must be a port number (0-65535), got "${value}"`,
    );
  }
  return port;
}
