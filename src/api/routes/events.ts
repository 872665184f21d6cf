import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Counter, type Registry } from 'prom-client';
import { DriftwatchError, errorMessage } from '../../errors.js';
import {
  BodyFormatError,
  BodyTooLargeError,
  ClientSilentError,
  readFromClient,
  splitBody,
  type BodyEvent,
  type BodyFormat,
} from '../../ingest/httpBody.js';
import type { IngestMetrics } from '../../ingest/metrics.js';
import { EVENT_KINDS, type EventKind } from '../../ingest/outcome.js';
import type { IncomingMessage, PostingScope, PreparedBatch } from '../../ingest/pipeline.js';
import { unwatchedModelNotes, unwatchedModelsOf } from '../../ingest/unwatchedModels.js';
import { createOrderedQueue, type OrderedWork } from '../../ingest/orderedQueue.js';
import type { EventWriter } from '../../ingest/writer.js';
import type { Logger } from '../../observability/logger.js';
import { oncePerRegistry } from '../../observability/metrics.js';
import { refusesAccess } from '../../store/clickhouse.js';
import { mayPostFor, type Principal } from '../auth/tokens.js';
import { clientWentAway } from '../errors.js';

export interface HttpIngestLimits {
  maxBodyBytes: number;
  maxEventBytes: number;
  deadLetterPayloadBytes: number;
  /** Large requests processed at once; more wait (their bodies unread) up to a bounded queue. */
  concurrency: number;
  /** The client's silence allowed while its body is read (DRIFTWATCH_REQUEST_TIMEOUT_MS). */
  silenceMs: number;
  /**
   * A chunk waits at most this long (ms) for other posts' chunks before its insert
   * (DRIFTWATCH_INGEST_HTTP_LINGER_MS; absent: 0, no wait): inserts of several posts cost
   * the summaries far less per event than one post's.
   */
  lingerMs?: number;
}

export interface EventRouteDeps {
  prepareBatch: (
    messages: readonly IncomingMessage[],
    scope?: PostingScope,
  ) => Promise<PreparedBatch>;
  writer: EventWriter;
  metrics: IngestMetrics;
  limits: HttpIngestLimits;
  logger?: Pick<Logger, 'warn' | 'error'>;
  /** Whether a monitor watches a model: events of the others are stored with a note. */
  watched?: (model: string) => boolean;
}

/**
 * A body whose declared length is at most this is small: it has a lane of its own, so it
 * never waits for one of the large posts to finish (a 64 MiB body takes minutes).
 */
export const SMALL_BODY_BYTES = 1024 * 1024;

/** Events written per insert round while a body streams in: bounded memory per request. */
const CHUNK_EVENTS = 4096;
const CHUNK_BYTES = 4 * 1024 * 1024;
/**
 * A post's chunks handed to the writer before the first of them is written: the writer's
 * group commit joins them into one insert while the body's next chunks are read and parsed
 * (one at a time, a post's inserts were a third of Kafka's and cost twice the engine CPU per
 * event: docs/BENCHMARKS.md). Memory stays bounded: at most this many chunks per request.
 */
const CHUNKS_IN_FLIGHT = 4;
/** Per-event errors listed in one response; the count of the rest is given. */
const MAX_LISTED_ERRORS = 1000;
/** Retries of a retriable store failure before answering 503. */
const STORE_RETRIES = [250, 1000, 3000];

interface IngestError {
  index: number;
  line?: number;
  reason: string;
  detail: string;
}

interface IngestResult {
  accepted: number;
  rejected: number;
  duplicates: number;
  errors: IngestError[];
  errors_omitted: number;
  /** Said, not refused: models no monitor watches (see ingest/unwatchedModels.ts). */
  notes?: string[];
}

const errorItem = {
  type: 'object',
  properties: {
    index: { type: 'integer' },
    line: { type: 'integer' },
    reason: { type: 'string' },
    detail: { type: 'string' },
  },
};
const resultProperties = {
  accepted: { type: 'integer' },
  rejected: { type: 'integer' },
  duplicates: { type: 'integer' },
  errors: { type: 'array', items: errorItem },
  errors_omitted: { type: 'integer' },
  notes: {
    type: 'array',
    items: { type: 'string' },
    description: 'what was accepted but deserves a word: a model no monitor watches',
  },
};
const resultSchema = { type: 'object', properties: resultProperties };
const partialSchema = {
  type: 'object',
  properties: {
    error: { type: 'string' },
    code: { type: 'string' },
    request_id: { type: 'string' },
    processed: { type: 'integer' },
    ...resultProperties,
  },
};

