import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseTokenEntry, type TokenEntry } from '../api/auth/tokens.js';
import { DriftwatchError } from '../errors.js';

/** Where ClickHouse lives: a server (production) or an embedded engine in a directory. */
export type StoreConfig =
  | {
      kind: 'server';
      url: string;
      username: string;
      password: string;
      database: string;
      /** CLICKHOUSE_CLUSTER: the sharded, replicated form on this cluster (docs/CLUSTER.md). */
      cluster?: ClusterConfig;
      /**
       * How long the service's start-up waits for a server that does not answer yet
       * (DRIFTWATCH_STORE_WAIT_SECONDS, default 300; 0: fail at once).
       */
      waitMs: number;
    }
  | { kind: 'embedded'; dataDir: string; database: string };

/** A ClickHouse cluster driftwatch shards its tables over (docs/CLUSTER.md). */
export interface ClusterConfig {
  /** The cluster's name in the servers' `remote_servers` (CLICKHOUSE_CLUSTER). */
  name: string;
  /**
   * How many replicas of a shard hold an insert before it is acknowledged
   * (CLICKHOUSE_INSERT_QUORUM, ClickHouse's `insert_quorum`): `auto` (a majority, the
   * default), or a number (0 or 1: one replica).
   */
  insertQuorum: string;
}

export interface KafkaConfig {
  brokers: string[];
  groupId: string;
  clientId: string;
  topics: { predictions: string; features: string; labels: string };
  /**
   * How long the group coordinator waits for a silent consumer (KAFKA_SESSION_TIMEOUT_MS)
   * before giving its partitions to the others: after a crash, that consumer's partitions
   * wait this long. Heartbeats go every third of it, at most every 3 s.
   */
  sessionTimeout?: number;
  heartbeatInterval?: number;
}

/** Who may call the API, and how fast producers may post. */
export interface ApiConfig {
  /** Hashed tokens with their roles; none: the API is open, and only on loopback. */
  tokens: TokenEntry[];
  /** Requests per minute each token may make to POST /v1/events. */
  ingestRequestsPerMinute: number;
}

/** Compliance exports: the Ed25519 key that signs each manifest (PEM or base64 PKCS#8 DER). */
export interface ExportConfig {
  signingKey: string | null;
  /** The key verify checks against by default (PEM or base64 SPKI DER). */
  publicKey: string | null;
  /** Or the SHA-256 fingerprint of that key (sha256:<hex>), pinned. */
  publicKeyFingerprint: string | null;
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
  /**
   * Kafka batches wait for company before an insert until this many messages wait or the
   * oldest has waited `lingerMs`: larger inserts cost the summaries a fraction of the CPU
   * per event, for a bounded delay.
   */
  lingerMessages: number;
  lingerMs: number;
  /**
   * An HTTP post's chunks wait at most this long (ms) for company, so that concurrent posts
   * share an insert; it is added to the POST's latency (0: posts never wait).
   */
  httpLingerMs: number;
  /**
   * An hour's finer cells (summary_1h_k10) are built this long after it ends
   * (DRIFTWATCH_SUMMARY_FINER_GRACE_MINUTES, 2 by default: soon after its close, so a run
   * over the hour just closed reads them): late events arriving later rebuild it.
   */
  finerGraceMs: number;
  /** ClickHouse TTL in days (0 keeps data forever): events and labels, dead letters. */
  retention: RetentionSettings;
}

export interface Config {
  store: StoreConfig;
  kafka: KafkaConfig;
  ingest: IngestConfig;
  http: {
    host: string;
    port: number;
    /** A request (headers and body) must arrive within this (DRIFTWATCH_REQUEST_TIMEOUT_MS). */
    requestTimeoutMs: number;
    /** Reverse proxies whose X-Forwarded-* headers are believed (DRIFTWATCH_TRUST_PROXY). */
    trustProxy: string[];
  };
  monitorsDir: string;
  api: ApiConfig;
  exports: ExportConfig;
  alerts: AlertsConfig;
  /** The demo's own data directory: DRIFTWATCH_DATA_DIR if set, else .driftwatch/demo/data. */
  demoDataDir: string;
  /**
   * Directories the files monitors name (baselines) must lie in (DRIFTWATCH_BASELINE_ROOTS,
   * separated by ':'); unset: the monitors directory's parent.
   */
  baselineRoots: string[] | undefined;
  /** The bearer token the CLI sends to a running service's API (DRIFTWATCH_TOKEN). */
  serviceToken: string | undefined;
  /**
   * A variable the person at the command line names (`webhook verify --secret-env`): their
   * own shell's, read from the environment as it was at start. Monitor files never reach it.
   */
  readVariable(name: string): string | undefined;
  /**
   * After SIGTERM or SIGINT, `serve` and `ingest` exit within this (DRIFTWATCH_STOP_GRACE_SECONDS):
   * what the Kafka consumer has not committed by then is redelivered to the next owner.
   */
  stopGraceMs: number;
}

