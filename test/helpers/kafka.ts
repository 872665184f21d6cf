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
