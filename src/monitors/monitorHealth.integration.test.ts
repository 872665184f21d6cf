import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/helpers/store.js';
import { loadConfig } from '../config/config.js';
import { startService, type Service } from '../main.js';

/**
 * A monitor that cannot run is seen: the service started with one whose baseline does not
 * load (a value of the wrong type on row 60, which validate cannot see in the header) and a
 * refused file; /readyz names both (status degraded: the good monitor runs, probes pass),
 * /metrics counts them. Before, /readyz said ready and only a start-up line told.
 */
const monitorYaml = (model: string, baseline: string) => `model: ${model}
baseline: { file: ${baseline} }
features: { amount: numeric }
schedule: '*/15 * * * *'
window: 1h
checks:
  - { metric: psi, features: all, warn: 0.1, critical: 0.25 }
`;

describe('monitors that cannot run', () => {
  const dir = tempDir('driftwatch-monitor-health-');
  let service: Service;

  beforeAll(async () => {
    const monitors = path.join(dir, 'monitors');
    fs.mkdirSync(monitors);
    const rows = (bad: boolean) =>
      Array.from({ length: 100 }, (_, i) => (bad && i === 59 ? 'twelve' : String(i))).join('\n');
    fs.writeFileSync(path.join(dir, 'good.csv'), `amount\n${rows(false)}\n`);
    fs.writeFileSync(path.join(dir, 'broken.csv'), `amount\n${rows(true)}\n`);
    fs.writeFileSync(path.join(monitors, 'good.yaml'), monitorYaml('good', '../good.csv'));
    fs.writeFileSync(path.join(monitors, 'broken.yaml'), monitorYaml('broken', '../broken.csv'));
    fs.writeFileSync(path.join(monitors, 'typo.yaml'), 'model: typo\nwindow: 1 hour\n');
    service = await startService(
      loadConfig({
        DRIFTWATCH_DATA_DIR: path.join(dir, 'data'),
        DRIFTWATCH_MONITORS_DIR: monitors,
      }),
      { kafka: false, http: false, schedule: false, log: () => undefined },
    );
  });
  afterAll(async () => {
    await service?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('are named by /readyz, which stays 200 for the others, and counted in /metrics', async () => {
    const ready = await service.app.inject({ url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    const body = ready.json() as {
      status: string;
      checks: Record<string, { ok: boolean; degraded?: boolean; detail?: string }>;
    };
    expect(body.status).toBe('degraded');
    expect(body.checks.store).toEqual({ ok: true });
    expect(body.checks.monitors).toMatchObject({ ok: true, degraded: true });
    const detail = body.checks.monitors?.detail ?? '';
    expect(detail).toContain(
      `monitor broken cannot run: ${path.join(dir, 'broken.csv')}:61: column "amount": expected a number, got "twelve"`,
    );
    expect(detail).toMatch(/monitor file .*typo\.yaml refused: .*typo\.yaml:\d+:\d+: /);
    expect(detail).not.toMatch(/monitor good/);
    const metrics = await (await service.app.inject({ url: '/metrics' })).body;
    expect(metrics).toMatch(/^driftwatch_monitor_failing\{monitor="broken"\} 1$/m);
    expect(metrics).toMatch(/^driftwatch_monitor_failing\{monitor="good"\} 0$/m);
    expect(metrics).toMatch(/^driftwatch_monitor_files_refused 1$/m);
  });
});
