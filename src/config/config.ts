import os from 'node:os';
import path from 'node:path';
import { DriftwatchError } from '../errors.js';

/** Where ClickHouse lives: a server (production) or an embedded engine in a directory. */
export type StoreConfig =
  | { kind: 'server'; url: string; username: string; password: string; database: string }
  | { kind: 'embedded'; dataDir: string; database: string };

export interface KafkaConfig {
  brokers: string[];
  groupId: string;
  clientId: string;
  topics: { predictions: string; features: string; labels: string };
}

/** Ingest limits, validation bounds and retention (README: "Ingestion limits"). */
export interface IngestConfig {
  /** Largest accepted event, in bytes (a Kafka message or one event of an HTTP body). */
  maxEventBytes: number;
  /** Largest accepted HTTP body, in bytes; bodies are read incrementally. */
  maxBodyBytes: number;
  /** Deepest accepted nesting of objects and arrays in one event. */
  maxDepth: number;
  /** Events before this instant (epoch ms) are refused (`ts_out_of_range`). */
  earliestEventMs: number;
  /** Events further ahead of this server's clock than this (ms) are refused. */
  maxFutureSkewMs: number;
  /** Dead letters keep this many bytes of the payload, with its full size and SHA-256. */
  deadLetterPayloadBytes: number;
  /** HTTP ingest requests processed at once; the others wait their turn. */
  httpConcurrency: number;
  /** A consumer with lag and no committed progress for this long is reported as stalled. */
  stallAfterMs: number;
  /** ClickHouse TTL in days (0 keeps data forever): events and labels, dead letters. */
  retention: { eventsDays: number; deadLettersDays: number };
}

export interface Config {
  store: StoreConfig;
  kafka: KafkaConfig;
  ingest: IngestConfig;
  http: { host: string; port: number };
  monitorsDir: string;
}

type Env = Readonly<Record<string, string | undefined>>;

/** Parsed once at start and passed down: no other module reads process.env. */
export function loadConfig(env: Env = process.env): Config {
  return {
    store: loadStoreConfig(env),
    kafka: loadKafkaConfig(env),
    ingest: loadIngestConfig(env),
    http: {
      host: env.DRIFTWATCH_HOST ?? '127.0.0.1',
      port: parsePort(env.DRIFTWATCH_PORT ?? '8080', 'DRIFTWATCH_PORT'),
    },
    monitorsDir: env.DRIFTWATCH_MONITORS_DIR ?? 'monitors',
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
    return {
      kind: 'server',
      url,
      username: env.CLICKHOUSE_USER ?? 'default',
      password: env.CLICKHOUSE_PASSWORD ?? '',
      database,
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

export function loadIngestConfig(env: Env = process.env): IngestConfig {
  const earliest = env.DRIFTWATCH_EARLIEST_EVENT_TIME ?? '2000-01-01T00:00:00Z';
  const earliestEventMs = Date.parse(earliest);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(earliest) || Number.isNaN(earliestEventMs)) {
    throw new DriftwatchError(
      'DW_CONFIG',
      `DRIFTWATCH_EARLIEST_EVENT_TIME must be an RFC 3339 time, got "${earliest}"`,
    );
  }
  const int = (name: string, fallback: number, min: number) =>
    parseInteger(env[name], name, fallback, min);
  return {
    maxEventBytes: int('DRIFTWATCH_MAX_EVENT_BYTES', 1024 * 1024, 1024),
    maxBodyBytes: int('DRIFTWATCH_MAX_BODY_BYTES', 64 * 1024 * 1024, 1024),
    maxDepth: int('DRIFTWATCH_MAX_EVENT_DEPTH', 32, 3),
    earliestEventMs,
    maxFutureSkewMs: int('DRIFTWATCH_MAX_FUTURE_SKEW_SECONDS', 3600, 0) * 1000,
    deadLetterPayloadBytes: int('DRIFTWATCH_DEAD_LETTER_PAYLOAD_BYTES', 64 * 1024, 256),
    httpConcurrency: int('DRIFTWATCH_HTTP_INGEST_CONCURRENCY', 8, 1),
    stallAfterMs: int('DRIFTWATCH_KAFKA_STALL_SECONDS', 60, 1) * 1000,
    retention: {
      eventsDays: int('DRIFTWATCH_EVENTS_RETENTION_DAYS', 0, 0),
      deadLettersDays: int('DRIFTWATCH_DEAD_LETTERS_RETENTION_DAYS', 30, 0),
    },
  };
}

function parseInteger(
  value: string | undefined,
  name: string,
  fallback: number,
  min: number,
): number {
  if (value === undefined || value.trim() === '') return fallback;
  const number = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(number) || number < min) {
    throw new DriftwatchError('DW_CONFIG', `${name} must be an integer >= ${min}, got "${value}"`);
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
