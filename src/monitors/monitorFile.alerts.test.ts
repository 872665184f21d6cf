import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../test/helpers/store.js';
import { loadMonitorAccessConfig } from '../config/config.js';
import type { MonitorAccess } from './monitorAccess.js';
import { formatMonitorError, loadMonitorFile } from './monitorFile.js';

const HEAD = `model: m1
baseline: { trailing: 7d }
features: { amount: numeric }
schedule: '*/15 * * * *'
window: 1h
checks:
  - { metric: psi, features: all, warn: 0.1, critical: 0.25 }
`;

const ACCESS = loadMonitorAccessConfig({
  DRIFTWATCH_MONITOR_SECRETS: 'OLD_SECRET,NEW_SECRET,GITHUB_TOKEN,AIRFLOW_TOKEN,T',
});

function load(tail: string, access: MonitorAccess = ACCESS) {
  const dir = tempDir('driftwatch-alertfile-');
  const file = path.join(dir, 'm1.yaml');
  fs.writeFileSync(file, HEAD + tail);
  const result = loadMonitorFile(file, { access });
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

  it('reach only what the operator exposes: each broken rule at its line and column', () => {
    // the reproduction: a GitHub preset aimed at a local listener with the signing key
    const stolen = load(`webhooks:
  gha:
    preset: github_actions
    repository: acme/models
    api_url: 'http://127.0.0.1:8999'
    token_env: DRIFTWATCH_EXPORT_SIGNING_KEY
`);
    expect(stolen.errors).toEqual([
      '12:14: webhooks.gha.api_url: 127.0.0.1 is this machine (loopback): webhooks may call it only with DRIFTWATCH_WEBHOOK_ALLOW_LOOPBACK=true',
      "13:16: webhooks.gha.token_env: DRIFTWATCH_EXPORT_SIGNING_KEY is one of the service's own settings (DRIFTWATCH_*): a monitor file may never name it",
    ]);
    for (const name of ['SLACK_BOT_TOKEN', 'CLICKHOUSE_PASSWORD', 'SMTP_PASSWORD'])
      expect(
        load(
          `webhooks:\n  h: { url: 'https://ci.example.com/h', secret_env: [OLD_SECRET, ${name}] }\n`,
        ).errors,
      ).toEqual([
        `9:66: webhooks.h.secret_env[1]: ${name} is one of the service's own settings (${name.split('_')[0]}_*): a monitor file may never name it`,
      ]);
    expect(
      load(
        `webhooks:\n  af: { preset: airflow, url: 'https://airflow.example.com', dag_id: d, token_env: AWS_SECRET_ACCESS_KEY }\n`,
      ).errors,
    ).toEqual([
      '9:84: webhooks.af.token_env: AWS_SECRET_ACCESS_KEY is not exposed to monitor files: the operator lists the variables monitor files may name in DRIFTWATCH_MONITOR_SECRETS (it holds OLD_SECRET,NEW_SECRET,GITHUB_TOKEN,AIRFLOW_TOKEN,T)',
    ]);
  });

  it('call http(s) only, without credentials, never link-local or metadata addresses', () => {
    const hook = (url: string) =>
      load(`webhooks:\n  h: { url: '${url}', secret_env: OLD_SECRET }\n`).errors;
    for (const url of [
      'file:///etc/passwd',
      'gopher://10.0.0.1:70/x',
      'javascript:alert(1)',
      'data:text/plain,x',
    ])
      expect(hook(url)).toEqual([
        `9:13: webhooks.h.url: expected an http:// or https:// URL, got "${url}"`,
      ]);
    expect(hook('http://169.254.169.254/latest/meta-data/iam/')).toEqual([
      '9:13: webhooks.h.url: 169.254.169.254 is a link-local, cloud metadata or non-unicast address: webhooks never call those',
    ]);
    expect(hook('http://metadata.google.internal/computeMetadata/v1/')).toEqual([
      '9:13: webhooks.h.url: metadata.google.internal is a cloud metadata service: webhooks never call it',
    ]);
    const credentials = hook('https://alice:hunter2@ci.example.com/h?token=s3cr3t');
    expect(credentials).toEqual([
      '9:13: webhooks.h.url: credentials in a URL (user:password@) are refused: they would be stored and shown with it; use secret_env or token_env',
    ]);
    expect(hook('https://ci.example.com/h?token=s3cr3t')).toEqual([
      '9:13: webhooks.h.url: the query parameter "token" carries a credential: it would be stored and shown with the URL; use secret_env or token_env',
    ]);
    // a schema error quotes the value it refuses: redacted
    const quoted = hook('ftp://bob:hunter2@ci.example.com/h?api_key=s3cr3t');
    expect(quoted).toEqual([
      '9:13: webhooks.h.url: expected an http:// or https:// URL, got "ftp://[redacted]@ci.example.com/h?api_key=[redacted]"',
    ]);
  });

  it("call only the hosts the operator lists, GitHub's default API included", () => {
    const listed = { ...ACCESS, webhookHosts: ['ci.example.com', '*.airflow.example.com'] };
    expect(
      load(
        `webhooks:
  ok: { url: 'https://ci.example.com/h', secret_env: OLD_SECRET }
  af: { preset: airflow, url: 'https://eu.airflow.example.com', dag_id: d, token_env: AIRFLOW_TOKEN }
  elsewhere: { url: 'https://evil.example.net/h', secret_env: OLD_SECRET }
  gha: { preset: github_actions, repository: acme/models, token_env: GITHUB_TOKEN }
`,
        listed,
      ).errors,
    ).toEqual([
      '11:21: webhooks.elsewhere.url: evil.example.net is not among the hosts webhooks may call (DRIFTWATCH_WEBHOOK_HOSTS=ci.example.com,*.airflow.example.com)',
      '12:8: webhooks.gha.api_url (default https://api.github.com): api.github.com is not among the hosts webhooks may call (DRIFTWATCH_WEBHOOK_HOSTS=ci.example.com,*.airflow.example.com)',
    ]);
  });
});
