import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerOptions } from 'node:http';
import { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { Counter } from 'prom-client';
import { PROGRESS_BYTES } from '../ingest/httpBody.js';
import type { MetricsRegistry } from '../observability/metrics.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route reads its body itself, timing the client's silence as it reads (POST /v1/events). */
    readsBodyItself?: boolean;
  }
}

/** Limits on the HTTP server: a slow or stalled client cannot hold a connection open. */
export interface HttpLimits {
  /**
   * The longest a client may stay silent while the server waits for its request: the
   * headers must arrive within this, and while a body is read the client must send at
   * least PROGRESS_BYTES (or the rest of it) in every such span; then 408 and close. Time
   * the server spends on its own work (processing what it read, waiting for its turn) is
   * not counted.
   */
  requestTimeoutMs: number;
}

export const DEFAULT_HTTP_LIMITS: HttpLimits = { requestTimeoutMs: 30_000 };

/**
 * Node's own server options for the limits. Set after the server is built (as fastify sets
 * `requestTimeout`), they are not enforced: a body trickled at 1 byte/s stayed open past
 * the 60 s headers timeout. Node looks for expired requests every
 * `connectionsCheckingInterval` (30 s by default). Node's `requestTimeout` (the whole
 * request, body included, from its first byte) is off: it counted the server's own reading
 * and processing of a large body, so 8 posts of 64 MiB at once all got 408 after 30 s.
 * Bodies are timed by `cutOffSilentClients` and the events route instead.
 */
export function httpServerTimeouts(limits: HttpLimits): ServerOptions {
  return {
    requestTimeout: 0,
    headersTimeout: Math.min(60_000, limits.requestTimeoutMs),
    connectionsCheckingInterval: Math.max(100, Math.min(5_000, limits.requestTimeoutMs / 4)),
  };
}

/**
 * A request whose body the framework reads (every route but the events route) ends with
 * 408 and a closed connection when the client sends less than PROGRESS_BYTES (or the rest)
 * in `silenceMs`: those bodies are read as they arrive, so the socket's byte count is the
 * client's progress. The answer is Node's own 408 (fastify's clientError handler).
 */
export function cutOffSilentClients(app: FastifyInstance, silenceMs: number): void {
  const checkEveryMs = Math.max(50, Math.min(1_000, silenceMs / 4));
  app.addHook('onRequest', async (request) => {
    const raw = request.raw;
    const socket = raw.socket;
    // inject() (tests) answers without a socket
    if (request.routeOptions.config.readsBodyItself || raw.complete || !(socket instanceof Socket))
      return;
    let mark = socket.bytesRead;
    let since = performance.now();
    const timer = setInterval(() => {
      if (raw.complete || socket.destroyed) {
        clearInterval(timer);
        return;
      }
      if (socket.bytesRead - mark >= PROGRESS_BYTES) {
        mark = socket.bytesRead;
        since = performance.now();
        return;
      }
      if (performance.now() - since < silenceMs) return;
      clearInterval(timer);
      const timeout = Object.assign(new Error('the client was silent'), {
        code: 'ERR_HTTP_REQUEST_TIMEOUT',
      });
      app.server.emit('clientError', timeout, socket);
    }, checkEveryMs);
    timer.unref();
    raw.once('end', () => clearInterval(timer));
    raw.once('close', () => clearInterval(timer));
  });
}

/**
 * Every request carries an id: the caller's `x-request-id` when it is a sane one, else a
 * fresh UUID; it is in every log line of the request (fastify's `reqId`) and echoed in the
 * response, so a user's report and the logs meet.
 */
export function requestId(request: IncomingMessage): string {
  const given = request.headers['x-request-id'];
  return typeof given === 'string' && /^[A-Za-z0-9._:-]{1,64}$/.test(given) ? given : randomUUID();
}

/**
 * Counts every 5xx answer by route and status (the error handler logs each with its cause).
 * 501 is a statement about this service's features, not a failure.
 */
export function observeRequests(app: FastifyInstance, registry: MetricsRegistry): void {
  const serverErrors = new Counter({
    name: 'driftwatch_http_server_errors_total',
    help: 'HTTP responses with a 5xx status, by route pattern and status',
    labelNames: ['route', 'status'] as const,
    registers: [registry],
  });
  app.addHook('onRequest', async (request, reply) => {
    void reply.header('x-request-id', request.id);
  });
  app.addHook('onResponse', async (request, reply) => {
    if (reply.statusCode >= 500 && reply.statusCode !== 501) {
      serverErrors.inc({
        route: request.routeOptions.url ?? 'unmatched',
        status: String(reply.statusCode),
      });
    }
  });
}