/**
 * POST /v1/events: NDJSON (one event per line) or JSON (an array of events, or one event).
 * Each event says its kind in `type`, or `?type=` says it for all. The body is read and
 * written a few thousand events at a time, so a large body costs bounded memory and never
 * blocks other requests for long. Each event gets its own outcome: 200 when every event
 * was accepted (stored, or already stored), 207 with counts and per-event reasons
 * otherwise; a bad event is a dead letter, never a 5xx. 413 when the body passes the
 * limit, 408 when the client goes silent mid-body, 503 while the store is unavailable:
 * events before that point are processed and counted in the answer, and resending the
 * whole body is safe (nothing counts twice). A client that hangs up is logged and counted
 * with what was processed of its post. Small bodies have a lane of their own, so they never
 * wait behind large ones.
 */
export function registerEventRoutes(app: FastifyInstance, deps: EventRouteDeps): void {
  const handler = createIngestEventsHandler(deps);
  void app.register(async (scope) => {
    // Bodies stay streams here (this plugin's scope only): the handler reads them as they come.
    scope.removeAllContentTypeParsers();
    // Only the documented types: a text/plain or form post (which any web page can send
    // cross-site without a preflight) gets 415.
    scope.addContentTypeParser(
      ['application/json', 'application/x-ndjson'],
      (_request, payload, done) => done(null, payload),
    );
    scope.post<{ Querystring: { type?: EventKind }; Body: Readable }>(
      '/v1/events',
      {
        // Producers' tokens (role ingest, or admin); rate-limited per token by the auth plugin.
        // The body is read here, the client's silence timed as it is (not the server's work).
        config: { access: 'ingest', readsBodyItself: true },
        schema: {
          summary:
            'Ingest events: NDJSON (application/x-ndjson) or JSON (application/json: an array, or one event)',
          tags: ['ingest'],
          consumes: ['application/json', 'application/x-ndjson'],
          querystring: {
            type: 'object',
            properties: { type: { enum: [...EVENT_KINDS] } },
            additionalProperties: false,
          },
          response: {
            200: resultSchema,
            207: resultSchema,
            408: partialSchema,
            413: partialSchema,
            503: partialSchema,
          },
        },
      },
      handler,
    );
  });
}

