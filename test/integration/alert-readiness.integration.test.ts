import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { startService, type Service } from '../../src/main.js';
import { silentLogger } from '../../src/observability/logger.js';
import {
  LOCAL_RECEIVERS_ENV,
  startWebhookReceiver,
  type WebhookReceiver,
} from '../helpers/alertReceivers.js';
import { REPO_ROOT } from '../helpers/cli.js';
import { tempDir } from '../helpers/store.js';

/**
 * Issue 20, "a page before the first event": the first `serve` of a model that has never
 * sent an event sent a CRITICAL webhook within a second (`no_data` on every check). Now its
 * windows are awaiting data, shown and never paged; and a run asked for by a person lies on
 * the schedule's grid and says what the alert stage did with it.
 */
const SECRET = `whsec_${Buffer.from('readiness test secret: 32 bytes!').toString('base64')}`;
const TEN_MINUTES = 10 * 60_000;

describe('a model that has never sent an event, on its first serve', () => {
  let service: Service;
  let hook: WebhookReceiver;
  let url: string;
  const dataDir = tempDir('driftwatch-readiness-');
  const monitorsDir = tempDir('driftwatch-readiness-monitors-');

  beforeAll(async () => {
    hook = await startWebhookReceiver([SECRET]);
    fs.copyFileSync(
      path.join(REPO_ROOT, 'baselines/churn-model.csv'),
      path.join(monitorsDir, 'churn-model.csv'),
    );
    fs.writeFileSync(
      path.join(monitorsDir, 'fresh-model.yaml'),
      `model: fresh-model
baseline: { file: churn-model.csv }
features: { tenure_months: numeric, monthly_charges: numeric, plan: categorical }
schedule: '*/10 * * * *'
window: 1h
checks:
  - { metric: psi, features: all, warn: 0.1, critical: 0.25 }
  - { metric: null_rate, features: all, max_increase: 0.05 }
alerts:
  routes:
    - { severity: warn, webhook: pager }
webhooks:
  pager: { url: ${hook.url}/pager, secret_env: TEST_SECRET, send_resolved: true }
`,
    );
    service = await startService(
      loadConfig({
        ...LOCAL_RECEIVERS_ENV,
        DRIFTWATCH_DATA_DIR: dataDir,
        DRIFTWATCH_PORT: '0',
        DRIFTWATCH_MONITORS_DIR: monitorsDir,
        TEST_SECRET: SECRET,
        DRIFTWATCH_ALERTS_POLL_MS: '50',
      }),
      { kafka: false, http: true, schedule: true, log: () => undefined, logger: silentLogger() },
    );
    url = service.address ?? '';
  }, 180_000);

  afterAll(async () => {
    await service?.stop();
    await hook?.close();
  });

  it('shows its first window as awaiting data and pages nobody', async () => {
    // start-up evaluated the latest scheduled window and handed it to the alert stage
    const results = (await (await fetch(`${url}/v1/results?model=fresh-model`)).json()) as {
      items: { status: string; window_end: string }[];
    };
    expect(results.items.length).toBeGreaterThan(0);
    expect(new Set(results.items.map((r) => r.status))).toEqual(new Set(['awaiting_data']));
    await new Promise((resolve) => setTimeout(resolve, 1_500)); // the page went out within 1 s
    expect(hook.requests.filter((request) => request.path === '/pager')).toEqual([]);
    const alerts = (await (await fetch(`${url}/v1/alerts?model=fresh-model`)).json()) as {
      items: unknown[];
    };
    expect(alerts.items).toEqual([]);
  });

  it('runs the last complete scheduled window when asked for none, and refuses one off the grid', async () => {
    const before = Date.now();
    const run = await fetch(`${url}/v1/models/fresh-model/runs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(run.status).toBe(200);
    const body = (await run.json()) as {
      run: { window_end: string; window_start: string };
      alerts: { taken: string; notifications: number; message: string };
    };
    const end = Date.parse(body.run.window_end);
    // on the */10 grid, the newest tick (not "now", as 18:18-19:18 was)
    expect(end % TEN_MINUTES).toBe(0);
    expect(end).toBeLessThanOrEqual(Date.now());
    expect(end).toBeGreaterThan(Math.floor(before / TEN_MINUTES) * TEN_MINUTES - TEN_MINUTES);
    expect(Date.parse(body.run.window_start)).toBe(end - 3_600_000);
    // the alert stage had handled that window at start-up: decided again (new, if a tick came between)
    expect(['again', 'new']).toContain(body.alerts.taken);
    expect(body.alerts).toMatchObject({
      notifications: 0,
      message: expect.stringMatching(/^alerts: /),
    });
    const off = new Date(end - 3 * 60_000).toISOString();
    const refused = await fetch(`${url}/v1/models/fresh-model/runs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ window_end: off }),
    });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: string }).error).toContain(
      `${off} is not on the schedule "*/10 * * * *": the windows around it end at ${new Date(end - TEN_MINUTES).toISOString()} and ${new Date(end).toISOString()}`,
    );
  });
});
