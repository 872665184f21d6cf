import { createHash, type Hash } from 'node:crypto';
import { DriftwatchError } from '../errors.js';

export type BodyFormat = 'ndjson' | 'json';

export interface BodyLimits {
  /** Bytes of the whole body. */
  maxBodyBytes: number;
  /** Bytes of one event: beyond, only the head is kept (for its dead letter). */
  maxEventBytes: number;
  /** How much of an oversized event is kept. */
  headBytes: number;
}

/** One event of a body: its bytes, or the head of an oversized one with its size and hash. */
export interface BodyEvent {
  payload: Buffer;
  /** NDJSON: the event's line number (1-based). */
  line?: number;
  payloadBytes?: number;
  payloadSha256?: string;
}

/** The body is larger than the limit: what was read before is processed; the rest is not. */
export class BodyTooLargeError extends DriftwatchError {
  constructor(readonly limit: number) {
    super('DW_INPUT', `the body is larger than ${limit} bytes (DRIFTWATCH_MAX_BODY_BYTES)`);
  }
}

/** The client sent too little for too long while the server waited for its body. */
export class ClientSilentError extends DriftwatchError {
  constructor(readonly silenceMs: number) {
    super('DW_INPUT', `the client sent less than ${PROGRESS_BYTES} bytes in ${silenceMs} ms`);
  }
}

/** Not a JSON array or object, or an NDJSON body that is not text lines. */
export class BodyFormatError extends DriftwatchError {
  constructor(message: string) {
    super('DW_INPUT', message);
  }
}

/**
 * Splits a request body into events as it arrives, never holding more than one event (and
 * never more than `maxEventBytes` of it): NDJSON line by line, a JSON array element by
 * element (a small state machine tracks strings and depth), or one JSON object. Memory
 * stays bounded whatever the body's size; the caller processes events in chunks as they
 * come and so keeps the event loop free between them.
 */
export async function* splitBody(
  chunks: AsyncIterable<Buffer | string>,
  format: BodyFormat,
  limits: BodyLimits,
): AsyncGenerator<BodyEvent> {
  const event = createEventAccumulator(limits);
  let total = 0;
  const splitter = format === 'ndjson' ? ndjsonSplitter(event) : jsonSplitter(event);
  for await (const raw of chunks) {
    const chunk = typeof raw === 'string' ? Buffer.from(raw) : raw;
    total += chunk.length;
    if (total > limits.maxBodyBytes) throw new BodyTooLargeError(limits.maxBodyBytes);
    yield* splitter.push(chunk);
  }
  yield* splitter.end();
}

/**
 * How much a client must send while the server waits for its body: at least this many
 * bytes (or the rest of the body) in every `silenceMs` of waiting. A client that sends
 * slowly but steadily is not cut off; one that trickles a byte at a time, or stops, is.
 */
export const PROGRESS_BYTES = 1024;

/**
 * A request body's chunks as the server reads them, rejecting with ClientSilentError once
 * the client has been silent (less than PROGRESS_BYTES) for `silenceMs` of the time the
 * server spent waiting for it. The clock runs only while a read is pending: time the
 * server spends processing what it read, or waiting for its turn before reading, is its
 * own and never counts against the client (so a large body written slowly by the store,
 * or queued behind others, is not timed out for it).
 */
export async function* readFromClient(
  body: AsyncIterable<Buffer | string>,
  silenceMs: number,
  clock: () => number = () => performance.now(),
): AsyncGenerator<Buffer> {
  const iterator = body[Symbol.asyncIterator]();
  let waitedMs = 0;
  let progress = 0;
  let silent = false;
  try {
    for (;;) {
      const started = clock();
      const next = await withDeadline(iterator.next(), silenceMs - waitedMs);
      if (next === TIMED_OUT) {
        silent = true;
        throw new ClientSilentError(silenceMs);
      }
      waitedMs += clock() - started;
      if (next.done) return;
      const chunk = typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
      progress += chunk.length;
      if (progress >= PROGRESS_BYTES) {
        progress = 0;
        waitedMs = 0;
      }
      yield chunk;
    }
  } finally {
    // The consumer stopped early: the body is not read further (as a for-await would do).
    // A silent client's request stays open for its answer (408), which closes it.
    if (!silent) void iterator.return?.()?.catch(() => undefined);
  }
}

const TIMED_OUT = Symbol('timed out');

async function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), Math.max(0, ms));
  });
  promise.catch(() => undefined);
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

interface Splitter {
  push(chunk: Buffer): Generator<BodyEvent>;
  end(): Generator<BodyEvent>;
}

interface EventAccumulator {
  add(bytes: Buffer): void;
  readonly empty: boolean;
  take(): BodyEvent;
}