/** The handler alone, for wrapping (authentication) by whoever registers it. */
export function createIngestEventsHandler(deps: EventRouteDeps) {
  const { concurrency } = deps.limits;
  // Two lanes: small bodies are not queued behind large ones; each lane bounded on its own.
  const lanes = {
    small: createGate(concurrency * 2, concurrency * 16),
    large: createGate(concurrency, concurrency * 16),
  };
  const cutShort = cutShortMetrics(deps.metrics.registry);
  return async function ingestEvents(
    request: FastifyRequest<{ Querystring: { type?: EventKind }; Body: Readable }>,
    reply: FastifyReply,
  ) {
    const send = (status: number, body: object) => {
      deps.metrics.recordHttpRequest(status);
      return reply.status(status).send(body);
    };
    const declared = Number(request.headers['content-length'] ?? 0);
    if (declared > deps.limits.maxBodyBytes) {
      request.raw.resume(); // discard what the client still sends
      return send(413, {
        ...tooLarge(deps.limits.maxBodyBytes),
        ...emptyResult(),
        processed: 0,
      });
    }
    // No body at all (no content type, nothing sent): there is nothing to split into events.
    if (request.body === undefined) {
      return send(400, {
        error:
          'the request has no body: send events as NDJSON (content-type: application/x-ndjson) or JSON (application/json: an array, or one event)',
        code: 'DW_BAD_REQUEST',
        request_id: request.id,
      });
    }
    const format: BodyFormat =
      String(request.headers['content-type'] ?? '').includes('json') &&
      !String(request.headers['content-type']).includes('ndjson')
        ? 'json'
        : 'ndjson';
    // a chunked body (no declared length) may be of any size: the large lane
    const lane = declared > 0 && declared <= SMALL_BODY_BYTES ? lanes.small : lanes.large;
    if (!lane.tryEnter()) {
      request.raw.resume();
      void reply.header('retry-after', '1');
      return send(503, {
        error: 'too many ingest requests at once; retry shortly',
        code: 'DW_BUSY',
        ...emptyResult(),
        processed: 0,
      });
    }
    deps.metrics.httpInFlight(1);
    const gone = clientGone(request);
    let held = false;
    try {
      held = await lane.turn(gone.signal);
      if (!held) {
        // it left while its post waited its turn: nothing was read, nobody hears an answer
        recordCutShort('aborted', emptyResult(), 0);
        reply.hijack();
        reply.raw.destroy();
        return reply;
      }
      return await ingestBody(request, reply, format, send);
    } finally {
      gone.stop();
      lane.leave(held);
      deps.metrics.httpInFlight(-1);
    }
  };

  async function ingestBody(
    request: FastifyRequest<{ Querystring: { type?: EventKind }; Body: Readable }>,
    reply: FastifyReply,
    format: BodyFormat,
    send: (status: number, body: object) => FastifyReply,
  ) {
    const result: IngestResult = emptyResult();
    const unwatched = new Map<string, number>();
    let processed = 0;
    let read = 0;
    let chunk: BodyEvent[] = [];
    let chunkBytes = 0;
    /**
     * The post's chunks, handed to the writer in body order, counted in order (so
     * `processed` is a prefix of the body whichever write fails; a later chunk may be
     * stored too, and a resend counts nothing twice), none written past a failing one
     * (see ingest/orderedQueue.ts).
     */
    const chunks = createOrderedQueue();
    /** The post's chunks, as the writer tells them apart from other writes. */
    const series = {};
    const submit = () => {
      if (chunk.length === 0) return;
      const events = chunk;
      const firstIndex = read;
      chunk = [];
      chunkBytes = 0;
      read += events.length;
      chunks.submit(
        chunkWork(events, request.query.type, scopeOf(request.principal), series, (prepared) => {
          countChunk(prepared, events, firstIndex, result, unwatched);
          processed += events.length;
        }),
      );
    };
    const flush = async () => {
      submit();
      await chunks.settleAll();
    };
    try {
      const body = readFromClient(request.body, deps.limits.silenceMs);
      for await (const event of splitBody(body, format, {
        maxBodyBytes: deps.limits.maxBodyBytes,
        maxEventBytes: deps.limits.maxEventBytes,
        headBytes: deps.limits.deadLetterPayloadBytes,
      })) {
        chunk.push(event);
        chunkBytes += event.payload.length;
        if (chunk.length >= CHUNK_EVENTS || chunkBytes >= CHUNK_BYTES) {
          submit();
          if (chunks.unsettled >= CHUNKS_IN_FLIGHT) await chunks.settleOldest();
        }
      }
      await flush();
    } catch (error) {
      // every chunk in flight finishes (or fails) before the answer
      await chunks.finishAll();
      if (error instanceof BodyFormatError) {
        return send(400, { error: error.message, code: 'DW_BAD_REQUEST', request_id: request.id });
      }
      if (error instanceof BodyTooLargeError) {
        await flush().catch(() => undefined);
        request.raw.resume();
        recordCutShort('too_large', result, processed);
        return send(413, { ...tooLarge(error.limit), ...result, processed });
      }
      if (error instanceof ClientSilentError) {
        // what arrived whole is written; the client is told how far it got, then the connection closes
        await flush().catch(() => undefined);
        recordCutShort('timeout', result, processed);
        void reply.header('connection', 'close');
        return send(408, {
          error: `the client sent less than 1 KiB in ${deps.limits.silenceMs} ms (DRIFTWATCH_REQUEST_TIMEOUT_MS); events before \`processed\` are processed; resend the rest (or all: nothing counts twice)`,
          code: 'DW_REQUEST_TIMEOUT',
          request_id: request.id,
          ...result,
          processed,
        });
      }
      if (clientWentAway(request)) {
        // Nobody hears an answer: what arrived whole is written, logged and counted; the
        // error handler then closes the request as one the client abandoned (no 5xx).
        await flush().catch(() => undefined);
        recordCutShort('aborted', result, processed);
        throw error;
      }
      // To the producer both are "retry later"; to the operator a refused login is a fault.
      if ((error instanceof DriftwatchError && error.retriable) || refusesAccess(error)) {
        if (refusesAccess(error)) {
          deps.logger?.error(
            { err: errorMessage(error), processed },
            'HTTP ingest: the store refuses our credentials: needs an operator',
          );
        } else {
          deps.logger?.warn(
            { err: errorMessage(error), processed },
            'HTTP ingest: the store is unavailable',
          );
        }
        request.raw.resume();
        void reply.header('retry-after', '5');
        return send(503, {
          error:
            'the store is unavailable; events before `processed` are stored; resend the rest (or all: nothing counts twice)',
          code: 'DW_STORE_UNAVAILABLE',
          ...result,
          processed,
        });
      }
      deps.logger?.error({ err: errorMessage(error), processed }, 'HTTP ingest failed');
      throw error;
    }
    return send(result.rejected === 0 ? 200 : 207, result);
  }

  /** Logged and counted: how far a post got before it was cut, and what of it was stored. */
  function recordCutShort(reason: CutShortReason, result: IngestResult, processed: number): void {
    cutShort.requests.inc({ reason });
    cutShort.events.inc({ reason }, processed);
    deps.logger?.warn(
      {
        reason,
        processed,
        stored: result.accepted - result.duplicates,
        duplicates: result.duplicates,
        rejected: result.rejected,
      },
      `HTTP ingest: a post cut short (${CUT_SHORT[reason]}) after ${processed} events; a resend of the whole body is safe`,
    );
  }

  /**
   * One chunk as the post's ordered queue runs it: prepared at once, then written (retried
   * while the store is briefly unavailable). The first copy of an event repeated in the
   * post must be the one stored: the queue starts no write of a chunk while the one before
   * is failing, and the writer refuses a failed chunk's successors still queued (`series`),
   * so this one is written after it, or, when that one is given up, not at all (the
   * answer's `processed` ends before it; the client resends from there).
   */
  function chunkWork(
    events: BodyEvent[],
    kind: EventKind | undefined,
    scope: PostingScope | undefined,
    series: object,
    take: (prepared: PreparedBatch) => void,
  ): OrderedWork<PreparedBatch> {
    const messages: IncomingMessage[] = events.map((event) => ({
      kind,
      payload: event.payload,
      payloadBytes: event.payloadBytes,
      payloadSha256: event.payloadSha256,
      origin: { source: 'http', topic: '', partition: -1, offset: -1 },
    }));
    return {
      prepare: () => deps.prepareBatch(messages, scope),
      attempt(prepared) {
        const write = deps.writer.write(prepared, { series, lingerMs: deps.limits.lingerMs ?? 0 });
        // in /metrics once stored, whatever becomes of the chunks before it
        write.then(
          () => deps.metrics.recordBatch(prepared, 'http'),
          () => undefined,
        );
        return write;
      },
      async retry(error, failures) {
        const delayMs = STORE_RETRIES[failures - 1];
        const retriable = error instanceof DriftwatchError && error.retriable;
        if (!retriable || delayMs === undefined) return false;
        deps.metrics.recordRetry('http');
        await new Promise((resolve) => setTimeout(resolve, delayMs));
        return true;
      },
      take,
    };
  }

  /** A written chunk's outcomes in the post's answer. */
  function countChunk(
    prepared: PreparedBatch,
    events: BodyEvent[],
    firstIndex: number,
    result: IngestResult,
    unwatched: Map<string, number>,
  ): void {
    if (deps.watched) {
      for (const [model, count] of unwatchedModelsOf(prepared, deps.watched)) {
        unwatched.set(model, (unwatched.get(model) ?? 0) + count);
      }
      const notes = unwatchedModelNotes(unwatched);
      if (notes.length > 0) result.notes = notes;
    }
    prepared.outcomes.forEach((outcome, i) => {
      if (outcome.status === 'duplicate') {
        result.accepted += 1;
        result.duplicates += 1;
      } else if (outcome.status === 'stored') {
        result.accepted += 1;
      } else {
        result.rejected += 1;
        if (result.errors.length >= MAX_LISTED_ERRORS) {
          result.errors_omitted += 1;
          return;
        }
        const line = events[i]?.line;
        result.errors.push({
          index: firstIndex + i,
          ...(line === undefined ? {} : { line }),
          reason: outcome.reason,
          detail: outcome.detail,
        });
      }
    });
  }
}