/** SMTP for email notices: a URL, or host and port (with optional credentials). */
export type SmtpConfig =
  | { kind: 'url'; url: string }
  | { kind: 'host'; host: string; port: number; secure: boolean; user?: string; password?: string };

/** Channels and delivery of alert notifications (src/alerts). */
export interface AlertsConfig {
  /** Where people reach this service: links in notifications. */
  publicUrl: string;
  /**
   * DRIFTWATCH_PUBLIC_URL was set: tools that live elsewhere (PagerDuty, Teams, Alertmanager)
   * get links only then, never to the default loopback address nobody there can open.
   */
  publicUrlSet: boolean;
  slack: { token: string | null; apiUrl: string };
  smtp: SmtpConfig | null;
  emailFrom: string;
  delivery: {
    maxAttempts: number;
    retryBaseMs: number;
    retryMaxMs: number;
    /** Per attempt, per channel. */
    timeoutMs: number;
    pollMs: number;
  };
  /**
   * The value of an environment variable a monitor file names (webhook `secret_env`,
   * `token_env`), read from the environment as it was at start, and only when the operator
   * exposed it to monitor files (DRIFTWATCH_MONITOR_SECRETS): the service's own settings
   * never. Values never leave the channels that use them.
   */
  readSecret(name: string): string | undefined;
  /** What monitor files may reach: the secrets they may name, the hosts their webhooks may call. */
  monitorAccess: MonitorAccessConfig;
}

/**
 * What monitor files, which come from many teams' pull requests, may reach; these settings
 * are the operator's (README: "What a monitor file may reach, and how an operator limits it").
 */
export interface MonitorAccessConfig {
  /**
   * DRIFTWATCH_MONITOR_SECRETS: the variables monitor files may name in `secret_env` and
   * `token_env`, as names (`CI_TOKEN`) and prefixes (`RETRAIN_*`). None by default; the
   * service's own settings (SERVICE_SETTING_PREFIXES) never, whatever this says.
   */
  secrets: readonly string[];
  /**
   * DRIFTWATCH_WEBHOOK_HOSTS: the hosts webhooks may call, as names (`ci.example.com`), any
   * subdomain of a domain (`*.example.com`) or IP addresses. Empty (the default): any host
   * but the ones always refused (link-local, cloud metadata) and loopback.
   */
  webhookHosts: readonly string[];
  /**
   * DRIFTWATCH_WEBHOOK_ALLOW_LOOPBACK=true: webhooks may call this machine (127.0.0.0/8,
   * ::1, localhost). Off by default; the tests' and the demo's local receivers need it.
   */
  allowLoopback: boolean;
}

/**
 * The service's own settings: every variable src/config reads starts with one of these (a
 * test reads this file to hold it so). A monitor file may never name one.
 */
export const SERVICE_SETTING_PREFIXES = [
  'DRIFTWATCH_',
  'CLICKHOUSE_',
  'KAFKA_',
  'SLACK_',
  'SMTP_',
] as const;

export function isServiceSetting(name: string): boolean {
  return SERVICE_SETTING_PREFIXES.some((prefix) => name.startsWith(prefix));
}

