import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  eventually,
  startAlertmanagerStub,
  startPagerdutyStub,
  startTeamsStub,
  type AlertmanagerStub,
  type PagerdutyStub,
  type TeamsStub,
} from '../helpers/alertReceivers.js';
import { runCli } from '../helpers/cli.js';
import { exited, seedAlertRuns, startServe, type RunningService } from '../helpers/serve.js';
import { tempDir } from '../helpers/store.js';

/**
 * The service as a user runs it, routing to PagerDuty, Teams and Alertmanager stand-ins,
 * killed with SIGKILL in the middle of delivering and started again: every notification
 * arrives; a notification is sent twice only if the kill fell between a receiver's answer
 * and its record (at most one per destination, the one in flight); PagerDuty keeps one alert
 * (dedup_key) and Alertmanager one alert (label set) however often they hear of it, while a
 * Teams channel shows a resent card twice (it has no key). Then `alerts ack` acknowledges
 * the PagerDuty alert through the restarted service, and `alerts test` goes through each
 * route.
 */
const WINDOWS = 20;
const WINDOW_MS = 30 * 60_000;
const PD_KEY = '0f1e2d3c4b5a69788796a5b4c3d2e1f0';

async function stop(service: RunningService | undefined, signal: NodeJS.Signals): Promise<void> {
  if (!service || service.child.exitCode !== null || service.child.signalCode !== null) return;
  service.child.kill(signal);
  await exited(service.child);
}

