import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { startService, type Service } from '../../src/main.js';
import { silentLogger } from '../../src/observability/logger.js';
import { REPO_ROOT } from '../helpers/cli.js';
import { tempDir } from '../helpers/store.js';

/**
 * Issue 21, Deliver 4: Prometheus's own linter, `promtool check metrics` (Debian's
 * `prometheus` package, installed by npm test's pretest), on the live /metrics of a running
 * service with every stage's metrics: ingest, HTTP, alerts, start-up, process, and the
 * drift gauges of monitors that ran.
 */
describe('/metrics, as promtool reads it', () => {
  let service: Service;
  const dataDir = tempDir('driftwatch-promtool-');
  beforeAll(async () => {
    service = await startService(
      loadConfig({
        DRIFTWATCH_DATA_DIR: dataDir,
        DRIFTWATCH_PORT: '0',
        DRIFTWATCH_MONITORS_DIR: path.join(REPO_ROOT, 'monitors'),
        // fraud-detector's retraining webhook: the service refuses to start without it.
        RETRAIN_SECRET: `whsec_${Buffer.from('promtool test secret, 32 bytes!').toString('base64')}`,
      }),
      { kafka: false, http: true, schedule: false, log: () => undefined, logger: silentLogger() },
    );
    const url = service.address ?? '';
    const now = new Date();
    // Some traffic, so labelled series have samples: events (one bad), a run, an error.
    const events = [0, 1, 2].map((i) => ({
      type: 'prediction',
      event_id: `promtool-${i}`,
      model: 'churn-model',
      ts: new Date(now.getTime() - 60_000).toISOString(),
      prediction_id: `p${i}`,
      features: { tenure_months: 10 + i, monthly_charges: 40, support_tickets: 0, plan: 'basic' },
      attributes: { region: 'EU' },
      score: 0.3,
    }));
    const posted = await fetch(`${url}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([...events, { type: 'prediction', event_id: 'broken' }]),
    });
    expect(posted.status).toBe(207);
    const run = await fetch(`${url}/v1/models/churn-model/runs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({}), // the last complete window of the schedule
    });
    expect(run.status).toBe(200);
    expect((await fetch(`${url}/v1/results?status=bogus`)).status).toBe(400);
  }, 180_000);
  afterAll(async () => {
    await service?.stop();
  });

  it('passes `promtool check metrics` with nothing to say', async () => {
    const text = await (await fetch(`${service.address}/metrics`)).text();
    // What is checked: the drift gauges of the run, process metrics, ingest counters.
    expect(text).toMatch(/^driftwatch_drift_status\{/m);
    expect(text).toMatch(/^driftwatch_nodejs_active_handles\{/m);
    expect(text).toMatch(/^driftwatch_ingest_events_total\{source="http",kind="prediction"\} 3$/m);
    const promtool = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(promtool.error).toBeUndefined();
    expect({ status: promtool.status, output: promtool.stdout + promtool.stderr }).toEqual({
      status: 0,
      output: '',
    });
  });
});
