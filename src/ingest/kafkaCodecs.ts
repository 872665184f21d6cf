import { promisify } from 'node:util';
import zlib from 'node:zlib';
import * as zstdWasm from '@bokuweb/zstd-wasm';
import { Decompress as ZstdDecompressor } from 'fzstd';
// kafkajs is CommonJS, and Node's ESM loader sees no named CompressionCodecs export.
import kafkajs, { CompressionTypes } from 'kafkajs';
import createSnappyCodec from 'kafkajs-snappy';
import { compressFrame, decompressFrame } from 'lz4-napi';

/**
 * What kafkajs calls a codec: `compress` gets the records' encoder of a batch being
 * produced, `decompress` the compressed records of a fetched batch.
 */
interface KafkajsCodec {
  compress(encoder: { buffer: Buffer }): Promise<Buffer>;
  decompress(buffer: Buffer): Promise<Buffer>;
}

/** The codec ids of Kafka's record batch attributes (bits 0–2), by name. */
export const CODEC_IDS = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const;

export type CodecName = keyof typeof CODEC_IDS;

export const CODEC_NAMES = Object.keys(CODEC_IDS) as CodecName[];

/** The name of a batch's codec id, or `codec id N` for one Kafka does not define. */
export function codecName(id: number): string {
  return CODEC_NAMES.find((name) => CODEC_IDS[name] === id) ?? `codec id ${id}`;
}

/**
 * The most a record batch may decompress to. Producers' batches are a few MiB at most (1 MB
 * by default in librdkafka, 16 KiB in the Java client, before compression); a batch that
 * would decompress beyond this is refused (`undecodable_batch`) — from the sizes its
 * snappy and LZ4 headers declare before decompressing, as its gzip and zstd output grows
 * past it — so a decompression bomb costs one dead letter instead of the process.
 */
export const MAX_DECOMPRESSED_BYTES = 256 * 1024 * 1024;

export type Codecs = Record<Exclude<CodecName, 'none'>, KafkajsCodec>;

/** Kafka's four codecs, each refusing to decompress a batch beyond `maxBytes`. */
export function createKafkaCodecs(maxBytes = MAX_DECOMPRESSED_BYTES): Codecs {
  const tooLarge = () => new Error(`decompresses to more than ${maxBytes} bytes (the limit)`);
  const atMost = (bytes: number) => {
    if (bytes > maxBytes) throw tooLarge();
  };
  return {
    gzip: gzipCodec(maxBytes, tooLarge),
    snappy: {
      compress: snappy.compress,
      async decompress(buffer) {
        atMost(snappyLength(buffer));
        return snappy.decompress(buffer);
      },
    },
    lz4: {
      compress: (encoder) => compressFrame(encoder.buffer),
      async decompress(buffer) {
        atMost(lz4FrameBound(buffer));
        return decompressFrame(buffer);
      },
    },
    zstd: {
      async compress(encoder) {
        zstdReady ??= zstdWasm.init();
        await zstdReady;
        return asBuffer(zstdWasm.compress(encoder.buffer, 3));
      },
      async decompress(buffer) {
        const chunks: Uint8Array[] = [];
        let total = 0;
        const stream = new ZstdDecompressor((chunk) => {
          total += chunk.length;
          atMost(total);
          chunks.push(chunk);
        });
        stream.push(buffer, true);
        return Buffer.concat(chunks, total);
      },
    },
  };
}

/** gzip through Node's zlib (as kafkajs's own codec), its output bounded. */
function gzipCodec(maxBytes: number, tooLarge: () => Error): KafkajsCodec {
  const gzip = promisify(zlib.gzip);
  const unzip = promisify(zlib.unzip);
  return {
    compress: (encoder) => gzip(encoder.buffer),
    async decompress(buffer) {
      try {
        return await unzip(buffer, { maxOutputLength: maxBytes });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge();
        throw error;
      }
    },
  };
}

/**
 * Snappy: kafkajs's own codec (snappyjs, pure JavaScript), which reads both the raw format
 * librdkafka writes and the xerial framing of the Java client.
 */
const snappy: KafkajsCodec = createSnappyCodec();
const XERIAL_HEADER = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_CHUNKS_AT = 16;

/** What a snappy payload says it decompresses to: each raw block starts with its length. */
function snappyLength(buffer: Buffer): number {
  if (!buffer.subarray(0, 8).equals(XERIAL_HEADER)) return readVarint(buffer, 0);
  let total = 0;
  for (let at = XERIAL_CHUNKS_AT; at + 4 <= buffer.length;) {
    const size = buffer.readUInt32BE(at);
    total += readVarint(buffer, at + 4);
    at += 4 + size;
  }
  return total;
}

/** An unsigned little-endian base-128 varint (at most 5 bytes); 0 when there is none. */
function readVarint(buffer: Buffer, at: number): number {
  let value = 0;
  for (let i = 0; i < 5 && at + i < buffer.length; i += 1) {
    const byte = buffer[at + i]!;
    value += (byte & 0x7f) * 2 ** (7 * i);
    if ((byte & 0x80) === 0) return value;
  }
  return value;
}

/**
 * The most an LZ4 frame can decompress to, from its header and block headers: each block at
 * most the frame's block size. A payload that is not a frame gives 0: lz4-napi says why.
 */
function lz4FrameBound(buffer: Buffer): number {
  const MAGIC = 0x184d2204;
  const BLOCK_SIZES: Record<number, number> = { 4: 1 << 16, 5: 1 << 18, 6: 1 << 20, 7: 1 << 22 };
  let bound = 0;
  let at = 0;
  while (at + 7 <= buffer.length && buffer.readUInt32LE(at) === MAGIC) {
    const flags = buffer[at + 4]!;
    const blockSize = BLOCK_SIZES[(buffer[at + 5]! >> 4) & 0x07] ?? 1 << 22;
    const blockChecksum = (flags & 0x10) !== 0;
    at += 7 + ((flags & 0x08) !== 0 ? 8 : 0) + ((flags & 0x01) !== 0 ? 4 : 0);
    while (at + 4 <= buffer.length) {
      const word = buffer.readUInt32LE(at);
      at += 4;
      if (word === 0) break;
      const size = word & 0x7fffffff;
      bound += word & 0x80000000 ? size : blockSize;
      at += size + (blockChecksum ? 4 : 0);
    }
    if ((flags & 0x04) !== 0) at += 4; // content checksum
  }
  return bound;
}

let zstdReady: Promise<void> | undefined;

/**
 * Registers Kafka's codecs with kafkajs, process-wide (gzip replaces kafkajs's own, for the
 * bound): every consumer and producer of this process then reads and writes all of them.
 * Idempotent.
 */
export function registerKafkaCodecs(): void {
  const registry = kafkajs.CompressionCodecs as Record<number, () => KafkajsCodec>;
  const codecs = createKafkaCodecs();
  registry[CompressionTypes.GZIP] = () => codecs.gzip;
  registry[CompressionTypes.Snappy] = () => codecs.snappy;
  registry[CompressionTypes.LZ4] = () => codecs.lz4;
  registry[CompressionTypes.ZSTD] = () => codecs.zstd;
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
