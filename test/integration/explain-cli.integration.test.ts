import path from 'node:path';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertExplanation } from '../../src/api/explanation.js';
import { runCli, startCli, type RunningCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/store.js';

/**
 * `driftwatch alerts explain ID` as a user runs it, on the data the demo leaves behind: the
 * table and --json from the store, and the same answer through the running service that
 * holds the store (GET /v1/alerts/:id/explanation).
 */
describe('driftwatch alerts explain', () => {
  const dir = tempDir('driftwatch-explain-cli-');
  const env = {
    DRIFTWATCH_DATA_DIR: path.join(dir, 'data'),
    DRIFTWATCH_PORT: '0',
    // the shipped fraud-detector names its webhook's secret: the operator exposes it
    DRIFTWATCH_MONITOR_SECRETS: 'RETRAIN_SECRET',
  };
  let alertId = '';

  beforeAll(async () => {
    const demo = await runCli(
      ['demo', '--hours', '3', '--events-per-hour', '1200', '--live', '0'],
      env,
      180_000,
    );
    expect(demo.status, demo.stderr).toBe(0);
    const listed = await runCli(['alerts', '--state', 'all', '--json'], env);
    const alerts = (
      JSON.parse(listed.stdout) as {
        alerts: { alert_id: string; check_id: string; feature: string; slice: string }[];
      }
    ).alerts;
    alertId =
      alerts.find((a) => a.check_id === 'psi' && a.feature === 'amount' && a.slice === 'all')
        ?.alert_id ?? '';
    expect(alertId).toMatch(/^[0-9a-f]{32}$/);
  }, 240_000);
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('prints what fired, the bins that moved most, and the slice that explains the shift', async () => {
    const result = await runCli(['alerts', 'explain', alertId], env);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const out = result.stdout;
    expect(out).toMatch(new RegExp(`^alert ${alertId}: psi · amount · all \\(fraud-detector\\)`));
    expect(out).toMatch(/^ {2}\d{4}-\d\d-\d\d \d\d:\d\dZ +firing +critical/m);
    expect(out).toMatch(/\(the window that fired it\)\ncritical: psi /);
    expect(out).toMatch(/the 5 bins that moved most:\n {2}bin +baseline +window +PSI part/);
    expect(out).toMatch(/the CDFs differ most at [\d.]+: .* values moved up\)/);
    // the demo plants its drift on the web channel: that slice explains most of the PSI
    expect(out).toMatch(/^ {2}channel: channel=web [\d.]+ \[[\d.]+, [\d.]+\] \((\d\d\.\d)%\)/m);
    expect(out).toMatch(/features in all by PSI in the window:/);
  });

  it('prints the same explanation as JSON, and refuses an unknown alert with exit status 2', async () => {
    const result = await runCli(['alerts', 'explain', alertId, '--json'], env);
    expect(result.status).toBe(0);
    const explanation = JSON.parse(result.stdout) as AlertExplanation;
    expect(explanation.alert.alert_id).toBe(alertId);
    expect(explanation.window?.chosen).toBe('fired');
    const channel = explanation.attribution?.keys.find((key) => key.key === 'channel');
    expect(channel?.slices[0]?.slice).toBe('channel=web');
    expect(channel?.slices[0]?.share).toBeGreaterThan(0.5);
    expect(explanation.distribution?.bins).toHaveLength(10);
    const unknown = await runCli(['alerts', 'explain', 'ffffffffffffffffffffffffffffffff'], env);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/no alert "ffffffffffffffffffffffffffffffff"/);
  });

  it('asks the running service when it holds the store, and answers the same', async () => {
    const fromStore = JSON.parse(
      (await runCli(['alerts', 'explain', alertId, '--json'], env)).stdout,
    ) as AlertExplanation;
    // the example monitor's retraining webhook needs its secret to start
    const secret = `whsec_${Buffer.from('explain test secret, 32 bytes..').toString('base64')}`;
    const serve: RunningCli = startCli(['serve', '--role', 'api'], {
      ...env,
      RETRAIN_SECRET: secret,
    });
    try {
      await serve.waitForStderr(/listening on http/, 60_000);
      const result = await runCli(['alerts', 'explain', alertId, '--json'], env);
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
      expect(JSON.parse(result.stdout)).toEqual(fromStore);
    } finally {
      await serve.stop();
    }
  }, 120_000);
});
