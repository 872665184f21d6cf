import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel, type Producer } from 'kafkajs';

const BINARY = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../.tmp/mock-broker');

export interface MockBroker {
  bootstrap: string;
  /** Fault injection: "down 1", "up 1", "leader topic 0 2", "coordinator group 2". */
  command(line: string): Promise<void>;
  stop(): Promise<void>;
}

/** A librdkafka mock cluster on loopback, with its topics created up front. */
export async function startMockBroker(options: {
  brokers?: number;
  topics: Record<string, number>;
}): Promise<MockBroker> {
  const args = [
    String(options.brokers ?? 1),
    ...Object.entries(options.topics).map(([topic, partitions]) => `${topic}:${partitions}`),
  ];
  const child: ChildProcessWithoutNullStreams = spawn(BINARY, args, {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const lines = readline.createInterface({ input: child.stdout });
  const pending: ((line: string) => void)[] = [];
  lines.on('line', (line) => pending.shift()?.(line));
  const nextLine = () => new Promise<string>((resolve) => pending.push(resolve));
  const first = await Promise.race([
    nextLine(),
    new Promise<string>((_, reject) =>
      child.once('exit', (code) => reject(new Error(`mock broker exited with ${code}`))),
    ),
  ]);
  const bootstrap = first.replace(/^bootstrap /, '');
  return {
    bootstrap,
    async command(line) {
      const answer = nextLine();
      child.stdin.write(`${line}\n`);
      const reply = await answer;
      if (reply !== 'ok') throw new Error(`mock broker: ${reply}`);
    },
    async stop() {
      child.stdin.end();
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}

/** Test consumer timings: the mock's coordinator waits sessionTimeout − 1 s on each join. */
export const TEST_CONSUMER_TIMINGS = {
  sessionTimeout: 3000,
  heartbeatInterval: 300,
  maxWaitTimeInMs: 200,
} as const;

export async function connectProducer(bootstrap: string): Promise<Producer> {
  const kafka = new Kafka({
    clientId: 'test-producer',
    brokers: [bootstrap],
    logLevel: logLevel.NOTHING,
  });
  const producer = kafka.producer({ allowAutoTopicCreation: false, idempotent: false });
  await producer.connect();
  return producer;
}

/** Polls until the check passes or the time is up (for asynchronous consumption). */
export async function waitFor(
  check: () => Promise<boolean>,
  timeoutMs = 30_000,
  intervalMs = 200,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/**
 * Produces `values` to one partition with Debian's kcat (librdkafka, the C client most
 * non-Java producers are built on), compressed with `codec`: a real third-party producer.
 */
export function produceWithKcat(
  bootstrap: string,
  topic: string,
  values: readonly string[],
  options: { codec: 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd'; partition?: number },
): Promise<void> {
  return runToCompletion(
    'kcat',
    [
      '-P',
      ...['-b', bootstrap, '-t', topic, '-p', String(options.partition ?? 0)],
      ...['-z', options.codec, '-X', 'linger.ms=20'],
    ],
    `${values.join('\n')}\n`,
  );
}

/**
 * Produces one record batch that cannot be decoded: its records are compressed by a codec
 * that writes `garbage` (or left uncompressed and replaced by garbage) under codec id
 * `codecId` (1 gzip … 4 zstd; 5–7 are ids Kafka does not define). Made by a kafkajs producer
 * in a process of its own, so that the garbage codec never reaches this process's kafkajs.
 * The batch is otherwise well formed (offsets, count, CRC), as a broker would store it.
 */
export function produceUndecodableBatch(
  bootstrap: string,
  topic: string,
  options: { partition: number; codecId: number; records: number; garbage: Buffer },
): Promise<void> {
  const script = `
    const { Kafka, CompressionCodecs, logLevel } = require('kafkajs');
    const [bootstrap, topic, partition, codecId, records, garbage] = process.argv.slice(1);
    CompressionCodecs[codecId] = () => ({
      compress: async () => Buffer.from(garbage, 'base64'),
      decompress: async () => { throw new Error('not used'); },
    });
    (async () => {
      const producer = new Kafka({ brokers: [bootstrap], logLevel: logLevel.NOTHING })
        .producer({ allowAutoTopicCreation: false, idempotent: false });
      await producer.connect();
      await producer.send({
        topic,
        compression: Number(codecId),
        messages: Array.from({ length: Number(records) }, (_, i) => ({
          partition: Number(partition),
          value: 'record ' + i,
        })),
      });
      await producer.disconnect();
    })().catch((error) => { console.error(error); process.exit(1); });
  `;
  return runToCompletion(process.execPath, [
    '-e',
    script,
    bootstrap,
    topic,
    String(options.partition),
    String(options.codecId),
    String(options.records),
    options.garbage.toString('base64'),
  ]);
}

function runToCompletion(command: string, args: string[], input?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..'),
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${command} exited with ${code}: ${stderr}`)),
    );
    child.stdin.end(input ?? '');
  });
}
