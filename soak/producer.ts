/**
 * The soak's producer, in its own process (forked by soak/run.ts with the settings as its
 * one argument): good predictions at a steady rate over every partition, a label for
 * every tenth, one hostile message in every hundred, and a 120-month batch every minute.
 * A send that fails is sent again, whole, until the broker acknowledges it (the same event
 * ids: at least once, as a real producer does); only acknowledged messages are reported.
 * Sends take Kafka's codecs in turn (none, gzip, snappy, lz4, zstd), as producers of every
 * client library would: the consumer must read them all.
 */
import { CompressionTypes, Kafka, logLevel, type Message, type Producer } from 'kafkajs';
import { registerKafkaCodecs } from '../src/ingest/kafkaCodecs.js';
import {
  createPredictionSource,
  INJECTED_CLASSES,
  labelText,
  MONTHS_CLASS,
  monthsBatch,
  predictionText,
  sha256,
} from './messages.js';
import {
  KAFKA_CODECS,
  type HarnessCommand,
  type Injection,
  type KafkaCodecName,
  type ProducerProgress,
  type ProducerSettings,
} from './protocol.js';

const settings = JSON.parse(process.argv[2] ?? '{}') as ProducerSettings;
registerKafkaCodecs();
const CODECS: Record<KafkaCodecName, CompressionTypes> = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
  snappy: CompressionTypes.Snappy,
  lz4: CompressionTypes.LZ4,
  zstd: CompressionTypes.ZSTD,
};
let sends = 0;
const acknowledgedByCodec: Partial<Record<KafkaCodecName, number>> = {};
const TICK_MS = 100;
/** After an outage, catch up at most at three times the rate. */
const CATCH_UP = 3;
const MAX_PER_SEND = 5_000;

type Meta =
  | { kind: 'good'; seq: number }
  | { kind: 'label' }
  | { kind: 'injection'; injection: Injection }
  /** The rest of a 120-month batch, accounted with its first message. */
  | { kind: 'part' };

interface Outgoing {
  topic: string;
  message: Message;
  meta: Meta;
}

const nextPrediction = createPredictionSource(settings.seed);
const pending: Outgoing[] = [];
let made = 0; // messages made on the predictions topic (good and hostile)
let good = 0;
let injected = 0;
let monthsBatches = 0;
let goodAcked = 0;
let labelsAcked = 0;
let sendFailures = 0;
let lastError: string | null = null;
let newInjections: Injection[] = [];
let stopping = false;

process.on('message', (command: HarnessCommand) => {
  if (command.type === 'stop') stopping = true;
});

function makeMessages(count: number, now: string): void {
  for (let i = 0; i < count; i += 1) {
    const partition = made % settings.partitions.predictions;
    made += 1;
    if (made % settings.badEvery === 0) {
      const cls = INJECTED_CLASSES[injected % INJECTED_CLASSES.length]!;
      const id = `b-${injected}`;
      injected += 1;
      const value = cls.payload(id, now);
      pending.push({
        topic: settings.topics.predictions,
        message: { value, partition },
        meta: {
          kind: 'injection',
          injection: {
            cls: cls.name,
            expect: cls.expect === 'stored' ? 'stored' : cls.expect.reason,
            sha256: sha256(value),
            eventIds: cls.expect === 'stored' ? [id] : [],
          },
        },
      });
      continue;
    }
    const seq = good;
    good += 1;
    const fields = nextPrediction();
    pending.push({
      topic: settings.topics.predictions,
      message: { value: predictionText(`g-${seq}`, now, fields), partition },
      meta: { kind: 'good', seq },
    });
    if (seq % settings.labelEvery === 0) {
      // the label a model would get: positive with the probability it predicted
      const label = Math.random() < fields.score ? 1 : 0;
      pending.push({
        topic: settings.topics.labels,
        message: {
          value: labelText(`p-g-${seq}`, label, now),
          partition: (seq / settings.labelEvery) % settings.partitions.labels,
        },
        meta: { kind: 'label' },
      });
    }
  }
}

