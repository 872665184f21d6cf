import { DriftwatchError, InputError } from '../errors.js';
import type { StoredCounts } from '../store/events.js';
import type { HistoryRow } from '../store/results.js';

/**
 * The running service's HTTP API, for CLI commands while that service holds the embedded
 * store (libchdb lets one process at a time open a directory). Sends the API token as a
 * bearer token when one is configured (DRIFTWATCH_TOKEN).
 */
export interface ServiceClient {
  readonly url: string;
  status(): Promise<StoredCounts>;
  monitors(): Promise<{ model: string }[]>;
  history(
    model: string,
    query: Record<string, string | number | boolean | undefined>,
  ): Promise<HistoryRow[]>;
  runs(model: string): Promise<unknown[]>;
  run(model: string, windowEnd: string | undefined): Promise<unknown>;
  backtest(model: string, from: string, to: string): Promise<unknown>;
}

export function createServiceClient(url: string, token?: string): ServiceClient {
  const base = url.replace(/\/+$/, '');
  async function call<T>(method: 'GET' | 'POST', route: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(`${base}${route}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      throw new DriftwatchError(
        'DW_STORE',
        `the driftwatch service at ${base} holds the store but does not answer: ${(error as Error).message}`,
        { cause: error, retriable: true },
      );
    }
    const text = await response.text();
    const payload = parseJson(text);
    if (response.ok) return payload as T;
    const message = (payload as { error?: string } | undefined)?.error ?? text.slice(0, 200);
    if (response.status === 401 || response.status === 403) {
      throw new InputError(
        { file: `${base}${route}` },
        `the service refused the request (${response.status}): ${message}; set DRIFTWATCH_TOKEN to a token it accepts`,
      );
    }
    if (response.status < 500) throw new InputError({ file: `${base}${route}` }, message);
    throw new DriftwatchError('DW_INTERNAL', `the service at ${base} failed: ${message}`);
  }
  const model = (name: string) => `/v1/monitors/${encodeURIComponent(name)}`;
  return {
    url: base,
    status: () => call('GET', '/v1/status'),
    monitors: () => call('GET', '/v1/monitors'),
    history: (name, query) => call('GET', `${model(name)}/history${queryString(query)}`),
    runs: (name) => call('GET', `${model(name)}/runs`),
    run: (name, windowEnd) =>
      call('POST', `${model(name)}/run`, windowEnd === undefined ? {} : { window_end: windowEnd }),
    backtest: (name, from, to) => call('POST', `${model(name)}/backtest`, { from, to }),
  };
}

function queryString(query: Record<string, string | number | boolean | undefined>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined) params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
