import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Session } from 'chdb';

/**
 * A loopback stand-in for a ClickHouse server: ClickHouse's HTTP interface (the subset
 * @clickhouse/client speaks: the query in the body or in `?query=`, `param_*` query
 * parameters, settings, `database`, errors as `Code: N. DB::Exception: ...` with status
 * 500) answered by an embedded engine (chdb, the same ClickHouse version). It lets tests
 * drive driftwatch's server-mode code — URL, credentials, database creation, typed
 * parameters over HTTP, inserts streamed as request bodies — where no ClickHouse server can
 * be installed (Debian's clickhouse-server package is version 18).
 *
 * What it cannot stand in for, and so is not claimed: a server's own configuration and
 * cluster features (users, Keeper, Replicated databases, ON CLUSTER). Like a server on
 * another host, it refuses the `file()` table function: a server cannot read the client's
 * files.
 *
 * With `cluster`, it answers as a node of a ClickHouse cluster of that name whose shards are
 * all this one engine (`remote_servers` in a config file; each shard's one replica is this
 * node, so a Distributed table over them runs here, for real). What a node without Keeper
 * cannot run is run as its one-node equivalent, and recorded as it was sent: ON CLUSTER runs
 * here only, a `Replicated…MergeTree` is its plain twin, and `prefer_localhost_replica = 0`
 * is not applied (it would send this node's own shard over TCP, where nothing listens).
 * With one shard, the plain twins keep a deduplication log like Keeper's
 * (`non_replicated_deduplication_window`), so insert deduplication tokens act as on a
 * cluster. With two shards both shards' local tables are the same table: a query that reads
 * both shards counts each row twice, which is how a test sees that a read was not
 * confined to one shard (the log is off there: two shards' blocks of one insert share a
 * token, and only on separate tables is that right).
 */
export interface ClickHouseHttpStandIn {
  url: string;
  /** Every SQL statement received, in order (to check what the client sent). */
  statements: string[];
  /** Every statement with the settings it came with (the URL's, as text). */
  requests: { statement: string; settings: Record<string, string>; bodySha256?: string }[];
  /**
   * From now on, answer every query as a server whose password for our user was changed
   * (AUTHENTICATION_FAILED), or again normally.
   */
  refuseLogins(refuse: boolean): void;
  close(): Promise<void>;
}

// Settings that exist only in the server's HTTP layer; the engine does not know them.
const HTTP_ONLY_SETTINGS = new Set([
  'wait_end_of_query',
  'send_progress_in_http_headers',
  'http_headers_progress_interval_ms',
  'enable_http_compression',
  'http_response_buffer_size',
]);
const NOT_SETTINGS = new Set(['query', 'query_id', 'database', 'default_format', 'session_id']);

export interface StandInCluster {
  name: string;
  shards: 1 | 2;
}

