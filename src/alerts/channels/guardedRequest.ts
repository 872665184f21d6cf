import dns from 'node:dns';
import http, { type IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import {
  addressProblem,
  destinationProblem,
  type MonitorAccess,
} from '../../monitors/monitorAccess.js';

/** Resolves a host name to its addresses (dns.lookup, or a test's stand-in for DNS). */
export type ResolveHost = (hostname: string) => Promise<{ address: string; family: number }[]>;

export const resolveWithDns: ResolveHost = (hostname) =>
  dns.promises.lookup(hostname, { all: true, verbatim: true });

export interface GuardedPost {
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  access: MonitorAccess;
  resolve?: ResolveHost;
  /**
   * The URL's query is itself the credential (a Teams Workflows `sig=`), read from the
   * environment, never from a file: the rules apply to the URL without it.
   */
  secretQuery?: boolean;
}

export type GuardedOutcome =
  | {
      kind: 'answered';
      status: number;
      headers: IncomingHttpHeaders;
      /** The start of the answer's body (a receiver's reason for refusing). */
      body: string;
    }
  /** Refused before a byte was sent: the URL, an address its host resolves to, or a redirect. */
  | { kind: 'refused'; reason: string };

/** Same-origin 307/308 redirects followed (a renamed repository on GitHub answers 307). */
const MAX_REDIRECTS = 3;

/**
 * POSTs a webhook within what the operator lets monitor files reach. The URL is checked
 * (monitorAccess), then every address its host resolves to, inside the lookup the connection
 * itself uses, so a name cannot resolve to a public address for the check and to
 * 169.254.169.254 for the connection. Redirects are followed only to the same origin, and
 * only 307/308 (which keep the method and body); any other is answered as it came (a 3xx the
 * caller treats as a failure), and one to another host is refused: neither the body nor the
 * credential headers ever go where the monitor file did not say.
 */
export async function postWithinAccess(request: GuardedPost): Promise<GuardedOutcome> {
  const deadline = AbortSignal.timeout(request.timeoutMs);
  let url = request.url;
  for (let hop = 0; ; hop += 1) {
    const problem = destinationProblem(
      request.secretQuery ? withoutQuery(url) : url,
      request.access,
    );
    if (problem) return { kind: 'refused', reason: problem };
    const answer = await postOnce(url, request, deadline);
    if (answer.kind === 'refused') return answer;
    const location = answer.headers.location;
    if ((answer.status !== 307 && answer.status !== 308) || !location) return answer;
    const next = new URL(location, url);
    if (next.origin !== new URL(url).origin) {
      return {
        kind: 'refused',
        reason: `answered HTTP ${answer.status}, a redirect to another host (${next.host}): not followed`,
      };
    }
    if (hop + 1 > MAX_REDIRECTS) {
      return { kind: 'refused', reason: `more than ${MAX_REDIRECTS} redirects: not followed` };
    }
    url = next.href;
  }
}

function withoutQuery(text: string): string {
  try {
    const url = new URL(text);
    url.search = '';
    return url.href;
  } catch {
    return text;
  }
}

const BODY_KEPT = 2048;

class RefusedAddress extends Error {}

function postOnce(url: string, request: GuardedPost, signal: AbortSignal): Promise<GuardedOutcome> {
  const target = new URL(url);
  const client = target.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const outgoing = client.request(
      target,
      {
        method: 'POST',
        headers: { ...request.headers, 'content-length': Buffer.byteLength(request.body) },
        lookup: guardedLookup(request.access, request.resolve ?? resolveWithDns),
        signal,
        agent: false,
      },
      (response) => {
        // Only the body's start is kept (a reason); reading the rest frees the connection.
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          if (body.length < BODY_KEPT) body += chunk.slice(0, BODY_KEPT - body.length);
        });
        response.on('end', () =>
          resolve({
            kind: 'answered',
            status: response.statusCode ?? 0,
            headers: response.headers,
            body,
          }),
        );
        response.on('error', reject);
      },
    );
    outgoing.on('error', (error) => {
      if (error instanceof RefusedAddress) resolve({ kind: 'refused', reason: error.message });
      else reject(error);
    });
    outgoing.end(request.body);
  });
}

/** The connection's own lookup: every address of the host is checked before one is used. */
function guardedLookup(access: MonitorAccess, resolveHost: ResolveHost): LookupFunction {
  return (hostname, options, callback) => {
    resolveHost(hostname).then(
      (addresses) => {
        const problem = addresses
          .map((entry) => addressProblem(entry.address, access))
          .find((found) => found !== null);
        if (addresses.length === 0 || problem) {
          const why = problem ?? 'no address';
          callback(new RefusedAddress(`${hostname} resolves to a refused address: ${why}`), '', 0);
          return;
        }
        const wanted = addresses.filter(
          (entry) => !options.family || entry.family === options.family,
        );
        const usable = wanted.length > 0 ? wanted : addresses;
        if (options.all) {
          (callback as unknown as (error: null, all: typeof addresses) => void)(null, usable);
        } else {
          const first = usable[0]!;
          callback(null, first.address, first.family);
        }
      },
      (error: NodeJS.ErrnoException) => callback(error, '', 0),
    );
  };
}