/** Whether the operator exposed a variable to monitor files: by name, or by a `PREFIX*` entry. */
export function isExposedToMonitors(name: string, exposed: readonly string[]): boolean {
  if (!ENV_NAME.test(name) || isServiceSetting(name)) return false;
  return exposed.some((entry) =>
    entry.endsWith('*') ? name.startsWith(entry.slice(0, -1)) : name === entry,
  );
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

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
      requestTimeoutMs: parsePositiveInteger(env, 'DRIFTWATCH_REQUEST_TIMEOUT_MS', 30_000),
      trustProxy: parseTrustProxy(env.DRIFTWATCH_TRUST_PROXY),
    },
    monitorsDir: env.DRIFTWATCH_MONITORS_DIR ?? 'monitors',
    stopGraceMs: parsePositiveInteger(env, 'DRIFTWATCH_STOP_GRACE_SECONDS', 20) * 1000,
    api: loadApiConfig(env),
    exports: {
      signingKey: env.DRIFTWATCH_EXPORT_SIGNING_KEY || null,
      publicKey: env.DRIFTWATCH_EXPORT_PUBLIC_KEY || null,
      publicKeyFingerprint: env.DRIFTWATCH_EXPORT_KEY_FINGERPRINT || null,
    },
    alerts: loadAlertsConfig(env),
    demoDataDir: path.resolve(env.DRIFTWATCH_DATA_DIR ?? path.join('.driftwatch', 'demo', 'data')),
    baselineRoots: env.DRIFTWATCH_BASELINE_ROOTS
      ? env.DRIFTWATCH_BASELINE_ROOTS.split(path.delimiter)
          .filter(Boolean)
          .map((root) => path.resolve(root))
      : undefined,
    serviceToken: env.DRIFTWATCH_TOKEN || undefined,
    readVariable: readFrom(Object.freeze({ ...env })),
  };
}

function readFrom(snapshot: Env): (name: string) => string | undefined {
  return (name) =>
    ENV_NAME.test(name) && Object.hasOwn(snapshot, name) ? snapshot[name] : undefined;
}

export function loadMonitorAccessConfig(env: Env = process.env): MonitorAccessConfig {
  const list = (text: string | undefined) =>
    (text ?? '')
      .split(/[\s,]+/)
      .map((entry) => entry.trim())
      .filter(Boolean);
  const secrets = list(env.DRIFTWATCH_MONITOR_SECRETS);
  for (const entry of secrets) {
    const name = entry.endsWith('*') ? entry.slice(0, -1) : entry;
    if (name === '' || !ENV_NAME.test(name)) {
      throw new DriftwatchError(
        'DW_CONFIG',
        `DRIFTWATCH_MONITOR_SECRETS: "${entry}" is not a variable name or a prefix ending in * (e.g. RETRAIN_SECRET, RETRAIN_*); a bare * would expose every variable`,
      );
    }
    // A prefix entry may not reach into them either (`DRIFT*`, `SMTP*`).
    const owned = SERVICE_SETTING_PREFIXES.find(
      (prefix) => name.startsWith(prefix) || (entry.endsWith('*') && prefix.startsWith(name)),
    );
    if (owned) {
      throw new DriftwatchError(
        'DW_CONFIG',
        `DRIFTWATCH_MONITOR_SECRETS: "${entry}" would expose the service's own settings (${owned}*), which monitor files may never read`,
      );
    }
  }
  const webhookHosts = list(env.DRIFTWATCH_WEBHOOK_HOSTS).map((entry) => entry.toLowerCase());
  for (const entry of webhookHosts) {
    if (!HOST_PATTERN.test(entry) && !net.isIP(entry.replace(/^\[|\]$/g, ''))) {
      throw new DriftwatchError(
        'DW_CONFIG',
        `DRIFTWATCH_WEBHOOK_HOSTS: "${entry}" is not a host name, *.domain or IP address (no scheme, port or path)`,
      );
    }
  }
  return {
    secrets,
    webhookHosts,
    allowLoopback: parseBoolean(env, 'DRIFTWATCH_WEBHOOK_ALLOW_LOOPBACK', false),
  };
}

/** A host name (letters, digits, hyphens, dots), optionally `*.` before a domain. */
const HOST_PATTERN = /^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;

function parseBoolean(env: Env, name: string, fallback: boolean): boolean {
  const text = env[name]?.trim().toLowerCase();
  if (text === undefined || text === '') return fallback;
  if (text === 'true' || text === '1') return true;
  if (text === 'false' || text === '0') return false;
  throw new DriftwatchError('DW_CONFIG', `${name} must be true or false, got "${env[name]}"`);
}

/**
 * Tokens come from DRIFTWATCH_TOKENS (entries separated by commas or newlines) and from
 * DRIFTWATCH_TOKENS_FILE (one entry per line, # comments): `role:sha256[:name]`.
 */
