import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/alertReceivers.js';
import { openTestStore, tempDir } from '../helpers/store.js';
import { planFromYaml, storeRun, type StoredVerdict } from '../helpers/verdicts.js';
import { createAlertStage, type AlertStage } from '../../src/alerts/alertStage.js';
import { loadAlertsConfig } from '../../src/config/config.js';
import type { MonitorPlan } from '../../src/monitors/plan.js';
import { silentLogger } from '../../src/observability/logger.js';
import { createMetricsRegistry } from '../../src/observability/metrics.js';
import type { Store } from '../../src/store/clickhouse.js';

/**
 * The Alertmanager channel judged by a real Alertmanager (Debian's prometheus-alertmanager,
 * test/prerequisites.mjs) on loopback: it validates every post against its own OpenAPI (a
 * body it refused would be a dead notification here), holds the alerts by label set, groups
 * them, and notifies a webhook receiver of ours
 * with firing and resolved groups, as it would notify Opsgenie or PagerDuty.
 */
const T0 = Date.parse('2026-11-22T00:00:00Z');
const WINDOW = 30 * 60_000;
const at = (i: number) => new Date(T0 + i * WINDOW);

interface Notified {
  status: string;
  alerts: { status: string; labels: Record<string, string> }[];
}

interface GettableAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  endsAt: string;
  status: { state: string; inhibitedBy: string[] };
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('a real Alertmanager receiving what driftwatch posts', () => {
  const dir = tempDir('driftwatch-alertmanager-');
  let store: Store;
  let alertmanager: ChildProcess;
  let amUrl = '';
  let receiver: http.Server;
  const notified: Notified[] = [];
  let stage: AlertStage;
  let plan: MonitorPlan;
  let logs = '';

  beforeAll(async () => {
    store = await openTestStore();
    receiver = http.createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        notified.push(JSON.parse(body) as Notified);
        response.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const hook = `http://127.0.0.1:${(receiver.address() as net.AddressInfo).port}/am`;
    fs.writeFileSync(
      path.join(dir, 'alertmanager.yml'),
      `route:
  receiver: ours
  group_by: [alertname, model]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: ours
    webhook_configs: [{ url: '${hook}', send_resolved: true }]
`,
    );
    const port = await freePort();
    amUrl = `http://127.0.0.1:${port}`;
    alertmanager = spawn(
      'prometheus-alertmanager',
      [
        `--config.file=${path.join(dir, 'alertmanager.yml')}`,
        `--storage.path=${path.join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--cluster.listen-address=',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    alertmanager.stderr?.on('data', (chunk: Buffer) => (logs += chunk.toString()));
    await eventually(
      async () => (await fetch(`${amUrl}/-/ready`).catch(() => null))?.ok === true,
      `Alertmanager to be ready: ${logs}`,
      30_000,
    );
    plan = planFromYaml(`model: am-real
baseline: { trailing: 7d }
features: { amount: numeric }
schedule: '*/30 * * * *'
window: 30m
checks:
  - { metric: psi, features: all, warn: 0.1, critical: 0.25 }
alerts:
  repeat_interval: 6h
  routes:
    - { severity: warn, alertmanager: local }
alertmanager:
  local: { url: '${amUrl}' }
`);
    stage = createAlertStage({
      store,
      plans: [plan],
      config: loadAlertsConfig({
        DRIFTWATCH_PUBLIC_URL: 'https://driftwatch.example.com',
        DRIFTWATCH_ALERTS_RETRY_BASE_MS: '50',
        DRIFTWATCH_ALERTS_POLL_MS: '50',
        DRIFTWATCH_WEBHOOK_ALLOW_LOOPBACK: 'true',
      }),
      logger: silentLogger(),
      registry: createMetricsRegistry({ processMetrics: false }),
    });
  }, 60_000);

  afterAll(async () => {
    await stage?.stop();
    alertmanager?.kill('SIGTERM');
    await new Promise<void>((resolve) => receiver.close(() => resolve()));
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function run(i: number, verdicts: StoredVerdict[]): Promise<void> {
    await storeRun(store, plan, at(i), verdicts);
    await stage.processMonitor(plan.monitor, at(i));
    expect(await stage.delivery.drain({ timeoutMs: 15_000 })).toBe(true);
  }

  async function alerts(): Promise<GettableAlert[]> {
    const response = await fetch(`${amUrl}/api/v2/alerts?filter=model%3D%22am-real%22`);
    return (await response.json()) as GettableAlert[];
  }

  const web = (status: 'warn' | 'critical' | 'ok'): StoredVerdict => ({
    feature: 'amount',
    slice: 'channel=web',
    status,
    value: status === 'critical' ? 0.41 : status === 'warn' ? 0.17 : 0.02,
  });

  it('accepts every post, holds the alert by its labels, ends the warning one on escalation, and notifies firing and resolved', async () => {
    await run(0, [web('warn')]);
    const [firing] = await alerts();
    expect(firing?.labels).toEqual({
      alertname: 'DriftwatchPsi',
      model: 'am-real',
      monitor: 'am-real',
      check: 'psi',
      feature: 'amount',
      slice: 'channel=web',
      severity: 'warning',
    });
    expect(firing?.status.state).toBe('active');
    expect(firing?.annotations.summary).toBe('am-real psi · amount · channel=web: 0.17 ≥ 0.1');
    await eventually(
      () => notified.some((n) => n.status === 'firing'),
      'the firing group at the receiver',
    );

    // Still breaching, nothing new to notify: posted again, one alert still.
    await run(1, [web('warn')]);
    expect(await alerts()).toHaveLength(1);

    // Escalation: the critical alert is active; the warning one has ended.
    await run(2, [web('critical')]);
    const now = await alerts();
    const active = now.filter((alert) => Date.parse(alert.endsAt) > Date.now());
    expect(active.map((alert) => alert.labels.severity)).toEqual(['critical']);

    // Clean again: resolved, and the receiver hears it.
    await run(3, [web('ok')]);
    expect((await alerts()).filter((alert) => Date.parse(alert.endsAt) > Date.now())).toEqual([]);
    await eventually(
      () =>
        notified.some(
          (n) =>
            n.status === 'resolved' &&
            n.alerts.some((alert) => alert.labels.severity === 'critical'),
        ),
      'the resolved group at the receiver',
    );
  }, 60_000);
});
