import type { FastifyInstance, FastifyRequest } from 'fastify';
import { DEAD_LETTER_REASONS } from '../../ingest/outcome.js';
import type { Store } from '../../store/clickhouse.js';
import { apiError } from '../errors.js';
import { listDeadLetters } from '../../store/events.js';
import { isoFromClickHouse } from '../../store/results.js';

interface DeadLetterQuery {
  limit?: number;
  before?: string;
  reason?: string;
  payload?: boolean;
}

const deadLetterItem = {
  type: 'object',
  properties: {
    dead_letter_id: { type: 'string' },
    received_at: { type: 'string', format: 'date-time', description: 'RFC 3339, UTC' },
    source: { type: 'string' },
    topic: { type: 'string' },
    partition: { type: 'integer' },
    offset: { type: 'integer' },
    reason: { type: 'string' },
    detail: { type: 'string' },
    payload_bytes: { type: 'integer' },
    payload_sha256: { type: 'string' },
    payload_truncated: { type: 'boolean' },
    payload: { type: 'string' },
  },
};

/**
 * GET /v1/dead-letters: newest first, `limit` per page (default 100, at most 1000), the
 * next page by `before=<next_cursor>`, filtered by `reason`. Payloads (the stored heads,
 * see DRIFTWATCH_DEAD_LETTER_PAYLOAD_BYTES) only with `payload=true`: a page stays small.
 */
export function registerDeadLetterRoutes(app: FastifyInstance, deps: { store: Store }): void {
  app.get<{ Querystring: DeadLetterQuery }>(
    '/v1/dead-letters',
    {
      // Payloads may hold personal data: admin only.
      config: { access: 'admin' },
      schema: {
        summary:
          'Dead letters, newest first, paged by cursor; payload heads only with payload=true (admin)',
        tags: ['operations'],
        querystring: {
          type: 'object',
          properties: {
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
            before: { type: 'string', maxLength: 600 },
            reason: { enum: [...DEAD_LETTER_REASONS] },
            payload: { type: 'boolean', default: false },
          },
          additionalProperties: false,
        },
        response: {
          200: {
            type: 'object',
            properties: {
              dead_letters: { type: 'array', items: deadLetterItem },
              next_cursor: { type: ['string', 'null'] },
            },
          },
        },
      },
    },
    createListDeadLettersHandler(deps),
  );
}

/** The handler alone, for wrapping (authentication) by whoever registers it. */
export function createListDeadLettersHandler(deps: { store: Store }) {
  return async function listDeadLettersHandler(
    request: FastifyRequest<{ Querystring: DeadLetterQuery }>,
  ) {
    const { limit = 100, before, reason, payload = false } = request.query;
    const cursor = before === undefined ? undefined : decodeCursor(before);
    if (before !== undefined && cursor === undefined) {
      throw apiError('DW_BAD_REQUEST', 'query "before": not a cursor from next_cursor');
    }
    const page = await listDeadLetters(deps.store, {
      limit,
      before: cursor,
      reason,
      withPayload: payload,
    });
    return {
      // The store speaks ClickHouse's time text; the API speaks RFC 3339 (the cursor keeps the former).
      dead_letters: page.dead_letters.map((letter) => ({
        ...letter,
        received_at: isoFromClickHouse(letter.received_at),
      })),
      next_cursor: page.next ? encodeCursor(page.next) : null,
    };
  };
}

type Cursor = { received_at: string; dead_letter_id: string };

function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.received_at, cursor.dead_letter_id])).toString(
    'base64url',
  );
}

function decodeCursor(text: string): Cursor | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (!Array.isArray(value) || value.length !== 2) return undefined;
    const [receivedAt, id] = value as unknown[];
    if (typeof receivedAt !== 'string' || typeof id !== 'string') return undefined;
    if (!/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d+)?$/.test(receivedAt)) return undefined;
    return { received_at: receivedAt, dead_letter_id: id };
  } catch {
    return undefined;
  }
}
