import fastifyCookie from '@fastify/cookie';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { loadIngestConfig, type IngestConfig } from '../config/config.js';
import type { IngestMetrics } from '../ingest/metrics.js';
import { createEventPipeline, pipelineOptions } from '../ingest/pipeline.js';
import { countingUnwatchedModels, createUnwatchedModelCounter } from '../ingest/unwatchedModels.js';
import { createEventWriter, type EventWriter } from '../ingest/writer.js';
import type { MonitorPlan } from '../monitors/plan.js';
import type { Logger } from '../observability/logger.js';
import type { MetricsRegistry } from '../observability/metrics.js';
import type { ReadinessCheck } from '../observability/readiness.js';
import type { Store } from '../store/clickhouse.js';
import type { AlertsApi } from './alerts.js';
import { installAuth } from './auth/plugin.js';
import { createSessions } from './auth/sessions.js';
import type { TokenEntry } from './auth/tokens.js';
import { registerDriftGauges } from './driftGauges.js';
import {
  API_ERRORS,
  describeValidationErrors,
  documentErrorResponses,
  installErrorHandler,
} from './errors.js';
import { openApiDescription } from './openapi.js';
import {
  cutOffSilentClients,
  DEFAULT_HTTP_LIMITS,
  createRequestObserver,
  httpServerTimeouts,
  requestId,
  type HttpLimits,
} from './requestObservability.js';
import { alertRoutes } from './routes/alerts/index.js';
import { explanationRoutes } from './routes/alerts/explanation.js';
import { dashboardRoutes } from './routes/dashboard/index.js';
import { registerDeadLetterRoutes } from './routes/deadLetters.js';
import { registerEventRoutes } from './routes/events.js';
import { exportRoutes, type ExportRouteOptions } from './routes/exports/index.js';
import { modelRoutes, type ModelRouteOptions } from './routes/models/index.js';
import { opsRoutes } from './routes/ops/index.js';
import { resultRoutes } from './routes/results/index.js';

export interface AppDependencies {
  store: Store;
  metrics: IngestMetrics;
  /** The monitors the service runs, for the model routes. */
  monitors: () => readonly MonitorPlan[];
  /** Where a baseline file named through the API may lie; none: no file baselines through it. */
  baselineRoots?: readonly string[];
  /** Ingest limits and validation bounds; the defaults of loadIngestConfig when absent. */
  ingest?: IngestConfig;
  /** The process's one event writer (shared with the Kafka consumer); its own when absent. */
  writer?: EventWriter;
  /** Request logs (with request ids) go here; none when absent. */
  logger?: Logger;
  /** Every stage's Prometheus metrics, rendered at /metrics. */
  registry?: MetricsRegistry;
  /** API tokens (hashed) and the ingest rate; no tokens: open, for a loopback-only service. */
  auth?: { tokens: readonly TokenEntry[]; ingestRequestsPerMinute?: number };
  /** Alert state (src/alerts): list, acknowledge, silence. Absent: those routes answer 501. */
  alerts?: AlertsApi;
  /** Where a run asked for over HTTP goes after it is stored (the alert stage). */
  onRunEvaluated?: ModelRouteOptions['onRunEvaluated'];
  /** Signing key and software version for exports through the API. */
  exports?: ExportRouteOptions['exports'];
  /** Label sets of the drift gauges stay bounded: at most this many slices per model. */
  gaugeSlicesPerModel?: number;
  /**
   * What /readyz checks besides the store: each stage that can be unready adds its own
   * (the Kafka consumer, for one) where the service is wired.
   */
  readiness?: readonly ReadinessCheck[];
  http?: Partial<HttpLimits>;
  /**
   * The reverse proxies whose X-Forwarded-For / -Proto / -Host are believed (addresses,
   * CIDR ranges, or proxy-addr's names: loopback, linklocal, uniquelocal). Empty: none, and
   * the request's protocol and address are the socket's own.
   */
  trustProxy?: readonly string[];
}

/**
 * The HTTP face of driftwatch, built as a function so tests use inject() without a network.
 * Cross-cutting concerns (errors, tokens, content types, OpenAPI) sit on the root; each
 * route folder is an encapsulated plugin whose schemas declare params, query, body and
 * every response, which is also the whitelist of what leaves the server.
 */
