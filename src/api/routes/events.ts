import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { IngestMetrics } from '../../ingest/metrics.js';
import { EVENT_KINDS, type EventKind } from '../../ingest/outcome.js';
import type { IncomingMessage, RoutedBatch } from '../../ingest/pipeline.js';
import { writeRoutedBatch } from '../../ingest/writer.js';
import type { Store } from '../../store/clickhouse.js';

interface EventRouteDeps {
  store: Store;
  metrics: IngestMetrics;
  routeBatch: (messages: readonly IncomingMessage[]) => RoutedBatch;
}

const responseSchema = {
  200: {
    type: 'object',
    properties: {
      accepted: { type: 'integer' },
      rejected: { type: 'integer' },
      errors: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            index: { type: 'integer' },
            reason: { type: 'string' },
            detail: { type: 'string' },
          },
        },
      },
    },
  },
};

/**
 * POST /v1/events: NDJSON (one event per line) or a JSON array. Each event says its kind
 * in `type`, or the query's `?type=` says it for all. Bad events are dead-lettered with
 * their reason, as on Kafka, and the good ones are stored all the same.
 */
export function registerEventRoutes(app: FastifyInstance, deps: EventRouteDeps): void {
  app.post<{ Querystring: { type?: EventKind }; Body: unknown }>(
    '/v1/events',
    {
      // Producers' tokens (role ingest, or admin); rate-limited per token by the auth plugin.
      config: { access: 'ingest' },
      schema: {
        summary: 'Ingest events: NDJSON (application/x-ndjson) or a JSON array (application/json)',
        tags: ['ingest'],
        consumes: ['application/json', 'application/x-ndjson'],
        querystring: {
          type: 'object',
          properties: { type: { enum: [...EVENT_KINDS] } },
          additionalProperties: false,
        },
        response: responseSchema,
      },
    },
    async (request) => {
      const payloads = splitBody(request.body);
      const messages: IncomingMessage[] = payloads.map((payload) => ({
        kind: request.query.type,
        payload,
        origin: { source: 'http', topic: '', partition: -1, offset: -1 },
        id: randomUUID(),
      }));
      const batch = deps.routeBatch(messages);
      const started = performance.now();
      await writeRoutedBatch(deps.store, batch);
      deps.metrics.recordBatch(
        batch,
        payloads.reduce((sum, p) => sum + p.length, 0),
        performance.now() - started,
      );
      const errors = batch.outcomes.flatMap((outcome, index) =>
        outcome.ok ? [] : [{ index, reason: outcome.reason, detail: outcome.detail }],
      );
      return { accepted: batch.outcomes.length - errors.length, rejected: errors.length, errors };
    },
  );
}

/** One payload per event: array elements re-serialised, NDJSON lines kept as sent. */
function splitBody(body: unknown): Buffer[] {
  if (typeof body === 'string') {
    return body
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => Buffer.from(line));
  }
  if (Array.isArray(body)) return body.map((event) => Buffer.from(JSON.stringify(event)));
  if (body !== null && typeof body === 'object') return [Buffer.from(JSON.stringify(body))];
  return [];
}
