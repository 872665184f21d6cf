// npm run bench -- alerts
// The alert stage on embedded ClickHouse: how long one run's verdicts take to become alert
// states, audit events and outbox rows, and how fast the delivery loop drains the outbox to
// webhook receivers on loopback (signing, sending, and recording every attempt).
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createAlertStage } from '../src/alerts/alertStage.js';
import { loadAlertsConfig } from '../src/config/config.js';
import { loadMonitorFile } from '../src/monitors/monitorFile.js';
import { silentLogger } from '../src/observability/logger.js';
import { createMetricsRegistry } from '../src/observability/metrics.js';
import { openStore } from '../src/store/clickhouse.js';
import { migrate } from '../src/store/migrate.js';
import { countOutboxByStatus } from '../src/store/outbox.js';
import { insertMonitorResults, insertMonitorRun } from '../src/store/results.js';
import { NULL_FIELDS, type CheckResult } from '../src/monitors/checkResult.js';

const FEATURES = 20;
const SLICES = 50;
const WINDOWS = 40;
const DESTINATIONS = 8;
const SECRET = `whsec_${Buffer.from('benchmark secret of 32 bytes....').toString('base64')}`;

export async function runAlertsBenchmark(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'driftwatch-bench-alerts-'));
  let received = 0;
  const receiver = http.createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      received += 1;
      response.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  const webhooks = Array.from({ length: DESTINATIONS }, (_, i) => `hook${i}`);
  const file = path.join(dir, 'bench.yaml');
  fs.writeFileSync(
    file,
    `model: bench
baseline: { trailing: 7d }
features: { ${Array.from({ length: FEATURES }, (_, i) => `f${i}: numeric`).join(', ')} }
schedule: '*/30 * * * *'
window: 30m
checks:
  - { metric: psi, features: all, warn: 0.1, critical: 0.25 }
alerts:
  repeat_interval: 30m
  group: per_alert
  routes:
${webhooks.map((name) => `    - { severity: warn, webhook: ${name} }`).join('\n')}
webhooks:
${webhooks.map((name) => `  ${name}: { url: '${url}/${name}', secret_env: BENCH_SECRET }`).join('\n')}
`,
  );
  const loaded = loadMonitorFile(file);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
  const plan = loaded.plan;
  const store = await openStore({
    kind: 'embedded',
    dataDir: path.join(dir, 'data'),
    database: 'driftwatch',
  });
  await migrate(store);
  const stage = createAlertStage({
    store,
    plans: [plan],
    config: loadAlertsConfig({ BENCH_SECRET: SECRET, DRIFTWATCH_ALERTS_POLL_MS: '50' }),
    logger: silentLogger(),
    registry: createMetricsRegistry({ processMetrics: false }),
  });
  const t0 = Date.parse('2026-11-22T00:00:00Z');
  const perRun: number[] = [];
  let notifications = 0;
  for (let w = 1; w <= WINDOWS; w += 1) {
    const windowEnd = new Date(t0 + w * 1_800_000);
    const results = verdicts(plan.monitor, plan.hash, windowEnd, w);
    await insertMonitorResults(store, results);
    await insertMonitorRun(store, {
      monitor: plan.monitor,
      windowStart: new Date(windowEnd.getTime() - 1_800_000),
      windowEnd,
      status: 'critical',
      checks: results.length,
      breaches: 0,
      durationMs: 1,
      monitorHash: plan.hash,
    });
    const started = performance.now();
    const [processed] = await stage.processMonitor(plan.monitor, windowEnd);
    perRun.push(performance.now() - started);
    notifications += processed?.notifications.length ?? 0;
  }
  perRun.sort((a, b) => a - b);
  console.log(
    `processing: ${WINDOWS} runs of ${FEATURES * (SLICES + 1)} verdicts (about 20% breaching, ${DESTINATIONS} webhook routes): ` +
      `median ${perRun[Math.floor(WINDOWS / 2)]?.toFixed(0)} ms, max ${perRun.at(-1)?.toFixed(0)} ms per run; ${notifications} notifications written`,
  );
  const started = performance.now();
  const drained = await stage.delivery.drain({ timeoutMs: 600_000 });
  const seconds = (performance.now() - started) / 1000;
  const counts = await countOutboxByStatus(store);
  console.log(
    `delivery: ${counts.delivered} webhooks delivered (${received} received, drained: ${drained}) in ${seconds.toFixed(1)} s: ` +
      `${(counts.delivered / seconds).toFixed(0)}/s over ${DESTINATIONS} destinations, each in order`,
  );
  await stage.stop();
  await store.close();
  receiver.closeAllConnections();
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
  fs.rmSync(dir, { recursive: true, force: true });
}

/** Per window: every feature in every slice; a rotating fifth of them breaching. */
function verdicts(monitor: string, hash: string, windowEnd: Date, w: number): CheckResult[] {
  const out: CheckResult[] = [];
  for (let f = 0; f < FEATURES; f += 1) {
    for (let s = 0; s <= SLICES; s += 1) {
      const breaching = (f + s + w) % 5 === 0;
      out.push({
        ...NULL_FIELDS,
        monitor,
        model: monitor,
        windowStart: new Date(windowEnd.getTime() - 1_800_000),
        windowEnd,
        checkId: 'psi',
        metric: 'psi',
        feature: `f${f}`,
        sliceKey: s === 0 ? '' : 'shop',
        sliceValue: s === 0 ? 'all' : `s${s}`,
        status: breaching ? 'warn' : 'ok',
        value: breaching ? 0.15 : 0.02,
        correction: 'none',
        warnThreshold: 0.1,
        criticalThreshold: 0.25,
        nReference: 10_000,
        nCurrent: 1_000,
        baseline: 'bench',
        baselineVersion: 1,
        monitorHash: hash,
        details: {},
      });
    }
  }
  return out;
}
