import * as zstdWasm from '@bokuweb/zstd-wasm';
import { decompress as decompressZstd } from 'fzstd';
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
 * Snappy: kafkajs's own codec (snappyjs, pure JavaScript), which reads both the raw format
 * librdkafka writes and the xerial framing of the Java client.
 */
const snappy: KafkajsCodec = createSnappyCodec();

/**
 * LZ4 frames (Kafka's format since 0.10) through lz4-napi (lz4_flex, a prebuilt binary
 * shipped in the registry package, nothing built at install): it checks the frame's
 * checksums, where the pure-JavaScript lz4js skips them and silently cuts the output at a
 * declared content size.
 */
const lz4: KafkajsCodec = {
  compress: (encoder) => compressFrame(encoder.buffer),
  decompress: (buffer) => decompressFrame(buffer),
};

/**
 * Zstandard: fzstd (pure JavaScript) decompresses, including the frames without a content
 * size that the Java client's streaming compressor writes; Node 20's zlib has no zstd.
 * Compression (our own producers: tests, the soak) uses the WebAssembly build of the
 * reference library, loaded once on first use.
 */
let zstdReady: Promise<void> | undefined;
const zstd: KafkajsCodec = {
  async compress(encoder) {
    zstdReady ??= zstdWasm.init();
    await zstdReady;
    return asBuffer(zstdWasm.compress(encoder.buffer, 3));
  },
  async decompress(buffer) {
    return asBuffer(decompressZstd(buffer));
  },
};

/**
 * Registers snappy, LZ4 and zstd with kafkajs, process-wide (gzip is built in): every
 * consumer and producer of this process then reads and writes all of Kafka's codecs.
 * Idempotent.
 */
export function registerKafkaCodecs(): void {
  const codecs = kafkajs.CompressionCodecs as Record<number, () => KafkajsCodec>;
  codecs[CompressionTypes.Snappy] = () => snappy;
  codecs[CompressionTypes.LZ4] = () => lz4;
  codecs[CompressionTypes.ZSTD] = () => zstd;
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
