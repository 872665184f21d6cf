import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readinessAnswer } from '../observability/readiness.js';
import type { ErrorResponse } from './errors.js';
import { requestId } from './requestObservability.js';

/**
 * The HTTP face of a service that is still starting (waiting for its store, preparing its
 * monitors): `/healthz` answers that the process is alive, so a liveness probe does not
 * restart it; `/readyz` answers 503 with what it is waiting for, so an operator sees why;
 * every other route answers 503 "starting". Nothing here reads the store or needs a token:
 * it says only what /healthz and /readyz would. The service closes it and listens with its
 * real app on the same port once everything is ready.
 */
export interface StartupServer {
  /** The port it holds: the real app takes it over (the configured one, or the one given for 0). */
  readonly port: number;
  /** What /readyz says until the service is ready: the stage not ready yet, and why. */
  notReady(check: string, detail: string): void;
  /** Stops answering and frees the port (idempotent). */
  close(): Promise<void>;
}

export async function listenWhileStarting(
  listen: { host: string; port: number },
  initial: { check: string; detail: string },
): Promise<StartupServer> {
  let waitingFor = initial;
  const server = http.createServer((request, response) => {
    // Each answer ends its connection: the port is handed over without idle keep-alives.
    response.setHeader('connection', 'close');
    response.setHeader('content-type', 'application/json; charset=utf-8');
    const path = (request.url ?? '/').split('?')[0];
    if (request.method === 'GET' && path === '/healthz') {
      response.end(JSON.stringify({ status: 'ok' }));
      return;
    }
    response.statusCode = 503;
    response.setHeader('retry-after', '5');
    if (request.method === 'GET' && path === '/readyz') {
      const checks = { [waitingFor.check]: { ok: false, detail: waitingFor.detail } };
      response.end(JSON.stringify(readinessAnswer({ ready: false, checks })));
      return;
    }
    const id = requestId(request);
    response.setHeader('x-request-id', id);
    const body: ErrorResponse = {
      error: 'the service is starting: retry later',
      code: 'DW_UNAVAILABLE',
      request_id: id,
    };
    response.end(JSON.stringify(body));
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
