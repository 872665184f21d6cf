/**
 * ClickHouse's RowBinary format, written straight into one growing buffer: the insert path
 * for events. Measured here (docs/BENCHMARKS.md): the engine takes RowBinary rows at about
 * 5–6 µs of CPU per event into `events` against 20 µs for the same rows as JSONEachRow,
 * and writing them costs JavaScript less than building and stringifying row objects.
 * Repeated strings (feature names, categories, models) are encoded once and copied.
 */
export interface RowBinaryWriter {
  readonly length: number;
  string(value: string): void;
  /** A string that recurs across rows (a key, a category): its encoding is cached. */
  recurringString(value: string): void;
  uint8(value: number): void;
  int8(value: number): void;
  int32(value: number): void;
  /** A safe integer (epoch milliseconds, Kafka offsets) as Int64. */
  int64(value: number): void;
  float64(value: number): void;
  /** A count: map entries, array items (LEB128). */
  size(value: number): void;
  /** The bytes written since `from` (default: all), copied out. */
  bytes(from?: number): Buffer;
  /** A view (no copy) of the bytes between two positions. */
  view(from: number, to: number): Buffer;
  reset(): void;
}

const RECURRING_CACHE_LIMIT = 100_000;
const recurring = new Map<string, Uint8Array>();

export function createRowBinaryWriter(initialBytes = 1 << 20): RowBinaryWriter {
  let buffer = Buffer.allocUnsafe(initialBytes);
  let view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  let position = 0;

  function ensure(bytes: number): void {
    if (position + bytes <= buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(buffer.length * 2, position + bytes));
    buffer.copy(grown, 0, 0, position);
    buffer = grown;
    view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  }

  function size(value: number): void {
    ensure(10);
    let rest = value;
    while (rest >= 0x80) {
      buffer[position++] = (rest & 0x7f) | 0x80;
      rest = Math.floor(rest / 0x80);
    }
    buffer[position++] = rest;
  }

  function string(value: string): void {
    // Up to 42 UTF-16 units take at most 126 UTF-8 bytes: a one-byte length, written after.
    if (value.length <= 42) {
      ensure(1 + value.length * 3);
      const written = buffer.write(value, position + 1, 'utf8');
      buffer[position] = written;
      position += 1 + written;
      return;
    }
    const bytes = Buffer.byteLength(value, 'utf8');
    size(bytes);
    ensure(bytes);
    position += buffer.write(value, position, 'utf8');
  }

  return {
    get length() {
      return position;
    },
    string,
    recurringString(value) {
      const encoded = recurring.get(value);
      if (encoded === undefined) {
        const start = position;
        string(value);
        // Once full, the cache keeps what it has: with more distinct strings than it holds,
        // replacing entries would cost more than it saves.
        if (recurring.size < RECURRING_CACHE_LIMIT) {
          recurring.set(value, Uint8Array.prototype.slice.call(buffer, start, position));
        }
        return;
      }
      const length = encoded.length;
      ensure(length);
      for (let i = 0; i < length; i += 1) buffer[position + i] = encoded[i]!;
      position += length;
    },
    uint8(value) {
      ensure(1);
      buffer[position++] = value;
    },
    int8(value) {
      ensure(1);
      view.setInt8(position, value);
      position += 1;
    },
    int32(value) {
      ensure(4);
      view.setInt32(position, value, true);
      position += 4;
    },
    int64(value) {
      ensure(8);
      const high = Math.floor(value / 0x1_0000_0000);
      view.setUint32(position, value - high * 0x1_0000_0000, true);
      view.setInt32(position + 4, high, true);
      position += 8;
    },
    float64(value) {
      ensure(8);
      view.setFloat64(position, value, true);
      position += 8;
    },
    size,
    bytes(from = 0) {
      return Buffer.from(buffer.subarray(from, position));
    },
    view(from, to) {
      return buffer.subarray(from, to);
    },
    reset() {
      position = 0;
    },
  };
}