export function buildApp(deps: AppDependencies): FastifyInstance {
  const limits = { ...DEFAULT_HTTP_LIMITS, ...deps.http };
  const registry = deps.registry ?? deps.metrics.registry;
  // Server errors apart from requests the client abandoned or was too slow to send.
  const requests = createRequestObserver(registry, limits);
  const options = {
    bodyLimit: 64 * 1024 * 1024,
    // Node's whole-request timer counts the server's own work: clients' silence is timed instead
    requestTimeout: 0,
    // Node enforces these only when the server is built with them, and checks on an interval
    http: httpServerTimeouts(limits),
    genReqId: requestId,
    clientErrorHandler: requests.clientErrorHandler,
    trustProxy: deps.trustProxy && deps.trustProxy.length > 0 ? [...deps.trustProxy] : false,
    // A field a schema does not declare is refused (400 naming it), not dropped in silence:
    // `?state=firing` on a route without `state` would otherwise answer everything.
    ajv: { customOptions: { removeAdditional: false } },
    schemaErrorFormatter: describeValidationErrors,
  };
  const app = (
    deps.logger
      ? Fastify({ ...options, loggerInstance: deps.logger as FastifyBaseLogger })
      : Fastify({ ...options, logger: false })
  ).withTypeProvider<TypeBoxTypeProvider>();
  requests.install(app);
  cutOffSilentClients(app, limits.requestTimeoutMs);
  registerDriftGauges(registry, deps.store, {
    monitors: deps.monitors,
    slicesPerModel: deps.gaugeSlicesPerModel ?? 10,
  });

  installErrorHandler(app);
  documentErrorResponses(app);
  acceptOnlyDocumentedContentTypes(app);
  refuseFraming(app);
  const tokens = deps.auth?.tokens ?? [];
  const sessions = createSessions(deps.store, tokens);
  // Auth's onRoute hook must see every route, and run before rate-limit's own.
  const verifyToken = installAuth(app, {
    tokens,
    sessions,
    ingestRequestsPerMinute: deps.auth?.ingestRequestsPerMinute ?? 1200,
  });
  void app.register(fastifyCookie);
  void app.register(fastifyRateLimit, { global: false });
  void app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'driftwatch API',
        version: deps.exports?.version ?? '0',
        description: openApiDescription(API_ERRORS),
      },
      components: {
        securitySchemes: {
          bearer: {
            type: 'http',
            scheme: 'bearer',
            description: 'an API token: Authorization: Bearer dw_...',
          },
          session: { type: 'apiKey', in: 'cookie', name: 'driftwatch_session' },
        },
      },
      tags: [
        { name: 'models', description: 'models, their monitors, runs, series and baselines' },
        { name: 'results', description: 'the drift history' },
        { name: 'alerts', description: 'alert state: list, acknowledge, silence' },
        { name: 'exports', description: 'tamper-evident compliance exports' },
        { name: 'ingest', description: 'events in' },
        { name: 'operations', description: 'health, metrics, stored counts, dead letters' },
        { name: 'session', description: 'the dashboard login' },
      ],
    },
  });
  void app.register(fastifySwaggerUi, {
    routePrefix: '/docs',
    uiConfig: { docExpansion: 'list', deepLinking: false },
    theme: { title: 'driftwatch API' },
  });

  const ingest = deps.ingest ?? loadIngestConfig({});
  const watched = (model: string) => deps.monitors().some((plan) => plan.model === model);
  // The service's writer counts unwatched models itself (main.ts); an app's own does here.
  const writer =
    deps.writer ??
    countingUnwatchedModels(
      createEventWriter(deps.store, { metrics: deps.metrics, logger: deps.logger }),
      createUnwatchedModelCounter(registry, watched),
    );
  void app.register(async (scope) =>
    registerEventRoutes(scope, {
      prepareBatch: createEventPipeline(pipelineOptions(ingest)),
      writer,
      metrics: deps.metrics,
      limits: {
        maxBodyBytes: ingest.maxBodyBytes,
        maxEventBytes: ingest.maxEventBytes,
        deadLetterPayloadBytes: ingest.deadLetterPayloadBytes,
        concurrency: ingest.httpConcurrency,
        silenceMs: limits.requestTimeoutMs,
        lingerMs: ingest.httpLingerMs,
      },
      logger: deps.logger,
      watched,
    }),
  );
  void app.register(async (scope) => registerDeadLetterRoutes(scope, { store: deps.store }));

  void app.register(modelRoutes, {
    store: deps.store,
    monitors: deps.monitors,
    baselineRoots: deps.baselineRoots ?? [],
    onRunEvaluated: deps.onRunEvaluated,
  });
  void app.register(resultRoutes, { store: deps.store });
  void app.register(alertRoutes, { alerts: deps.alerts });
  void app.register(explanationRoutes, {
    store: deps.store,
    monitors: deps.monitors,
    alerting: deps.alerts !== undefined,
  });
  void app.register(opsRoutes, {
    store: deps.store,
    metrics: deps.metrics,
    registry,
    readiness: deps.readiness ?? [],
  });
  void app.register(exportRoutes, {
    store: deps.store,
    exports: deps.exports ?? { signingKey: null, version: '0' },
  });
  void app.register(dashboardRoutes, { verifyToken, sessions, open: tokens.length === 0 });
  app.get(
    '/openapi.json',
    {
      config: { access: 'read' },
      schema: { hide: true },
    },
    async () => app.swagger(),
  );
  return app;
}

/**
 * No page of the service may be framed by another site (clickjacking the dashboard's
 * acknowledge button, or the API reference page): X-Frame-Options on every answer, and on
 * HTML that sets no policy of its own (the reference page), a CSP saying the same.
 */
function refuseFraming(app: FastifyInstance): void {
  app.addHook('onSend', async (_request, reply, payload) => {
    void reply.header('x-frame-options', 'DENY');
    const type = String(reply.getHeader('content-type') ?? '');
    if (type.startsWith('text/html') && reply.getHeader('content-security-policy') === undefined) {
      void reply.header('content-security-policy', "frame-ancestors 'none'");
    }
    return payload;
  });
}

/**
 * JSON everywhere, NDJSON where a route says so, nothing else: no text/plain or form
 * posts, which a web page could send cross-site without a preflight.
 */
function acceptOnlyDocumentedContentTypes(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    'application/json',
    { parseAs: 'string' },
    app.getDefaultJsonParser('error', 'error'),
  );
  // NDJSON bodies are read as text and split by the route, line by line.
  app.addContentTypeParser('application/x-ndjson', { parseAs: 'string' }, (_request, body, done) =>
    done(null, body),
  );
}
