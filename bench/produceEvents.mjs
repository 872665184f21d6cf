// The ingest benchmark's producer, in its own process so that the consumer process is
// measured alone. Usage: node bench/produceEvents.mjs BOOTSTRAP TOPIC TOTAL
import { Kafka, logLevel } from 'kafkajs';

const [bootstrap, topic, totalText] = process.argv.slice(2);
const total = Number(totalText);
const CATEGORIES = ['grocery', 'travel', 'electronics', 'gaming', 'fuel'];

function event(i) {
  const features = {};
  for (let f = 0; f < 20; f += 1) features[`num_${f}`] = Math.round(Math.random() * 1e6) / 1e3;
  for (let f = 0; f < 5; f += 1) features[`cat_${f}`] = CATEGORIES[(i + f) % CATEGORIES.length];
  return JSON.stringify({
    event_id: `e${i}`,
    model: 'bench-model',
    model_version: 'v1',
    ts: new Date().toISOString(),
    prediction_id: `p${i}`,
    features,
    score: Math.random(),
    attributes: { country: ['US', 'GB', 'DE'][i % 3] },
  });
}

const kafka = new Kafka({
  clientId: 'bench-producer',
  brokers: [bootstrap],
  logLevel: logLevel.NOTHING,
});
const producer = kafka.producer({ allowAutoTopicCreation: false, idempotent: false });
await producer.connect();
let acknowledged = 0;
process.on('message', (message) => {
  acknowledged = message.stored;
});
for (let sent = 0; sent < total; sent += 24_000) {
  // Stay at most 96k events ahead of what is stored: the mock broker keeps 5 MiB per partition.
  // 24k events a send: 2k per partition, so each fetch brings a large record batch.
  while (sent - acknowledged > 96_000) await new Promise((resolve) => setTimeout(resolve, 20));
  const messages = Array.from({ length: Math.min(24_000, total - sent) }, (_, i) => ({
    value: event(sent + i),
  }));
  await producer.send({ topic, messages });
}
await producer.disconnect();
process.send?.({ done: true });