export function loadApiConfig(env: Env = process.env): ApiConfig {
  const sources: { where: string; text: string }[] = [];
  if (env.DRIFTWATCH_TOKENS)
    sources.push({ where: 'DRIFTWATCH_TOKENS', text: env.DRIFTWATCH_TOKENS });
  const file = env.DRIFTWATCH_TOKENS_FILE;
  if (file) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (error) {
      throw new DriftwatchError('DW_CONFIG', `DRIFTWATCH_TOKENS_FILE: cannot read ${file}`, {
        cause: error,
      });
    }
    sources.push({ where: file, text });
  }
  const tokens: TokenEntry[] = [];
  for (const { where, text } of sources) {
    const separator = where === 'DRIFTWATCH_TOKENS' ? /[,\n]/ : /\n/;
    text.split(separator).forEach((raw, index) => {
      const line = raw.replace(/#.*$/, '').trim();
      if (line === '') return;
      const parsed = parseTokenEntry(line, `token-${tokens.length + 1}`);
      if (!parsed.ok) {
        const at =
          where === 'DRIFTWATCH_TOKENS' ? `${where} entry ${index + 1}` : `${where}:${index + 1}`;
        throw new DriftwatchError('DW_CONFIG', `${at}: ${parsed.message}`);
      }
      tokens.push(parsed.entry);
    });
  }
  const rate = Number(env.DRIFTWATCH_INGEST_RATE_LIMIT ?? '1200');
  if (!Number.isInteger(rate) || rate < 1) {
    throw new DriftwatchError(
      'DW_CONFIG',
      `DRIFTWATCH_INGEST_RATE_LIMIT must be a whole number of requests per minute, got "${env.DRIFTWATCH_INGEST_RATE_LIMIT}"`,
    );
  }
  return { tokens, ingestRequestsPerMinute: rate };
}

export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

/**
 * A service without tokens answers anyone who reaches it: it may listen on loopback only.
 * Returns the line to print at start.
 */
export function checkApiBinding(config: Pick<Config, 'http' | 'api'>): string {
  if (config.api.tokens.length > 0) {
    return `API tokens: ${config.api.tokens.length} configured; every route but /healthz needs one`;
  }
  if (!isLoopbackHost(config.http.host)) {
    throw new DriftwatchError(
      'DW_CONFIG',
      `DRIFTWATCH_HOST=${config.http.host} without API tokens would open the API to the network: ` +
        'set DRIFTWATCH_TOKENS or DRIFTWATCH_TOKENS_FILE (driftwatch token create --role admin), or bind to 127.0.0.1',
    );
  }
  return `no API tokens configured: the API is open to this machine only (bound to ${config.http.host}); set DRIFTWATCH_TOKENS to require tokens`;
}

export function loadAlertsConfig(env: Env = process.env): AlertsConfig {
  const host = env.DRIFTWATCH_HOST ?? '127.0.0.1';
  const port = env.DRIFTWATCH_PORT ?? '8080';
  const read = readFrom(Object.freeze({ ...env }));
  const monitorAccess = loadMonitorAccessConfig(env);
  return {
    publicUrl: (env.DRIFTWATCH_PUBLIC_URL ?? `http://${host}:${port}`).replace(/\/+$/, ''),
    publicUrlSet: Boolean(env.DRIFTWATCH_PUBLIC_URL),
    slack: {
      token: env.SLACK_BOT_TOKEN || null,
      apiUrl: env.SLACK_API_URL ?? 'https://slack.com/api/',
    },
    smtp: loadSmtpConfig(env),
    emailFrom: env.SMTP_FROM ?? 'driftwatch <driftwatch@localhost>',
    delivery: {
      maxAttempts: parsePositiveInteger(env, 'DRIFTWATCH_ALERTS_MAX_ATTEMPTS', 10),
      retryBaseMs: parsePositiveInteger(env, 'DRIFTWATCH_ALERTS_RETRY_BASE_MS', 5_000),
      retryMaxMs: parsePositiveInteger(env, 'DRIFTWATCH_ALERTS_RETRY_MAX_MS', 600_000),
      timeoutMs: parsePositiveInteger(env, 'DRIFTWATCH_ALERTS_TIMEOUT_MS', 10_000),
      pollMs: parsePositiveInteger(env, 'DRIFTWATCH_ALERTS_POLL_MS', 1_000),
    },
    // The one door from a monitor file to the environment: only what the operator exposed.
    readSecret: (name) =>
      isExposedToMonitors(name, monitorAccess.secrets) ? read(name) : undefined,
    monitorAccess,
  };
}

