// The HTTP ingest benchmark's client, in its own process so that the service process is
// measured alone. Usage: node bench/postEvents.mjs URL TOTAL BATCH CONCURRENCY
// Posts NDJSON bodies of BATCH events (the producer's event shape, `ts` stamped when the
// body is built) from CONCURRENCY connections; reports POST latencies and exits by itself.
import { eventText } from './benchEvent.mjs';

const [url, totalText, batchText, concurrencyText] = process.argv.slice(2);
const total = Number(totalText);
const batch = Number(batchText);
const concurrency = Number(concurrencyText);
let next = 0;
const latencies = [];
const statuses = {};
const started = process.cpuUsage();

async function worker() {
  for (;;) {
    const from = next;
    if (from >= total) return;
    next += batch;
    const ts = new Date().toISOString();
    const lines = [];
    for (let i = from; i < Math.min(from + batch, total); i += 1) lines.push(eventText(i, ts));
    const sent = performance.now();
    const response = await fetch(`${url}/v1/events?type=prediction`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: lines.join('\n'),
    });
    await response.arrayBuffer();
    latencies.push(performance.now() - sent);
    statuses[response.status] = (statuses[response.status] ?? 0) + 1;
  }
}

await Promise.all(Array.from({ length: concurrency }, worker));
latencies.sort((a, b) => a - b);
const at = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))];
const cpu = process.cpuUsage(started);
process.send?.({
  done: true,
  p50: at(0.5),
  p99: at(0.99),
  statuses,
  cpuSeconds: (cpu.user + cpu.system) / 1e6,
});
process.disconnect?.();