type CutShortReason = 'timeout' | 'aborted' | 'too_large';

const CUT_SHORT: Record<CutShortReason, string> = {
  timeout: 'the client went silent',
  aborted: 'the client closed the connection',
  too_large: 'the body passed DRIFTWATCH_MAX_BODY_BYTES',
};

/** Fires when the client closes its connection (a post waiting its turn then leaves the queue). */
function clientGone(request: FastifyRequest) {
  const controller = new AbortController();
  // inject() (tests) has a socket that is no stream
  const socket = request.raw.socket as Partial<Socket> | null;
  const onClose = () => controller.abort();
  socket?.once?.('close', onClose);
  if (socket?.destroyed === true) controller.abort();
  return { signal: controller.signal, stop: () => socket?.off?.('close', onClose) };
}

/** One set of counters per registry (tests build several apps on one). */
const cutShortMetrics = oncePerRegistry(createCutShortMetrics);

function createCutShortMetrics(registry: Registry) {
  const requests = new Counter({
    name: 'driftwatch_http_ingest_cut_short_total',
    help: 'POST /v1/events requests that ended before their body did, by reason (timeout: the client was silent for DRIFTWATCH_REQUEST_TIMEOUT_MS; aborted: it closed the connection; too_large: past DRIFTWATCH_MAX_BODY_BYTES)',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  const events = new Counter({
    name: 'driftwatch_http_ingest_cut_short_events_total',
    help: 'Events of those requests processed before the cut (stored, found already stored, or refused with a reason), by reason',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  for (const reason of Object.keys(CUT_SHORT)) {
    requests.inc({ reason }, 0);
    events.inc({ reason }, 0);
  }
  return { requests, events };
}

/** A token scoped to models may post events for those only (README: Access control). */
function scopeOf(principal: Principal | null): PostingScope | undefined {
  const models = principal?.models;
  if (!principal || !models) return undefined;
  return { holder: principal.name, models, allows: (model) => mayPostFor(principal, model) };
}

function emptyResult(): IngestResult {
  return { accepted: 0, rejected: 0, duplicates: 0, errors: [], errors_omitted: 0 };
}

function tooLarge(limit: number) {
  return {
    error: `the body is larger than ${limit} bytes (DRIFTWATCH_MAX_BODY_BYTES); send smaller batches`,
    code: 'DW_BODY_TOO_LARGE',
  };
}

/** At most `concurrent` requests at work; up to `queued` more wait their turn, in order. */
function createGate(concurrent: number, queued: number) {
  let active = 0;
  let admitted = 0;
  const waiting: (() => void)[] = [];
  return {
    tryEnter(): boolean {
      if (admitted >= concurrent + queued) return false;
      admitted += 1;
      return true;
    },
    /** Resolves true at this request's turn, or false when `signal` fires first (it then holds no turn). */
    async turn(signal: AbortSignal): Promise<boolean> {
      if (active < concurrent) {
        active += 1;
        return true;
      }
      if (signal.aborted) return false;
      return new Promise<boolean>((resolve) => {
        const go = () => {
          signal.removeEventListener('abort', leave);
          resolve(true);
        };
        const leave = () => {
          waiting.splice(waiting.indexOf(go), 1);
          resolve(false);
        };
        waiting.push(go);
        signal.addEventListener('abort', leave, { once: true });
      });
    },
    /** A request admitted by tryEnter is done; `held`: it had its turn (its slot passes on). */
    leave(held: boolean): void {
      admitted -= 1;
      if (!held) return;
      const next = waiting.shift();
      if (next) next();
      else active -= 1;
    },
  };
}