function loadSmtpConfig(env: Env): SmtpConfig | null {
  if (env.SMTP_URL) return { kind: 'url', url: env.SMTP_URL };
  if (!env.SMTP_HOST) return null;
  const port = parsePort(env.SMTP_PORT ?? '587', 'SMTP_PORT');
  return {
    kind: 'host',
    host: env.SMTP_HOST,
    port,
    secure: env.SMTP_SECURE !== undefined ? env.SMTP_SECURE === 'true' : port === 465,
    ...(env.SMTP_USER ? { user: env.SMTP_USER, password: env.SMTP_PASSWORD ?? '' } : {}),
  };
}

const PROXY_RANGE_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

/**
 * DRIFTWATCH_TRUST_PROXY: the addresses (or CIDR ranges, or loopback / linklocal /
 * uniquelocal) of the reverse proxies in front of the service. Only a request arriving from
 * one of them has its X-Forwarded-Proto (a Secure session cookie behind https) and
 * X-Forwarded-For believed; "trust everyone" is refused, since any client could then claim
 * https or another address.
 */
function parseTrustProxy(value: string | undefined): string[] {
  const entries = (value ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  for (const entry of entries) {
    const [address = '', prefix, ...rest] = entry.split('/');
    const bits = net.isIPv4(address) ? 32 : net.isIPv6(address) ? 128 : 0;
    const validPrefix =
      prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= bits);
    if (PROXY_RANGE_NAMES.includes(entry)) continue;
    if (bits === 0 || !validPrefix || rest.length > 0) {
      throw new DriftwatchError(
        'DW_CONFIG',
        `DRIFTWATCH_TRUST_PROXY: "${entry}" is not an IP address, a CIDR range or one of ${PROXY_RANGE_NAMES.join(', ')} (list your proxies' addresses; trusting every client is not offered)`,
      );
    }
  }
  return entries;
}

function parsePositiveInteger(env: Env, name: string, fallback: number): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) {
    throw new DriftwatchError('DW_CONFIG', `${name} must be a positive integer, got "${text}"`);
  }
  return value;
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
    const cluster = loadClusterConfig(env);
    return {
      kind: 'server',
      url,
      username: env.CLICKHOUSE_USER ?? 'default',
      password: env.CLICKHOUSE_PASSWORD ?? '',
      database,
      ...(cluster ? { cluster } : {}),
      waitMs:
        parseInteger(env.DRIFTWATCH_STORE_WAIT_SECONDS, 'DRIFTWATCH_STORE_WAIT_SECONDS', 300, 0) *
        1000,
    };
  }
  const dataDir = env.DRIFTWATCH_DATA_DIR ?? path.join(os.homedir(), '.driftwatch', 'data');
  return { kind: 'embedded', dataDir: path.resolve(dataDir), database };
}

function loadClusterConfig(env: Env): ClusterConfig | undefined {
  const name = env.CLICKHOUSE_CLUSTER || undefined;
  if (name === undefined) return undefined;
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    throw new DriftwatchError(
      'DW_CONFIG',
      `CLICKHOUSE_CLUSTER "${name}" is not a plain identifier`,
    );
  }
  const insertQuorum = env.CLICKHOUSE_INSERT_QUORUM || 'auto';
  if (!/^(auto|\d{1,2})$/.test(insertQuorum)) {
    throw new DriftwatchError(
      'DW_CONFIG',
      `CLICKHOUSE_INSERT_QUORUM must be "auto" or a number of replicas, got "${insertQuorum}"`,
    );
  }
  return { name, insertQuorum };
}

