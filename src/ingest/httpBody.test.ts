import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BodyFormatError,
  BodyTooLargeError,
  ClientSilentError,
  PROGRESS_BYTES,
  readFromClient,
  splitBody,
  type BodyFormat,
} from './httpBody.js';

const LIMITS = { maxBodyBytes: 1 << 20, maxEventBytes: 256, headBytes: 16 };

async function split(chunks: (string | Buffer)[], format: BodyFormat, limits = LIMITS) {
  const events = [];
  for await (const event of splitBody(
    (async function* () {
      yield* chunks.map((c) => (typeof c === 'string' ? Buffer.from(c) : c));
    })(),
    format,
    limits,
  )) {
    events.push({ ...event, payload: event.payload.toString('utf8') });
  }
  return events;
}

/** The text cut into pieces at the given positions: events must not depend on chunking. */
function cut(text: string, positions: number[]): Buffer[] {
  const bytes = Buffer.from(text);
  const points = [...new Set(positions.map((p) => p % (bytes.length + 1)))].sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let from = 0;
  for (const point of [...points, bytes.length]) {
    pieces.push(bytes.subarray(from, point));
    from = point;
  }
  return pieces;
}

describe('splitting a request body into events as it arrives', () => {
  it('reads NDJSON line by line, with CRLF, blank lines and line numbers', async () => {
    expect(await split(['{"a":1}\r\n\n  {"b"', ':2}\n', '{"c":3}'], 'ndjson')).toEqual([
      { payload: '{"a":1}', line: 1 },
      { payload: '{"b":2}', line: 3 },
      { payload: '{"c":3}', line: 4 },
    ]);
  });

  it('reads a JSON array element by element, whatever is inside the strings', async () => {
    const body = '[ {"s":"a,]}\\"["}, {"n":[1,[2]]} ,"x", 7 ]';
    expect((await split([body], 'json')).map((e) => e.payload)).toEqual([
      '{"s":"a,]}\\"["}',
      '{"n":[1,[2]]}',
      '"x"',
      '7',
    ]);
  });

  it('reads one JSON object as one event, and an empty array as none', async () => {
    expect(await split(['  {"a":', '1} '], 'json')).toEqual([{ payload: '{"a":1}' }]);
    expect(await split(['[ ]'], 'json')).toEqual([]);
  });

  it('keeps a broken element as its own event, and reads on', async () => {
    expect((await split(['[{"a":1}, {"b": }, {"c":3}]'], 'json')).map((e) => e.payload)).toEqual([
      '{"a":1}',
      '{"b": }',
      '{"c":3}',
    ]);
  });

  it('keeps only the head of an oversized event, with its whole size and hash', async () => {
    const big = `{"pad":"${'x'.repeat(1000)}"}`;
    const [event, next] = await split(
      [`[${big.slice(0, 500)}`, `${big.slice(500)},{"a":1}]`],
      'json',
    );
    expect(event).toEqual({
      payload: big.slice(0, 16),
      payloadBytes: big.length,
      payloadSha256: createHash('sha256').update(big).digest('hex'),
    });
    expect(next).toEqual({ payload: '{"a":1}' });
  });

  it('refuses a body that is neither an array nor an object', async () => {
    await expect(split(['"just a string"'], 'json')).rejects.toBeInstanceOf(BodyFormatError);
  });

  it('stops at the body limit, after yielding what came before', async () => {
    const seen: string[] = [];
    const run = async () => {
      for await (const event of splitBody(
        (async function* () {
          yield Buffer.from('{"a":1}\n');
          yield Buffer.alloc(2048, 0x20);
        })(),
        'ndjson',
        { ...LIMITS, maxBodyBytes: 1024 },
      )) {
        seen.push(event.payload.toString());
      }
    };
    await expect(run()).rejects.toBeInstanceOf(BodyTooLargeError);
    expect(seen).toEqual(['{"a":1}']);
  });

  it('finds the same events however the body is cut into chunks (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.jsonValue({ maxDepth: 4 }), { maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        fc.boolean(),
        async (values, positions, ndjson) => {
          const texts = values.map((value) => JSON.stringify(value));
          const body = ndjson ? texts.join('\n') : `[${texts.join(',')}]`;
          const events = await split(cut(body, positions), ndjson ? 'ndjson' : 'json', {
            ...LIMITS,
            maxEventBytes: 1 << 20,
          });
          expect(events.map((e) => JSON.parse(e.payload))).toEqual(
            values.map((v) => JSON.parse(JSON.stringify(v))),
          );
        },
      ),
      { seed: 20261123, numRuns: 300 },
    );
  });
});

describe('timing the client while the server reads its body', () => {
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  /** A client sending `chunks`, each after its delay (ms). */
  async function* client(chunks: [number, string][]): AsyncGenerator<Buffer> {
    for (const [delay, text] of chunks) {
      await sleep(delay);
      yield Buffer.from(text);
    }
  }

  it('does not count the time the server spends between reads', async () => {
    const read: string[] = [];
    for await (const chunk of readFromClient(
      client([
        [0, 'a'],
        [0, 'b'],
        [0, 'c'],
      ]),
      100,
    )) {
      read.push(chunk.toString());
      await sleep(150); // the server's own work: longer than the client may be silent
    }
    expect(read).toEqual(['a', 'b', 'c']);
  });

  it('cuts off a client silent for the timeout while a read waits', async () => {
    const read: string[] = [];
    const run = async () => {
      for await (const chunk of readFromClient(
        client([
          [0, 'a'],
          [300, 'b'],
        ]),
        100,
      )) {
        read.push(chunk.toString());
      }
    };
    await expect(run()).rejects.toBeInstanceOf(ClientSilentError);
    expect(read).toEqual(['a']);
  });

  it(`adds up the waits until the client has sent ${PROGRESS_BYTES} bytes: a trickle is silence`, async () => {
    const trickle = client(Array.from({ length: 30 }, (): [number, string] => [30, 'x']));
    let read = 0;
    const run = async () => {
      for await (const chunk of readFromClient(trickle, 250)) read += chunk.length;
    };
    await expect(run()).rejects.toBeInstanceOf(ClientSilentError);
    expect(read).toBeLessThan(10);
    // slow but steady: a kilobyte per wait of 40 ms keeps it going, however long it takes
    const steady = client(
      Array.from({ length: 10 }, (): [number, string] => [40, 'y'.repeat(PROGRESS_BYTES)]),
    );
    let total = 0;
    for await (const chunk of readFromClient(steady, 250)) total += chunk.length;
    expect(total).toBe(10 * PROGRESS_BYTES);
  });
});
