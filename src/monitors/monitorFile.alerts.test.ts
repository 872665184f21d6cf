import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../test/helpers/store.js';
import { formatMonitorError, loadMonitorFile } from './monitorFile.js';

const HEAD = `model: m1
baseline: { trailing: 7d }
features: { amount: numeric }
schedule: '*/15 * * * *'
window: 1h
checks:
  - { metric: psi, features: all, warn: 0.1, critical: 0.25 }
`;

function load(tail: string) {
  const dir = tempDir('driftwatch-alertfile-');
  const file = path.join(dir, 'm1.yaml');
  fs.writeFileSync(file, HEAD + tail);
  const result = loadMonitorFile(file);
  fs.rmSync(dir, { recursive: true, force: true });
  return result.ok
    ? { plan: result.plan, errors: [] as string[] }
    : {
        plan: null,
        errors: result.errors.map((e) => formatMonitorError(e).replace(`${file}:`, '')),
      };
}

const NO_RECEIVERS = { pagerduty: null, teams: null, alertmanager: null };

describe('the alerts and webhooks of a monitor file', () => {
  it('plan the lifecycle, routes and webhooks with their defaults', () => {
    const { plan, errors } = load(`alerts:
  for: 2
  resolve_after: 3
  cooldown: 6h
  group: per_alert
  routes:
    - { severity: critical, slack: '#ml', email: [a@example.com], webhook: retrain }
    - { severity: warn, slack: '#drift', group: digest }
webhooks:
  retrain: { url: 'https://ci.example.com/h', secret_env: [OLD_SECRET, NEW_SECRET], after_windows: 2, min_interval: 1d }
  gha: { preset: github_actions, repository: acme/models, token_env: GITHUB_TOKEN }
  af: { preset: airflow, url: 'https://airflow.example.com/', dag_id: retrain_m1, token_env: AIRFLOW_TOKEN, severities: [critical] }
`);
    expect(errors).toEqual([]);
    expect(plan?.alerting).toEqual({
      forWindows: 2,
      resolveAfterWindows: 3,
      repeatIntervalMs: 6 * 3_600_000,
      sendResolved: true,
      routes: [
        {
          severity: 'critical',
          slack: '#ml',
          email: ['a@example.com'],
          webhook: 'retrain',
          ...NO_RECEIVERS,
          grouping: 'per_alert',
        },
        {
          severity: 'warn',
          slack: '#drift',
          email: [],
          webhook: null,
          ...NO_RECEIVERS,
          grouping: 'digest',
        },
      ],
    });
    const policy = {
      severities: ['warn', 'critical'],
      afterWindows: 1,
      minIntervalMs: 0,
      sendResolved: false,
    };
    expect(plan?.webhooks).toEqual({
      retrain: {
        name: 'retrain',
        preset: 'generic',
        url: 'https://ci.example.com/h',
        secretEnv: ['OLD_SECRET', 'NEW_SECRET'],
        policy: { ...policy, afterWindows: 2, minIntervalMs: 86_400_000 },
      },
      gha: {
        name: 'gha',
        preset: 'github_actions',
        apiUrl: 'https://api.github.com',
        repository: 'acme/models',
        eventType: 'driftwatch-retrain',
        tokenEnv: 'GITHUB_TOKEN',
        policy,
      },
      af: {
        name: 'af',
        preset: 'airflow',
        url: 'https://airflow.example.com',
        dagId: 'retrain_m1',
        apiVersion: 'v2',
        auth: 'bearer',
        tokenEnv: 'AIRFLOW_TOKEN',
        policy: { ...policy, severities: ['critical'] },
      },
    });
    expect(load('').plan?.alerting).toEqual({
      forWindows: 1,
      resolveAfterWindows: 1,
      repeatIntervalMs: 4 * 3_600_000,
      sendResolved: true,
      routes: [],
    });
  });

  it('name what is wrong with a route or a webhook, where it is', () => {
    expect(
      load(`alerts:
  routes:
    - { severity: critical, webhook: nowhere }
    - { severity: warn }
`).errors,
    ).toEqual([
      '10:38: alerts.routes[0].webhook: "nowhere" is not defined under webhooks',
      '11:7: alerts.routes[1]: a route needs a channel: slack, email, webhook, pagerduty, teams or alertmanager',
    ]);
    expect(load(`alerts:\n  cooldown: 1h\n  repeat_interval: 2h\n`).errors).toEqual([
      '9:13: alerts.cooldown: is the former name of repeat_interval; give one of the two',
    ]);
    expect(load(`webhooks:\n  retrain: { url: 'https://x.example.com' }\n`).errors).toEqual([
      '9:12: webhooks.retrain.secret_env: required field is missing',
    ]);
    expect(
      load(`webhooks:\n  gha: { preset: github_actions, repository: acme, token_env: T }\n`)
        .errors[0],
    ).toMatch(/^9:\d+: webhooks\.gha\.repository: expected .*got "acme"/);
    expect(load(`alerts:\n  for: 0\n`).errors).toEqual(['9:8: alerts.for: must be >= 1, got 0']);
  });
});
