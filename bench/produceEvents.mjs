// The ingest benchmark's producer, in its own process so that the consumer process is
// measured alone. Usage: node bench/produceEvents.mjs BOOTSTRAP TOPIC TOTAL [RATE]
// Without RATE it sends as fast as the consumer keeps up (throughput); with RATE events/s,
// paced in tenths of a second (latency at a sustained load). AHEAD: how many events may be
// sent and not yet stored (48,000 by default).
// Events are ~600 bytes (20 numeric + 5 categorical features), `ts` stamped when the event
// is created, just before it is sent: produce → queryable is ingested_at − ts.
// Exits by itself once every event is acknowledged (and tells the parent first).
import { Kafka, logLevel } from 'kafkajs';
import { eventText } from './benchEvent.mjs';

const [bootstrap, topic, totalText, rateText, aheadText] = process.argv.slice(2);
const total = Number(totalText);
const rate = Number(rateText ?? 0);
const SEND_EVENTS = 24_000; // 2k per partition of 12: each fetch brings a large record batch
// the mock broker keeps only 5 MiB per partition: 4k events (2.5 MB) of each of 12 by default
const MAX_AHEAD = Number(aheadText ?? 48_000);
const kafka = new Kafka({
  clientId: 'bench-producer',
  brokers: [bootstrap],
  logLevel: logLevel.NOTHING,
});
const producer = kafka.producer({ allowAutoTopicCreation: false, idempotent: false });
await producer.connect();
let stored = 0;
process.on('message', (message) => {
  stored = message.stored;
});
const started = process.cpuUsage();
const chunk = rate > 0 ? Math.max(1, Math.round(rate / 10)) : SEND_EVENTS;
const begin = performance.now();
for (let sent = 0; sent < total; sent += chunk) {
  while (sent - stored > MAX_AHEAD) await new Promise((resolve) => setTimeout(resolve, 10));
  if (rate > 0) {
    const due = begin + (sent / rate) * 1000;
    if (due > performance.now())
      await new Promise((resolve) => setTimeout(resolve, due - performance.now()));
  }
  const ts = new Date().toISOString();
  const messages = Array.from({ length: Math.min(chunk, total - sent) }, (_, i) => ({
    value: eventText(sent + i, ts),
  }));
  await producer.send({ topic, messages });
}
await producer.disconnect();
const cpu = process.cpuUsage(started);
process.send?.({ done: true, cpuSeconds: (cpu.user + cpu.system) / 1e6 });
process.disconnect?.();
