import type { AlertPlanJson } from '../alerts/alertPlan.js';
import type { AlertsApi } from '../api/alerts.js';
import type { AlertExplanation } from '../api/explanation.js';
import { DriftwatchError, InputError } from '../errors.js';
import type { StoredCounts } from '../store/events.js';
import type { StoredResult, StoredRun } from '../store/results.js';

/**
 * The running service's HTTP API (the same routes any client uses, see /openapi.json),
 * for CLI commands while that service holds the embedded store (libchdb lets one process
 * at a time open a directory). Sends the API token as a bearer token when one is
 * configured (DRIFTWATCH_TOKEN).
 */
export interface ServiceClient {
  readonly url: string;
  status(): Promise<StoredCounts>;
  models(): Promise<{ model: string }[]>;
  results(query: ResultsQuery): Promise<Page<StoredResult>>;
  runs(model: string, page: { limit: number; offset: number }): Promise<Page<RunView>>;
  /** Without windowEnd: the service evaluates the last complete scheduled window. */
  run(
    model: string,
    windowEnd?: string,
  ): Promise<{ run: RunView; results: StoredResult[]; alerts: RunAlertingView }>;
  backtest(model: string, from: string, to: string): Promise<BacktestView>;
  /** GET /v1/alerts/:id/explanation: why an alert fired. */
  alertExplanation(alertId: string, windowEnd?: string): Promise<AlertExplanation>;
  createBaseline(
    model: string,
    source: { file: string } | { from: string; to: string },
  ): Promise<{ model: string; name: string; version: number; row_count: number }>;
  /** The alert routes, as the same interface the service implements over its store. */
  alerts: AlertsApi;
  /** GET /v1/exports: the export as a tar archive. */
  exportArchive(query: Record<string, string | undefined>): Promise<Response>;
}

export interface Page<T> {
  items: T[];
  total: number;
  next_offset: number | null;
}

export interface ResultsQuery {
  model: string;
  feature?: string;
  slice?: string;
  metric?: string;
  /** comma-separated statuses */
  status?: string;
  limit: number;
  offset: number;
}

/** A run as the API shows it. */
export type RunView = StoredRun;

/** What the service's alert stage did with a run (alerts/runAlerting.ts). */
export interface RunAlertingView {
  taken: string;
  newest_handled: string | null;
  notifications: number;
  message: string;
}

export interface BacktestView {
  windows: {
    window_end: string;
    status: string;
    fired: number;
    checks: number;
    events?: number;
    reason?: string;
  }[];
  fired: StoredResult[];
  alerts: AlertPlanJson;
}

export function createServiceClient(url: string, token?: string): ServiceClient {
  const base = url.replace(/\/+$/, '');
  async function send(method: 'GET' | 'POST', route: string, body?: unknown): Promise<Response> {
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
    if (response.ok) return response;
    const text = await response.text();
    const message =
      (parseJson(text) as { error?: string } | undefined)?.error ?? text.slice(0, 200);
    if (response.status === 401 || response.status === 403) {
      throw new InputError(
        { file: `${base}${route}` },
        `the service refused the request (${response.status}): ${message}; set DRIFTWATCH_TOKEN to a token it accepts`,
      );
    }
    // The service's own words: what is wrong with the request, as the CLI would say it.
    if (response.status < 500) throw new DriftwatchError('DW_INPUT', message);
    if (response.status === 501)
      throw new DriftwatchError('DW_CONFIG', `the service at ${base} cannot do that: ${message}`);
    throw new DriftwatchError('DW_INTERNAL', `the service at ${base} failed: ${message}`);
  }
  async function call<T>(method: 'GET' | 'POST', route: string, body?: unknown): Promise<T> {
    return parseJson(await (await send(method, route, body)).text()) as T;
  }
  const model = (name: string) => `/v1/models/${encodeURIComponent(name)}`;
  return {
    url: base,
    status: () => call('GET', '/v1/status'),
    models: () => call('GET', '/v1/models'),
    results: (query) =>
      collectPages(query, (page) =>
        call('GET', `/v1/results${queryString({ ...query, ...page })}`),
      ),
    runs: (name, page) =>
      collectPages(page, (part) => call('GET', `${model(name)}/runs${queryString(part)}`)),
    run: (name, windowEnd) =>
      call('POST', `${model(name)}/runs`, windowEnd ? { window_end: windowEnd } : {}),
    backtest: (name, from, to) => call('POST', `${model(name)}/backtest`, { from, to }),
    alertExplanation: (alertId, windowEnd) =>
      call(
        'GET',
        `/v1/alerts/${encodeURIComponent(alertId)}/explanation${queryString({ window_end: windowEnd })}`,
      ),
    createBaseline: (name, source) => call('POST', `${model(name)}/baselines`, source),
    alerts: remoteAlerts(call),
    exportArchive: (query) => send('GET', `/v1/exports${queryString(query)}`),
  };
}

