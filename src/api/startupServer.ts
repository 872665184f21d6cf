import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { readinessAnswer } from '../observability/readiness.js';
import { accessRefusal, callerOf } from './auth/caller.js';
import { createTokenVerifier, type TokenEntry } from './auth/tokens.js';
import { API_ERRORS, type ApiErrorCode, type ErrorResponse } from './errors.js';
import { requestId } from './requestObservability.js';

/**
 * The HTTP face of a service that is still starting (waiting for its store, preparing its
 * monitors): `/healthz` answers that the process is alive, so a liveness probe does not
 * restart it; `/readyz` answers 503 with what it is waiting for, so an operator sees why;
 * `/metrics` serves the service's registry (start-up's own gauge and counter among it) to
 * the same callers as the app's /metrics; every other route answers 503 "starting".
 * Nothing here reads the store. The service closes it and listens with its real app on the
 * same port once everything is ready.
 */
export interface StartupServer {
  /** The port it holds: the real app takes it over (the configured one, or the one given for 0). */
  readonly port: number;
  /** What /readyz says until the service is ready: the stage not ready yet, and why. */
  notReady(check: string, detail: string): void;
  /** Stops answering and frees the port (idempotent). */
  close(): Promise<void>;
}

export interface StartupServerOptions {
  /** The service's metrics, served at /metrics while it starts. */
  registry?: Registry;
  /** The service's API tokens: /metrics needs the same grant as in the app. */
  tokens?: readonly TokenEntry[];
}

export async function listenWhileStarting(
  listen: { host: string; port: number },
  initial: { check: string; detail: string },
  options: StartupServerOptions = {},
): Promise<StartupServer> {
  let waitingFor = initial;
  const tokens = options.tokens ?? [];
  const verify = createTokenVerifier(tokens);
  const server = http.createServer((request, response) => {
    // Each answer ends its connection: the port is handed over without idle keep-alives.
    response.setHeader('connection', 'close');
    response.setHeader('content-type', 'application/json; charset=utf-8');
    const path = (request.url ?? '/').split('?')[0];
    if (request.method === 'GET' && path === '/healthz') {
      response.end(JSON.stringify({ status: 'ok' }));
      return;
    }
    const { registry } = options;
    if (request.method === 'GET' && path === '/metrics' && registry) {
      const open = tokens.length === 0;
      // Bearer tokens only: sessions live in the store, which is not there yet.
      void callerOf(request.headers, { token: verify }, open)
        .then(async (caller) => {
          const refusal = accessRefusal(caller, 'metrics', open);
          if (refusal) return answerError(request, response, refusal.code, refusal.message);
          const text = await registry.metrics();
          response.setHeader('content-type', registry.contentType);
          response.end(text);
        })
        .catch(() => answerError(request, response, 'DW_INTERNAL'));
      return;
    }
    response.statusCode = 503;
    response.setHeader('retry-after', '5');
    if (request.method === 'GET' && path === '/readyz') {
      const checks = { [waitingFor.check]: { ok: false, detail: waitingFor.detail } };
      response.end(JSON.stringify(readinessAnswer({ ready: false, checks })));
      return;
    }
    answerError(request, response, 'DW_UNAVAILABLE', 'the service is starting: retry later');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  let closed: Promise<void> | undefined;
  return {
    port,
    notReady(check, detail) {
      waitingFor = { check, detail };
    },
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}

function answerError(
  request: http.IncomingMessage,
  response: http.ServerResponse,
  code: ApiErrorCode,
  message?: string,
): void {
  const id = requestId(request);
  response.statusCode = API_ERRORS[code].status;
  response.setHeader('x-request-id', id);
  const body: ErrorResponse = { error: message ?? API_ERRORS[code].message, code, request_id: id };
  response.end(JSON.stringify(body));
}
