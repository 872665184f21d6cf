/** kafkajs-snappy ships no types: a factory of a kafkajs codec. */
declare module 'kafkajs-snappy' {
  const createSnappyCodec: () => {
    compress(encoder: { buffer: Buffer }): Promise<Buffer>;
    decompress(buffer: Buffer): Promise<Buffer>;
  };
  export default createSnappyCodec;
}
