import { createRequire } from 'node:module';
import { DriftwatchError, errorMessage } from '../errors.js';
import { codecName } from './kafkaCodecs.js';

/**
 * A record batch kafkajs cannot decode — a codec id Kafka does not define, a compressed
 * payload its codec refuses, records that do not parse — would fail the whole fetch it came
 * in: every partition of that broker, on every retry, forever. Decoding is therefore
 * guarded per record batch (kafkajs 2.2.4 decodes a fetch response partition by partition,
 * and each partition's records batch by batch, in `recordBatch/v0/decoder`): a batch that
 * fails becomes one marker record at the batch's last offset, which the consumer
 * dead-letters by topic, partition and offset range and commits past, and the batches
 * around it decode as before.
 */
export type UndecodableReason = 'unknown_codec' | 'undecodable_batch';

export interface UndecodableBatch {
  reason: UndecodableReason;
  /** The codec the batch's attributes name (`codec id 5` for one Kafka does not define). */
  codec: string;
  firstOffset: string;
  lastOffset: string;
  /** Records the batch's header says it holds. */
  records: number;
  /** The whole record batch as the broker sent it (header included). */
  bytes: Buffer;
  /** Why it could not be decoded. */
  cause: string;
}

/** Marker records, known by identity: no producer can forge one with a header or a value. */
const markers = new WeakMap<object, UndecodableBatch>();

/** The undecodable batch a fetched message stands for, if it is such a marker. */
export function undecodableBatchOf(message: object): UndecodableBatch | undefined {
  return markers.get(message);
}

/** The fields of kafkajs's Decoder that the guard reads and moves. */
interface FetchDecoder {
  buffer: Buffer;
  offset: number;
}

type RecordBatchDecoder = ((decoder: FetchDecoder) => Promise<unknown>) & {
  [GUARDED]?: true;
};

const GUARDED = Symbol('driftwatch guards this decoder');
/** Kafka's v2 record batch: offsets of the header fields from the batch's start. */
const LENGTH_END = 12; // baseOffset int64, batchLength int32 (counted from here)
const HEADER_BYTES = 61; // ... through the record count int32
const HIGHEST_KNOWN_CODEC = 4; // zstd

const require = createRequire(import.meta.url);
const DECODER_MODULE = 'kafkajs/src/protocol/recordBatch/v0/decoder.js';
/** The one module that takes kafkajs's record batch decoder (when a fetch is first decoded). */
const FETCH_MESSAGES_MODULE = 'kafkajs/src/protocol/requests/fetch/v4/decodeMessages.js';

/**
 * Replaces kafkajs's record batch decoder (in Node's module cache, before the fetch
 * decoder that takes it is loaded) with one that turns an undecodable batch into a marker.
 * Idempotent; fails loudly if kafkajs has already decoded a fetch without it, or if its
 * layout is not the one this was written against.
 */
export function guardRecordBatchDecoding(): void {
  const decoderPath = require.resolve(DECODER_MODULE);
  const original = require(decoderPath) as RecordBatchDecoder;
  if (original[GUARDED]) return;
  if (require.cache[require.resolve(FETCH_MESSAGES_MODULE)]) {
    throw new DriftwatchError(
      'DW_INTERNAL',
      'kafkajs decoded a fetch before its record batch decoder was guarded: undecodable batches would stop the consumer',
    );
  }
  const guarded: RecordBatchDecoder = async (decoder) => {
    const header = readBatchHeader(decoder.buffer, decoder.offset);
    // A batch cut off at the end of the fetch: kafkajs's own decoder says so, and the
    // partition's next fetch starts there.
    if (!header) return original(decoder);
    const end = decoder.offset + LENGTH_END + header.batchLength;
    const bytes = decoder.buffer.subarray(decoder.offset, end);
    if (header.codecId > HIGHEST_KNOWN_CODEC) {
      decoder.offset = end;
      return markBatch(header, bytes, 'unknown_codec', 'Kafka defines codec ids 0 to 4');
    }
    try {
      return await original(decoder);
    } catch (error) {
      decoder.offset = end;
      return markBatch(header, bytes, 'undecodable_batch', errorMessage(error));
    }
  };
  guarded[GUARDED] = true;
  const entry = require.cache[decoderPath];
  if (!entry) throw new DriftwatchError('DW_INTERNAL', `kafkajs: ${DECODER_MODULE} not loaded`);
  entry.exports = guarded;
}

interface BatchHeader {
  firstOffset: bigint;
  batchLength: number;
  partitionLeaderEpoch: number;
  attributes: number;
  codecId: number;
  lastOffsetDelta: number;
  firstTimestamp: bigint;
  maxTimestamp: bigint;
  producerId: bigint;
  producerEpoch: number;
  firstSequence: number;
  records: number;
}

/** The header of the record batch at `start`, or undefined unless the whole batch is there. */
function readBatchHeader(buffer: Buffer, start: number): BatchHeader | undefined {
  if (buffer.length - start < HEADER_BYTES) return undefined;
  const batchLength = buffer.readInt32BE(start + 8);
  if (batchLength < HEADER_BYTES - LENGTH_END) return undefined;
  if (buffer.length - start - LENGTH_END < batchLength) return undefined;
  const attributes = buffer.readInt16BE(start + 21);
  return {
    firstOffset: buffer.readBigInt64BE(start),
    batchLength,
    partitionLeaderEpoch: buffer.readInt32BE(start + 12),
    attributes,
    codecId: attributes & 0x07,
    lastOffsetDelta: buffer.readInt32BE(start + 23),
    firstTimestamp: buffer.readBigInt64BE(start + 27),
    maxTimestamp: buffer.readBigInt64BE(start + 35),
    producerId: buffer.readBigInt64BE(start + 43),
    producerEpoch: buffer.readInt16BE(start + 51),
    firstSequence: buffer.readInt32BE(start + 53),
    records: buffer.readInt32BE(start + 57),
  };
}

/**
 * What kafkajs's decoder returns for a batch — its context and records — with one record:
 * the marker, at the batch's last offset, so that the consumer's batch ends there and the
 * commit after it passes the whole undecodable batch (also when the fetch began inside it).
 */
function markBatch(header: BatchHeader, bytes: Buffer, reason: UndecodableReason, cause: string) {
  const lastOffset = (header.firstOffset + BigInt(Math.max(0, header.lastOffsetDelta))).toString();
  const context = {
    firstOffset: header.firstOffset.toString(),
    firstTimestamp: header.firstTimestamp.toString(),
    partitionLeaderEpoch: header.partitionLeaderEpoch,
    inTransaction: (header.attributes & 0x10) !== 0,
    isControlBatch: (header.attributes & 0x20) !== 0,
    lastOffsetDelta: header.lastOffsetDelta,
    producerId: header.producerId.toString(),
    producerEpoch: header.producerEpoch,
    firstSequence: header.firstSequence,
    maxTimestamp: header.maxTimestamp.toString(),
    timestampType: (header.attributes & 0x08) !== 0 ? 1 : 0,
  };
  const marker = {
    magicByte: 2,
    attributes: 0,
    timestamp: context.firstTimestamp,
    offset: lastOffset,
    key: null,
    value: null,
    headers: {},
    isControlRecord: context.isControlBatch,
    batchContext: context,
  };
  markers.set(marker, {
    reason,
    codec: codecName(header.codecId),
    firstOffset: context.firstOffset,
    lastOffset,
    records: header.records,
    bytes,
    cause,
  });
  return { ...context, records: [marker] };
}