export function loadKafkaConfig(env: Env = process.env): KafkaConfig {
  const sessionTimeout = parseInteger(
    env.KAFKA_SESSION_TIMEOUT_MS,
    'KAFKA_SESSION_TIMEOUT_MS',
    30_000,
    1000,
  );
  return {
    sessionTimeout,
    heartbeatInterval: Math.min(3000, Math.floor(sessionTimeout / 3)),
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
  // The summaries' grains (toStartOfHour, toStartOfFiveMinutes on DateTime) wrap around
  // outside 1970-01-01 .. 2106-02-07: an earlier event would be summarized under a wrong time.
  if (earliestEventMs < 0) {
    throw new DriftwatchError(
      'DW_CONFIG',
      `DRIFTWATCH_EARLIEST_EVENT_TIME must not be before 1970-01-01T00:00:00Z (the summaries' time grains start there), got "${earliest}"`,
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
    // At most half the writer's largest flush (50,000 messages; the consumer's pending bound
    // is twice that): one flush is written while the next fills. At most a second: the
    // linger is part of produce → queryable.
    lingerMessages: atMost(
      int('DRIFTWATCH_INGEST_LINGER_MESSAGES', 20_000, 1),
      25_000,
      'DRIFTWATCH_INGEST_LINGER_MESSAGES',
    ),
    lingerMs: atMost(
      int('DRIFTWATCH_INGEST_LINGER_MS', 200, 0),
      1000,
      'DRIFTWATCH_INGEST_LINGER_MS',
    ),
    httpLingerMs: atMost(
      int('DRIFTWATCH_INGEST_HTTP_LINGER_MS', 200, 0),
      1000,
      'DRIFTWATCH_INGEST_HTTP_LINGER_MS',
    ),
    finerGraceMs: int('DRIFTWATCH_SUMMARY_FINER_GRACE_MINUTES', 2, 0) * 60_000,
    retention: retentionSettings(int),
  };
}

export interface RetentionSettings {
  /** Days to keep events and labels by their event time; 0 keeps them forever. */
  eventsDays: number;
  /** Days to keep dead letters by when they were received; 0 keeps them forever. */
  deadLettersDays: number;
  /** Days to keep the five-minute summaries by their grain's start; 0 keeps them forever. */
  fiveMinuteSummaryDays: number;
  /** Days to keep the hour summaries; 0 keeps them forever. The day summaries are kept forever. */
  hourSummaryDays: number;
  /**
   * Days to keep the hour's finer cells of numbers (summary_1h_k10, migration 0015), which
   * only narrow straddling verdicts; 0 keeps them as long as the hour summaries. Never
   * longer than those: cells without their hour serve nothing.
   */
  finerSummaryDays: number;
}

/**
 * The finer cells' default: 35 days, a month-long window (the longest the benchmarks and the
 * demo declare; a backtest's month) with its baseline's range and a few days of late data.
 * A window reaching further back is narrowed from raw rows instead (run --json says so).
 * What it costs: docs/BENCHMARKS.md (close verdicts).
 */
export const FINER_SUMMARY_DAYS = 35;

/**
 * Days each kind of data is kept (0 = forever). The five-minute summaries are the largest
 * (a busy model's month: 276M cells, 4.8 GiB) and serve only sub-hour windows and their
 * edges, so they may expire first; a coarser grain that expired before a finer one would
 * leave windows answerable in pieces only, so 5m ≤ 1h is required.
 */
function retentionSettings(int: (name: string, fallback: number, min: number) => number) {
  const settings: RetentionSettings = {
    eventsDays: int('DRIFTWATCH_EVENTS_RETENTION_DAYS', 0, 0),
    deadLettersDays: int('DRIFTWATCH_DEAD_LETTERS_RETENTION_DAYS', 30, 0),
    fiveMinuteSummaryDays: int('DRIFTWATCH_SUMMARY_5M_RETENTION_DAYS', 0, 0),
    hourSummaryDays: int('DRIFTWATCH_SUMMARY_1H_RETENTION_DAYS', 0, 0),
    finerSummaryDays: int('DRIFTWATCH_SUMMARY_FINER_RETENTION_DAYS', FINER_SUMMARY_DAYS, 0),
  };
  const { fiveMinuteSummaryDays: fiveMinute, hourSummaryDays: hour } = settings;
  // the finer cells go with the hour grain at the latest
  if (hour > 0 && (settings.finerSummaryDays === 0 || settings.finerSummaryDays > hour))
    settings.finerSummaryDays = hour;
  if (hour > 0 && (fiveMinute === 0 || fiveMinute > hour)) {
    throw new DriftwatchError(
      'DW_CONFIG',
      `DRIFTWATCH_SUMMARY_5M_RETENTION_DAYS (${fiveMinute === 0 ? '0 = forever' : fiveMinute}) must not exceed DRIFTWATCH_SUMMARY_1H_RETENTION_DAYS (${hour}): the five-minute summaries may expire first, never the hour ones`,
    );
  }
  return settings;
}

function atMost(value: number, max: number, name: string): number {
  if (value > max) {
    throw new DriftwatchError('DW_CONFIG', `${name} must be at most ${max}, got ${value}`);
  }
  return value;
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