function createEventAccumulator(limits: BodyLimits): EventAccumulator {
  let parts: Buffer[] = [];
  let size = 0;
  let hash: Hash | undefined;
  let head: Buffer | undefined;
  return {
    add(bytes) {
      if (bytes.length === 0) return;
      size += bytes.length;
      if (hash) {
        hash.update(bytes);
        return;
      }
      parts.push(bytes);
      if (size <= limits.maxEventBytes) return;
      // Oversized: keep the head for the dead letter, hash the whole, drop the rest.
      const whole = Buffer.concat(parts);
      head = Buffer.from(whole.subarray(0, limits.headBytes));
      hash = createHash('sha256').update(whole);
      parts = [];
    },
    get empty() {
      return size === 0;
    },
    take() {
      const taken: BodyEvent = hash
        ? {
            payload: head ?? Buffer.alloc(0),
            payloadBytes: size,
            payloadSha256: hash.digest('hex'),
          }
        : { payload: parts.length === 1 ? parts[0]! : Buffer.concat(parts) };
      parts = [];
      size = 0;
      hash = undefined;
      head = undefined;
      return taken;
    },
  };
}

const NEWLINE = 0x0a;

function ndjsonSplitter(event: EventAccumulator): Splitter {
  let lineNumber = 0;
  function* emit(): Generator<BodyEvent> {
    lineNumber += 1;
    const taken = event.take();
    const text = trimLine(taken.payload);
    if (taken.payloadBytes !== undefined) yield { ...taken, payload: text, line: lineNumber };
    else if (text.length > 0) yield { payload: text, line: lineNumber };
  }
  return {
    *push(chunk) {
      let start = 0;
      for (;;) {
        const newline = chunk.indexOf(NEWLINE, start);
        if (newline < 0) break;
        event.add(chunk.subarray(start, newline));
        yield* emit();
        start = newline + 1;
      }
      event.add(chunk.subarray(start));
    },
    *end() {
      if (!event.empty) yield* emit();
    },
  };
}

/** Without surrounding whitespace (a CRLF line's \r, blank lines). */
function trimLine(line: Buffer): Buffer {
  let start = 0;
  let end = line.length;
  while (start < end && isSpace(line[start]!)) start += 1;
  while (end > start && isSpace(line[end - 1]!)) end -= 1;
  return start === 0 && end === line.length ? line : line.subarray(start, end);
}

function isSpace(byte: number): boolean {
  return byte === 0x20 || byte === 0x09 || byte === 0x0d || byte === 0x0a;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;

/**
 * A JSON array's elements (or one JSON object), found by depth and string state. An
 * element is whatever lies between two commas at the top level, kept as sent: a broken
 * element becomes its own `not_json` dead letter, and the next one is read as usual.
 */
function jsonSplitter(event: EventAccumulator): Splitter {
  let mode: 'start' | 'array' | 'object' | 'done' = 'start';
  let depth = 0;
  let inString = false;
  let escaped = false;
  let slotHasContent = false;

  function* takeSlot(): Generator<BodyEvent> {
    const taken = event.take();
    if (slotHasContent || taken.payloadBytes !== undefined) {
      yield { ...taken, payload: trimLine(taken.payload) };
    }
    slotHasContent = false;
  }

  return {
    *push(chunk) {
      let i = 0;
      if (mode === 'start') {
        while (i < chunk.length && isSpace(chunk[i]!)) i += 1;
        if (i === chunk.length) return;
        if (chunk[i] === OPEN_ARRAY) {
          mode = 'array';
          i += 1;
        } else if (chunk[i] === OPEN_OBJECT) {
          mode = 'object';
        } else {
          throw new BodyFormatError('a JSON body must be an array of events or one event object');
        }
      }
      if (mode === 'object') {
        event.add(chunk.subarray(i));
        slotHasContent = true;
        return;
      }
      let from = i;
      for (; i < chunk.length && mode === 'array'; i += 1) {
        const byte = chunk[i]!;
        if (inString) {
          if (escaped) escaped = false;
          else if (byte === BACKSLASH) escaped = true;
          else if (byte === QUOTE) inString = false;
          continue;
        }
        if (byte === QUOTE) {
          inString = true;
        } else if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) {
          depth += 1;
        } else if ((byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) && depth > 0) {
          depth -= 1;
        } else if (depth === 0 && (byte === COMMA || byte === CLOSE_ARRAY)) {
          event.add(chunk.subarray(from, i));
          // `[]` and a trailing `]` after the last element end without an empty slot.
          if (byte === COMMA || slotHasContent) yield* takeSlot();
          from = i + 1;
          if (byte === CLOSE_ARRAY) mode = 'done';
          continue;
        }
        if (!isSpace(byte)) slotHasContent = true;
      }
      if (mode === 'array') event.add(chunk.subarray(from));
    },
    *end() {
      if (mode === 'object' || (mode === 'array' && (slotHasContent || !event.empty))) {
        yield* takeSlot();
      }
    },
  };
}