type Call = <T>(method: 'GET' | 'POST', route: string, body?: unknown) => Promise<T>;

/** AlertsApi over the service's alert routes: the CLI's commands do not know which they use. */
function remoteAlerts(call: Call): AlertsApi {
  const alert = (id: string) => `/v1/alerts/${encodeURIComponent(id)}`;
  return {
    list: (filter) =>
      call(
        'GET',
        `/v1/alerts${queryString({ model: filter.model, state: filter.states?.length ? filter.states.join(',') : undefined, limit: filter.limit, offset: filter.offset })}`,
      ),
    get: (id) => call('GET', alert(id)),
    acknowledge: (id, by, reason) => call('POST', `${alert(id)}/acknowledge`, { by, reason }),
    silence: (request) =>
      call('POST', '/v1/silences', {
        model: request.model,
        check_id: request.checkId,
        feature: request.feature,
        slice: request.slice,
        ...('forMs' in request.end
          ? { for: `${Math.round(request.end.forMs / 1000)}s` }
          : { until: request.end.until.toISOString() }),
        reason: request.reason,
        by: request.by,
      }),
    silences: (filter) => call('GET', `/v1/silences${queryString(filter)}`),
    endSilence: (id, by) => call('POST', `/v1/silences/${encodeURIComponent(id)}/end`, { by }),
    notifications: (filter) => call('GET', `/v1/notifications${queryString(filter)}`),
    test: (name, timeoutSeconds) =>
      call('POST', `/v1/models/${encodeURIComponent(name)}/alerts/test`, {
        timeout_seconds: timeoutSeconds,
      }),
    events: (filter) =>
      call(
        'GET',
        `/v1/alerts/events${queryString({
          model: filter.model,
          alert_id: filter.alertId,
          check_id: filter.checkId,
          feature: filter.feature,
          slice:
            filter.slice &&
            (filter.slice.key ? `${filter.slice.key}=${filter.slice.value}` : filter.slice.value),
          event: filter.events?.join(','),
          from: filter.from?.toISOString(),
          to: filter.to?.toISOString(),
          limit: filter.limit,
          offset: filter.offset,
        })}`,
      ),
  };
}

/** The API answers at most this many items a page. */
const API_PAGE_LIMIT = 1000;

/** A page of `limit` items from `offset`, fetched as the API's pages of at most 1000. */
async function collectPages<T>(
  wanted: { limit: number; offset: number },
  fetchPage: (page: { limit: number; offset: number }) => Promise<Page<T>>,
): Promise<Page<T>> {
  const items: T[] = [];
  let offset = wanted.offset;
  for (;;) {
    const limit = Math.min(API_PAGE_LIMIT, wanted.limit - items.length);
    const page = await fetchPage({ limit, offset });
    items.push(...page.items);
    offset += page.items.length;
    if (page.next_offset === null || page.items.length === 0 || items.length >= wanted.limit)
      return { items, total: page.total, next_offset: page.next_offset };
  }
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