/** `port`: where to listen (a server that comes up where a client already waits); default any. */
export async function startClickHouseHttpStandIn(
  options: { port?: number; cluster?: StandInCluster } = {},
): Promise<ClickHouseHttpStandIn> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'driftwatch-ch-http-'));
  const { cluster } = options;
  const session = cluster
    ? new Session(path.join(dataDir, 'data'), {
        connectionArgs: [`--config-file=${writeClusterConfig(dataDir, cluster)}`],
      })
    : new Session(dataDir);
  const statements: string[] = [];
  const requests: ClickHouseHttpStandIn['requests'] = [];
  let refusingLogins = false;
  // one statement at a time, as one server connection's session would run them
  let queue: Promise<unknown> = Promise.resolve();

  // A server takes URLs up to http_max_uri_size (1 MiB by default); Node's default is 16 KiB.
  const server = http.createServer({ maxHeaderSize: 1024 * 1024 }, (request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      queue = queue.then(() => answer(request, Buffer.concat(chunks), response));
    });
  });

  async function answer(
    request: http.IncomingMessage,
    body: Buffer,
    response: http.ServerResponse,
  ): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (url.pathname === '/ping') {
      response.end('Ok.\n');
      return;
    }
    if (refusingLogins) {
      // What a server answers a client whose password is no longer the user's.
      response.statusCode = 401;
      response.setHeader('X-ClickHouse-Exception-Code', '516');
      response.end(
        'Code: 516. DB::Exception: default: Authentication failed: password is incorrect, or there is no user with such name. (AUTHENTICATION_FAILED)\n',
      );
      return;
    }
    const search = url.searchParams;
    // Query parameters and settings arrive as text, as the server receives them; `SET`
    // hands the engine that same text to parse by each placeholder's declared type.
    const settings: string[] = [];
    const received: Record<string, string> = {};
    for (const [key, value] of search) {
      const isSetting = !NOT_SETTINGS.has(key) && !HTTP_ONLY_SETTINGS.has(key);
      if (isSetting && !key.startsWith('param_')) received[key] = value;
      if (cluster && key === 'prefer_localhost_replica') continue;
      if (key.startsWith('param_') || isSetting)
        settings.push(`SET ${key} = ${stringLiteral(value)}`);
    }
    let sql = search.get('query') ?? body.toString('utf8');
    let spooled: string | undefined;
    try {
      if (search.has('query') && body.length > 0) {
        // data sent with the statement (an insert): the engine reads it as a server would
        const insert = /^\s*INSERT\s+INTO\s+(.+?)\s+FORMAT\s+(\w+)\s*$/is.exec(sql);
        if (!insert) throw new Error('Code: 62. DB::Exception: Unsupported body. (SYNTAX_ERROR)');
        spooled = path.join(dataDir, `body-${statements.length}`);
        fs.writeFileSync(spooled, body);
        sql = `INSERT INTO ${insert[1]} FROM INFILE '${spooled}' FORMAT ${insert[2]}`;
      } else if (/\bfile\s*\(/i.test(withoutComments(sql))) {
        throw new Error(
          "Code: 291. DB::Exception: File is not inside /var/lib/clickhouse/user_files/: this server cannot read the client's files. (DATABASE_ACCESS_DENIED)",
        );
      }
      statements.push(sql);
      requests.push({
        statement: sql,
        settings: received,
        ...(spooled ? { bodySha256: createHash('sha256').update(body).digest('hex') } : {}),
      });
      const database = search.get('database');
      const prefix = [...(database ? [`USE ${database}`] : []), ...settings];
      const full = [...prefix, cluster ? asThisNode(sql, cluster) : sql].join(';\n');
      const format = search.get('default_format') ?? 'TabSeparated';
      const result = await session.queryAsync(full, { format });
      response.setHeader('X-ClickHouse-Summary', '{}');
      response.end(Buffer.from(result.bytes()));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const code = /Code: (\d+)/.exec(message)?.[1] ?? '1000';
      response.statusCode = 500;
      response.setHeader('X-ClickHouse-Exception-Code', code);
      response.end(message);
    } finally {
      if (spooled) fs.rmSync(spooled, { force: true });
    }
  }

  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    statements,
    requests,
    refuseLogins(refuse) {
      refusingLogins = refuse;
    },
    async close() {
      await new Promise((resolve) => server.close(resolve));
      await queue;
      session.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The cluster's shards, each one replica: this node (an address of its own, port 9000). */
function writeClusterConfig(dir: string, cluster: StandInCluster): string {
  const hosts = ['127.0.0.1', 'localhost'].slice(0, cluster.shards);
  const shards = hosts
    .map(
      (host) =>
        `<shard><internal_replication>true</internal_replication>` +
        `<replica><host>${host}</host><port>9000</port></replica></shard>`,
    )
    .join('');
  const file = path.join(dir, 'cluster.xml');
  fs.writeFileSync(
    file,
    `<clickhouse><tcp_port>9000</tcp_port><remote_servers><${cluster.name}>${shards}</${cluster.name}></remote_servers></clickhouse>\n`,
  );
  return file;
}

const REPLICATED_ENGINE = /\bENGINE = Replicated(\w*MergeTree)\('[^']*', '[^']*'(?:, )?/;

/** A statement for the cluster as this Keeper-less node runs it (see the interface). */
function asThisNode(sql: string, cluster: StandInCluster): string {
  let statement = sql.replace(new RegExp(`\\s+ON CLUSTER ${cluster.name}\\b`, 'g'), '');
  if (REPLICATED_ENGINE.test(statement)) {
    statement = statement.replace(REPLICATED_ENGINE, 'ENGINE = $1(');
    if (cluster.shards === 1) {
      const log = 'non_replicated_deduplication_window = 10000';
      statement = /\bSETTINGS\b/.test(statement)
        ? `${statement}, ${log}`
        : `${statement} SETTINGS ${log}`;
    }
  }
  return statement;
}

function stringLiteral(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** The statement without its `--` and block comments: words in a comment call nothing. */
function withoutComments(sql: string): string {
  return sql.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/--[^\n]*/g, ' ');
}
