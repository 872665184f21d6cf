import { randomUUID } from 'node:crypto';
import { STATUS_CODES, type IncomingMessage, type ServerOptions } from 'node:http';
import { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { Counter } from 'prom-client';
import { PROGRESS_BYTES } from '../ingest/httpBody.js';
import type { MetricsRegistry } from '../observability/metrics.js';
import { API_ERRORS, clientWentAway, type ApiErrorCode, type ErrorResponse } from './errors.js';

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
 * What the HTTP metrics tell apart: a 5xx is the server's failure (logged with its cause
 * by the error handler, counted by route and status); a request the client abandoned, or
 * that timed out because the client was too slow, is the client's, counted by route and
 * reason. A client closing its connection mid-body is not an internal error.
 */
export interface RequestObserver {
  /** For fastify's `clientErrorHandler`: answers slow clients (408) in the API's error shape. */
  clientErrorHandler(error: Error & { code?: string }, socket: Socket): void;
  /** Hooks on the app: the request id on every answer, and the counts. */
  install(app: FastifyInstance): void;
}

export function createRequestObserver(
  registry: MetricsRegistry,
  limits: HttpLimits = DEFAULT_HTTP_LIMITS,
): RequestObserver {
  const serverErrors = new Counter({
    name: 'driftwatch_http_server_errors_total',
    help: 'HTTP responses with a 5xx status (501 aside), by route pattern and status: failures of the server',
    labelNames: ['route', 'status'] as const,
    registers: [registry],
  });
  const abandoned = new Counter({
    name: 'driftwatch_http_requests_abandoned_total',
    help: 'HTTP requests that ended without their answer, by route pattern and reason: client_closed (the client went away) or timeout (408: the request did not arrive in time)',
    labelNames: ['route', 'reason'] as const,
    registers: [registry],
  });
  for (const reason of ['client_closed', 'timeout'] as const)
    abandoned.inc({ route: 'unmatched', reason }, 0);
  // Sockets Node gave up on (408), and those with a request in flight.
  const timedOut = new WeakSet<Socket>();
  const inFlight = new WeakSet<Socket>();

  return {
    clientErrorHandler(error, socket) {
      if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT' || error.code === 'ERR_HTTP_HEADERS_TIMEOUT') {
        timedOut.add(socket);
        // No route saw it (the headers never arrived): counted here, once.
        if (!inFlight.has(socket)) abandoned.inc({ route: 'unmatched', reason: 'timeout' });
        answerOnSocket(socket, 'DW_REQUEST_TIMEOUT', {
          message: `the client sent too little of its request in ${limits.requestTimeoutMs} ms (DRIFTWATCH_REQUEST_TIMEOUT_MS)`,
        });
        return;
      }
      if (error.code === 'ECONNRESET' || socket.destroyed) return;
      answerOnSocket(
        socket,
        error.code === 'HPE_HEADER_OVERFLOW' ? 'DW_HEADERS_TOO_LARGE' : 'DW_BAD_REQUEST',
        {
          message:
            error.code === 'HPE_HEADER_OVERFLOW' ? undefined : 'the request is not valid HTTP',
        },
      );
    },
    install(app) {
      app.addHook('onRequest', async (request, reply) => {
        void reply.header('x-request-id', request.id);
        const socket = request.raw.socket as Socket | undefined;
        if (!socket) return;
        inFlight.add(socket);
        reply.raw.once('close', () => {
          inFlight.delete(socket);
          if (reply.raw.writableFinished) return;
          abandoned.inc({
            route: request.routeOptions.url ?? 'unmatched',
            reason: timedOut.has(socket) ? 'timeout' : 'client_closed',
          });
        });
      });
      app.addHook('onResponse', async (request, reply) => {
        // a route's own 408 (the events route, when the client went silent mid-body)
        if (reply.statusCode === 408) {
          abandoned.inc({ route: request.routeOptions.url ?? 'unmatched', reason: 'timeout' });
        }
        if (reply.statusCode >= 500 && reply.statusCode !== 501 && !clientWentAway(request)) {
          serverErrors.inc({
            route: request.routeOptions.url ?? 'unmatched',
            status: String(reply.statusCode),
          });
        }
      });
    },
  };
}

/** An answer written on the socket itself (before or outside any route), then closed. */
function answerOnSocket(socket: Socket, code: ApiErrorCode, options: { message?: string }): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const status = API_ERRORS[code].status;
  const body: ErrorResponse = {
    error: options.message ?? API_ERRORS[code].message,
    code,
    request_id: randomUUID(),
  };
  const text = JSON.stringify(body);
  const head = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`,
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(text)}`,
    `X-Request-Id: ${body.request_id}`,
    'Connection: close',
  ].join('\r\n');
  socket.end(`${head}\r\n\r\n${text}`, () => socket.destroy());
}
