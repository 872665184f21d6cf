import net from 'node:net';

/**
 * A TCP proxy in front of the ClickHouse HTTP stand-in, through which the service's
 * processes reach the store, so the soak can take the store away without touching it:
 * - `pass`: bytes flow both ways;
 * - `refuse`: nothing listens (connection refused) and open connections are cut;
 * - `drop`: requests reach the store and run, but every answer is cut before the client
 *   sees it — an insert that happened without the client knowing, the case that tests
 *   deduplication on retry.
 * It also reports the requests it sees (the first line of each), so a kill can land while
 * an insert is in flight, and can hold back one insert's answer while the inserter dies.
 */
export type ProxyMode = 'pass' | 'refuse' | 'drop';

export interface InsertHook {
  /** An INSERT INTO `table` went by, towards the store. */
  onRequest?(): void;
  /**
   * The store began answering that insert: 'discard' cuts the connection instead of
   * passing the answer on (the insert ran; the client is never told).
   */
  onResponse?(): 'forward' | 'discard';
}

export interface StoreProxy {
  readonly url: string;
  mode(): ProxyMode;
  setMode(mode: ProxyMode): Promise<void>;
  /** Watches the next insert into `table`: each hook fires once. */
  watchInsert(table: string, hook: InsertHook): void;
  close(): Promise<void>;
}

interface Pair {
  client: net.Socket;
  upstream: net.Socket;
  /** The table of the insert whose answer is awaited on this connection, if any. */
  insertInFlight: string | undefined;
}

export async function startStoreProxy(target: { host: string; port: number }): Promise<StoreProxy> {
  const pairs = new Set<Pair>();
  let current: ProxyMode = 'pass';
  let watched: { table: string; hook: InsertHook } | undefined;
  let server = createServer();
  const port = await listen(server, 0);

  function createServer(): net.Server {
    return net.createServer((client) => {
      const upstream = net.connect(target.port, target.host);
      const pair: Pair = { client, upstream, insertInFlight: undefined };
      pairs.add(pair);
      const cut = () => {
        client.destroy();
        upstream.destroy();
        pairs.delete(pair);
      };
      client.on('error', cut);
      upstream.on('error', cut);
      client.on('close', cut);
      upstream.on('close', cut);
      client.on('data', (chunk: Buffer) => {
        const table = insertTableOf(chunk);
        if (table !== undefined) {
          pair.insertInFlight = table;
          if (watched?.table === table && watched.hook.onRequest) {
            const { hook } = watched;
            watched = undefined; // one insert at a time: the hook fires once
            hook.onRequest?.();
          }
        }
        upstream.write(chunk);
      });
      upstream.on('data', (chunk: Buffer) => {
        if (current === 'drop') return cut();
        const table = pair.insertInFlight;
        pair.insertInFlight = undefined;
        if (table !== undefined && watched?.table === table && watched.hook.onResponse) {
          const { hook } = watched;
          watched = undefined;
          if (hook.onResponse?.() === 'discard') return cut();
        }
        client.write(chunk);
      });
    });
  }

  return {
    url: `http://127.0.0.1:${port}`,
    mode: () => current,
    async setMode(mode) {
      if (mode === current) return;
      const previous = current;
      current = mode;
      if (mode === 'refuse') {
        // close() waits for open connections to end: they are cut first
        const closed = new Promise((resolve) => server.close(resolve));
        for (const pair of [...pairs]) {
          pair.client.destroy();
          pair.upstream.destroy();
        }
        pairs.clear();
        await closed;
      } else if (previous === 'refuse') {
        server = createServer();
        await listen(server, port);
      }
    },
    watchInsert(table, hook) {
      watched = { table, hook };
    },
    async close() {
      const closed = server.listening
        ? new Promise((resolve) => server.close(resolve))
        : Promise.resolve();
      for (const pair of [...pairs]) {
        pair.client.destroy();
        pair.upstream.destroy();
      }
      await closed;
    },
  };
}

function listen(server: net.Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve((server.address() as net.AddressInfo).port);
    });
  });
}

/**
 * The table of an INSERT when this chunk starts an HTTP request carrying one (the client
 * sends the statement in the URL when a body follows: `POST /?query=INSERT+INTO+events...`).
 */
export function insertTableOf(chunk: Buffer): string | undefined {
  if (chunk.length < 5 || chunk.toString('latin1', 0, 5) !== 'POST ') return undefined;
  const end = chunk.indexOf(' HTTP/1.1');
  if (end < 0) return undefined;
  let target: string;
  try {
    target = decodeURIComponent(chunk.toString('latin1', 5, end).replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
  return /[?&]query=\s*INSERT\s+INTO\s+[`"]?(\w+)/i.exec(target)?.[1];
}
