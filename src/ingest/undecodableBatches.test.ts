import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { guardRecordBatchDecoding, undecodableBatchOf } from './undecodableBatches.js';

/**
 * The guarded record batch decoder on batches kafkajs itself encodes (its RecordBatch and
 * Record encoders), some with their codec bits rewritten: what kafkajs decodes stays as it
 * was, a batch cut off at the end of a fetch is still kafkajs's to handle, and a batch that
 * cannot be decoded becomes one marker without disturbing the batch after it.
 */
const require = createRequire(import.meta.url);
guardRecordBatchDecoding();
type Decoded = { records: { offset: string; value: Buffer | null }[] };
const decodeBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder.js') as (decoder: {
  buffer: Buffer;
  offset: number;
}) => Promise<Decoded>;
const Decoder = require('kafkajs/src/protocol/decoder.js') as new (buffer: Buffer) => {
  buffer: Buffer;
  offset: number;
};
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js') as {
  RecordBatch: (options: {
    firstOffset: number;
    lastOffsetDelta: number;
    records: unknown[];
  }) => Promise<{ buffer: Buffer }>;
};
const Record = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (options: {
  offsetDelta: number;
  value: Buffer;
}) => unknown;

const ATTRIBUTES_AT = 21;

async function batch(firstOffset: number, values: string[], codecId?: number): Promise<Buffer> {
  const encoded = await RecordBatch({
    firstOffset,
    lastOffsetDelta: values.length - 1,
    records: values.map((value, offsetDelta) => Record({ offsetDelta, value: Buffer.from(value) })),
  });
  const bytes = Buffer.from(encoded.buffer);
  if (codecId !== undefined) bytes.writeInt16BE(codecId, ATTRIBUTES_AT);
  return bytes;
}

const values = (decoded: Decoded) => decoded.records.map((r) => r.value?.toString());

describe('record batches kafkajs cannot decode', () => {
  it('decodes a good batch as kafkajs does, and leaves a batch cut off at the end to kafkajs', async () => {
    const good = await batch(100, ['a', 'b']);
    const decoder = new Decoder(good);
    expect(values(await decodeBatch(decoder))).toEqual(['a', 'b']);
    expect(decoder.offset).toBe(good.length);
    await expect(decodeBatch(new Decoder(good.subarray(0, good.length - 3)))).rejects.toThrow(
      expect.objectContaining({ name: 'KafkaJSPartialMessageError' }),
    );
  });

  it('turns a codec id Kafka does not define into one marker at the batch’s last offset', async () => {
    const unknown = await batch(100, ['a', 'b', 'c'], 6);
    const decoded = await decodeBatch(new Decoder(unknown));
    expect(decoded.records).toHaveLength(1);
    expect(decoded.records[0]?.offset).toBe('102');
    expect(undecodableBatchOf(decoded.records[0]!)).toEqual({
      reason: 'unknown_codec',
      codec: 'codec id 6',
      firstOffset: '100',
      lastOffset: '102',
      records: 3,
      bytes: unknown,
      cause: 'Kafka defines codec ids 0 to 4',
    });
  });

  it('marks a batch its codec refuses and goes on with the next one in the same fetch', async () => {
    // records left uncompressed but labelled gzip: zlib refuses them
    const refused = await batch(100, ['a', 'b'], 1);
    const next = await batch(102, ['c']);
    const decoder = new Decoder(Buffer.concat([refused, next]));
    const marked = await decodeBatch(decoder);
    expect(undecodableBatchOf(marked.records[0]!)).toMatchObject({
      reason: 'undecodable_batch',
      codec: 'gzip',
      firstOffset: '100',
      lastOffset: '101',
      cause: expect.stringMatching(/header/),
    });
    expect(decoder.offset).toBe(refused.length);
    expect(values(await decodeBatch(decoder))).toEqual(['c']);
  });

  it('knows no marker it did not make: a record that looks alike is a record', async () => {
    const decoded = await decodeBatch(new Decoder(await batch(0, ['x'])));
    expect(undecodableBatchOf(decoded.records[0]!)).toBeUndefined();
    expect(undecodableBatchOf({ offset: '0', value: null })).toBeUndefined();
  });
});