describe('PagerDuty, Teams and Alertmanager deliveries across a SIGKILL', () => {
  const dir = tempDir('driftwatch-oncall-restart-');
  const monitorsDir = path.join(dir, 'monitors');
  let pagerduty: PagerdutyStub;
  let teams: TeamsStub;
  let alertmanager: AlertmanagerStub;
  let env: Record<string, string>;
  let running: RunningService | undefined;
  const firstEnd = new Date(
    Math.floor(Date.now() / WINDOW_MS) * WINDOW_MS - (WINDOWS + 1) * WINDOW_MS,
  );

  beforeAll(async () => {
    [pagerduty, teams, alertmanager] = await Promise.all([
      startPagerdutyStub(),
      startTeamsStub(),
      startAlertmanagerStub(),
    ]);
    for (const stub of [pagerduty, teams, alertmanager]) stub.delayMs = 200;
    fs.mkdirSync(monitorsDir);
    // A repeat every window: each of the breaching windows owes every route one notification.
    fs.writeFileSync(
      path.join(monitorsDir, 'oncall-model.yaml'),
      `model: oncall-model
baseline: { trailing: 7d }
features: { amount: numeric }
schedule: '0 0 1 1 *'
window: 30m
checks:
  - { metric: psi, features: all, warn: 0.1, critical: 0.25 }
alerts:
  repeat_interval: 30m
  routes:
    - { severity: warn, pagerduty: oncall, teams: ml, alertmanager: main }
pagerduty:
  oncall: { routing_key_env: ONCALL_PD_KEY, url: '${pagerduty.enqueueUrl}' }
teams:
  ml: { url_env: ONCALL_TEAMS_URL }
alertmanager:
  main: { url: '${alertmanager.url}' }
`,
    );
    env = {
      DRIFTWATCH_DATA_DIR: path.join(dir, 'data'),
      DRIFTWATCH_MONITORS_DIR: monitorsDir,
      DRIFTWATCH_PORT: '0',
      ONCALL_PD_KEY: PD_KEY,
      ONCALL_TEAMS_URL: `${teams.url}/workflows/1/triggers/manual/paths/invoke?sig=teams-secret-sig`,
      DRIFTWATCH_MONITOR_SECRETS: 'ONCALL_*',
      DRIFTWATCH_WEBHOOK_ALLOW_LOOPBACK: 'true',
      DRIFTWATCH_ALERTS_MAX_ATTEMPTS: '3',
      DRIFTWATCH_ALERTS_RETRY_BASE_MS: '50',
      DRIFTWATCH_ALERTS_RETRY_MAX_MS: '200',
      DRIFTWATCH_ALERTS_POLL_MS: '50',
    };
    const seeded = await seedAlertRuns(
      {
        dataDir: env.DRIFTWATCH_DATA_DIR ?? '',
        monitorFile: path.join(monitorsDir, 'oncall-model.yaml'),
        firstEnd,
        count: WINDOWS,
      },
      env,
    );
    expect(seeded).toBe(0);
  }, 120_000);

  afterAll(async () => {
    await stop(running, 'SIGKILL');
    await Promise.all([pagerduty.close(), teams.close(), alertmanager.close()]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('delivers every notification, at most one twice per destination, and the receivers with a key keep one alert', async () => {
    running = await startServe(env);
    await eventually(
      () => pagerduty.events.filter((event) => event.status === 202).length >= 3,
      'the first PagerDuty deliveries',
      60_000,
    );
    running.child.kill('SIGKILL');
    await exited(running.child);
    const atKill = pagerduty.events.filter((event) => event.status === 202).length;
    expect(atKill).toBeLessThan(WINDOWS);

    running = await startServe(env);
    const scrape = async () => (await fetch(`${running?.address}/metrics`)).text();
    await eventually(
      async () =>
        new RegExp(`driftwatch_alert_notifications\\{status="delivered"\\} ${3 * WINDOWS}\\n`).test(
          await scrape(),
        ),
      'every notification delivered after the restart',
      90_000,
    );
    const pdAccepted = pagerduty.events.filter((event) => event.status === 202);
    const amAccepted = alertmanager.posts.filter((post) => post.status === 200);
    const teamsAccepted = teams.posts.filter((post) => post.status === 202);
    // one per window (the firing trigger, then a repeat each window), plus at most the one in
    // flight when the process died
    for (const accepted of [pdAccepted, amAccepted, teamsAccepted]) {
      expect(accepted.length).toBeGreaterThanOrEqual(WINDOWS);
      expect(accepted.length).toBeLessThanOrEqual(WINDOWS + 1);
    }
    // every body was valid by its protocol
    expect(pagerduty.events.every((event) => event.errors.length === 0)).toBe(true);
    expect(teams.posts.every((post) => post.problems.length === 0)).toBe(true);
    expect(alertmanager.posts.every((post) => post.problems.length === 0)).toBe(true);
    // PagerDuty: one alert under the driftwatch alert's id, every trigger a log entry of it
    const dedupKeys = new Set(pdAccepted.map((event) => String(event.event.dedup_key)));
    expect(dedupKeys.size).toBe(1);
    expect(pagerduty.alerts).toHaveLength(1);
    expect(pagerduty.alerts[0]).toMatchObject({ status: 'triggered', severity: 'warning' });
    expect(pagerduty.alerts[0]?.log).toHaveLength(pdAccepted.length);
    // Alertmanager: one alert by its label set, still active
    expect(alertmanager.alerts.size).toBe(1);
    expect(alertmanager.active()).toHaveLength(1);
    // Teams: each accepted card shows; a resent one twice (no idempotency key there)
    expect(teams.cards).toHaveLength(teamsAccepted.length);

    await stop(running, 'SIGTERM');
    expect(running.child.exitCode).toBe(0);
    expect(running.stderr()).not.toContain(PD_KEY);
    expect(running.stderr()).not.toContain('teams-secret-sig');
  }, 240_000);

  it('alerts ack acknowledges the PagerDuty alert, delivered by the service once it runs', async () => {
    const alertId = String(pagerduty.alerts[0]?.dedupKey);
    const ack = await runCli(['alerts', 'ack', alertId, '--by', 'ana', '--reason', 'on it'], env);
    expect(ack.stderr).toBe('');
    expect(ack.stdout).toMatch(/acknowledged by ana, episode 1/);
    running = await startServe(env);
    await eventually(
      () => pagerduty.alerts[0]?.status === 'acknowledged',
      'the acknowledgement in PagerDuty',
      60_000,
    );
    expect(pagerduty.alerts[0]?.log.at(-1)).toBe('acknowledge');
    await stop(running, 'SIGTERM');
  }, 120_000);

  it('alerts test sends through each on-call route and says how each went', async () => {
    const cards = teams.cards.length;
    const result = await runCli(['alerts', 'test', '--model', 'oncall-model'], env);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^pagerduty:oncall +delivered$/m);
    expect(result.stdout).toMatch(/^teams:ml +delivered$/m);
    expect(result.stdout).toMatch(/^alertmanager:main +delivered$/m);
    expect(pagerduty.alerts.at(-1)).toMatchObject({ severity: 'info', status: 'resolved' });
    expect(JSON.stringify(teams.cards.slice(cards))).toContain('TEST · oncall-model');
    expect(
      [...alertmanager.alerts.values()].some(
        (alert) => alert.labels.alertname === 'DriftwatchTest',
      ),
    ).toBe(true);
  }, 120_000);
});
