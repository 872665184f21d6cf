import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerOptions } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { Counter } from 'prom-client';
import type { MetricsRegistry } from '../observability/metrics.js';

/** Limits on the HTTP server: a slow or stalled client cannot hold a connection open. */
export interface HttpLimits {
  /** The whole request (headers and body) must arrive within this; then 408 and close. */
  requestTimeoutMs: number;
}

export const DEFAULT_HTTP_LIMITS: HttpLimits = { requestTimeoutMs: 30_000 };

/**
 * Node's own server options for the limits. Set after the server is built (as fastify sets
 * `requestTimeout`), they are not enforced: a body trickled at 1 byte/s stayed open past
 * the 60 s headers timeout. Node looks for expired requests every
 * `connectionsCheckingInterval` (30 s by default).
 */
export function httpServerTimeouts(limits: HttpLimits): ServerOptions {
  return {
    requestTimeout: limits.requestTimeoutMs,
    headersTimeout: Math.min(60_000, limits.requestTimeoutMs),
    connectionsCheckingInterval: Math.max(100, Math.min(5_000, limits.requestTimeoutMs / 4)),
  };
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
