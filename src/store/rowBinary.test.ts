import { describe, expect, it } from 'vitest';
import { createRowBinaryWriter } from './rowBinary.js';

/** Expected bytes from ClickHouse's RowBinary specification, written out by hand. */
const hex = (text: string) => Buffer.from(text.replace(/\s+/g, ''), 'hex');

describe('the RowBinary writer', () => {
  it('writes strings with their LEB128 byte length, short and long, ASCII and not', () => {
    const writer = createRowBinaryWriter(4);
    writer.string('abc');
    writer.string('é');
    writer.string('x'.repeat(200));
    writer.string('€'.repeat(50)); // 150 bytes in UTF-8, 50 UTF-16 units
    expect(writer.bytes()).toEqual(
      Buffer.concat([
        hex('03 616263'),
        hex('02 c3a9'),
        hex('c801'),
        Buffer.from('x'.repeat(200)),
        hex('9601'),
        Buffer.from('€'.repeat(50)),
      ]),
    );
  });

  it('writes sizes, integers and floats little-endian', () => {
    const writer = createRowBinaryWriter(1);
    writer.size(0);
    writer.size(127);
    writer.size(128);
    writer.size(300);
    writer.int8(-1);
    writer.uint8(1);
    writer.int32(-2);
    writer.int64(-1);
    writer.int64(2 ** 40 + 5);
    writer.int64(Date.UTC(2026, 10, 22));
    writer.float64(1.5);
    writer.float64(Number.POSITIVE_INFINITY);
    const big = Buffer.alloc(8);
    big.writeBigInt64LE(BigInt(Date.UTC(2026, 10, 22)));
    expect(writer.bytes()).toEqual(
      Buffer.concat([
        hex('00 7f 8001 ac02 ff 01 feffffff ffffffffffffffff 0500000000010000'),
        big,
        hex('000000000000f83f 000000000000f07f'),
      ]),
    );
  });

  it('copies a recurring string from its cache, identical to writing it', () => {
    const writer = createRowBinaryWriter();
    writer.recurringString('merchant_category');
    writer.recurringString('merchant_category');
    writer.string('merchant_category');
    const one = hex('11').toString('hex') + Buffer.from('merchant_category').toString('hex');
    expect(writer.bytes().toString('hex')).toBe(one.repeat(3));
  });

  it('copies out a range, and starts again after reset', () => {
    const writer = createRowBinaryWriter();
    writer.uint8(1);
    writer.uint8(2);
    expect(writer.bytes(1)).toEqual(hex('02'));
    writer.reset();
    expect(writer.length).toBe(0);
  });
});