function makeMonthsBatch(): void {
  const batch = monthsBatches;
  monthsBatches += 1;
  const events = monthsBatch(batch);
  const partition = batch % settings.partitions.predictions;
  // One send to one partition: the consumer fetches them as one batch.
  events.forEach(({ payload }, i) =>
    pending.push({
      topic: settings.topics.predictions,
      message: { value: payload, partition },
      meta:
        i === events.length - 1
          ? {
              kind: 'injection',
              injection: {
                cls: MONTHS_CLASS,
                expect: 'stored',
                sha256: sha256(events.map((e) => e.payload).join('\n')),
                eventIds: events.map((e) => e.id),
              },
            }
          : { kind: 'part' },
    }),
  );
}

function acknowledge(sent: Outgoing[]): void {
  for (const { meta } of sent) {
    if (meta.kind === 'good') goodAcked = Math.max(goodAcked, meta.seq + 1);
    else if (meta.kind === 'label') labelsAcked += 1;
    else if (meta.kind === 'injection') newInjections.push(meta.injection);
  }
}

function connect(): Producer {
  const kafka = new Kafka({
    clientId: 'soak-producer',
    brokers: settings.bootstrap.split(','),
    logLevel: logLevel.NOTHING,
    retry: { retries: 3, initialRetryTime: 200, maxRetryTime: 2_000 },
  });
  return kafka.producer({ allowAutoTopicCreation: false, idempotent: false });
}

function report(type: ProducerProgress['type']): void {
  const progress: ProducerProgress = {
    type,
    goodAcked,
    labelsAcked,
    injections: newInjections,
    pending: pending.length,
    sendFailures,
    lastError,
    acknowledgedByCodec,
  };
  newInjections = [];
  process.send?.(progress);
}

async function main(): Promise<void> {
  let producer = connect();
  let connected = false;
  let failuresInRow = 0;
  const started = Date.now();
  let lastMonths = started;
  let lastReport = started;
  let stoppedAt: number | undefined;
  for (;;) {
    const now = Date.now();
    if (!stopping) {
      const due = Math.floor(((now - started) / 1000) * settings.rate) - good;
      const cap = Math.ceil((settings.rate * TICK_MS * CATCH_UP) / 1000);
      if (due > 0 && pending.length < settings.rate * 60) {
        makeMessages(Math.min(due, cap), new Date(now).toISOString());
      }
      if (now - lastMonths >= settings.monthsEveryMs) {
        lastMonths = now;
        makeMonthsBatch();
      }
    } else {
      stoppedAt ??= now;
      // after stop: 30 s to have everything made acknowledged, then what is left is reported as pending
      if (pending.length === 0 || now - stoppedAt > 30_000) break;
    }
    if (pending.length > 0) {
      const sending = pending.slice(0, MAX_PER_SEND);
      try {
        if (!connected) {
          await producer.connect();
          connected = true;
        }
        const byTopic = new Map<string, Message[]>();
        for (const { topic, message } of sending) {
          let list = byTopic.get(topic);
          if (!list) byTopic.set(topic, (list = []));
          list.push(message);
        }
        const codec = KAFKA_CODECS[sends++ % KAFKA_CODECS.length]!;
        await producer.sendBatch({
          acks: -1,
          compression: CODECS[codec],
          topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
        });
        acknowledgedByCodec[codec] = (acknowledgedByCodec[codec] ?? 0) + sending.length;
        pending.splice(0, sending.length);
        acknowledge(sending);
        failuresInRow = 0;
      } catch (error) {
        // Sent again whole: some of it may be in the topic already (the consumer deduplicates).
        sendFailures += 1;
        failuresInRow += 1;
        lastError = error instanceof Error ? error.message : String(error);
        if (failuresInRow % 5 === 0) {
          await producer.disconnect().catch(() => undefined);
          producer = connect();
          connected = false;
        }
        await sleep(Math.min(500 * failuresInRow, 5_000));
      }
    }
    if (Date.now() - lastReport >= 1000) {
      lastReport = Date.now();
      report('progress');
    }
    await sleep(Math.max(0, TICK_MS - (Date.now() - now)));
  }
  await producer.disconnect().catch(() => undefined);
  report('done');
  process.disconnect?.();
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

await main();
