import { describe, expect, it } from 'vitest';
import { createKafkaCodecs } from './kafkaCodecs.js';

/**
 * Each codec reads back what it writes, and refuses a batch that would decompress past the
 * limit (a decompression bomb: megabytes of zeros in a few hundred bytes) instead of taking
 * the memory.
 */
const LIMIT = 1024 * 1024;
const codecs = createKafkaCodecs(LIMIT);
const records = Buffer.from(
  Array.from({ length: 5_000 }, (_, i) => `{"event_id":"e${i}","score":0.${i % 10}}`).join(''),
);
const bomb = Buffer.alloc(2 * LIMIT);

describe.each(Object.entries(codecs))('the %s codec', (name, codec) => {
  it('reads back what it writes', async () => {
    const compressed = await codec.compress({ buffer: records });
    expect(compressed.length).toBeLessThan(records.length);
    expect((await codec.decompress(compressed)).equals(records)).toBe(true);
  });

  it('refuses a batch that decompresses past the limit', async () => {
    const compressed = await codec.compress({ buffer: bomb });
    expect(compressed.length, name).toBeLessThan(bomb.length / 16);
    await expect(codec.decompress(compressed)).rejects.toThrow(
      `decompresses to more than ${LIMIT} bytes (the limit)`,
    );
  });
});

describe('snappy in the Java client’s xerial framing', () => {
  const XERIAL = Buffer.from([
    0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1,
  ]);
  // each chunk raw snappy (what the codec writes), after its length
  const framed = async (...chunks: Buffer[]) => {
    const parts: Buffer[] = [XERIAL];
    for (const chunk of chunks) {
      const raw = await codecs.snappy.compress({ buffer: chunk });
      const size = Buffer.alloc(4);
      size.writeUInt32BE(raw.length);
      parts.push(size, raw);
    }
    return Buffer.concat(parts);
  };

  it('reads its chunks, and counts them all against the limit', async () => {
    const half = records.subarray(0, 50_000);
    expect(
      (await codecs.snappy.decompress(await framed(half, half))).equals(
        Buffer.concat([half, half]),
      ),
    ).toBe(true);
    const chunk = Buffer.alloc(LIMIT / 2 + 1);
    await expect(codecs.snappy.decompress(await framed(chunk, chunk))).rejects.toThrow(/the limit/);
  });
});
