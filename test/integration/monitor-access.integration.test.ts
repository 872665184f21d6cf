import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSigningKey } from '../../src/exports/signing.js';
import { openStore } from '../../src/store/clickhouse.js';
import { migrate } from '../../src/store/migrate.js';
import { insertOutbox, recordDeliveryAttempt } from '../../src/store/outbox.js';
import { REPO_ROOT, runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/store.js';

/**
 * What a monitor file may reach, through the real CLI as an operator runs it, with a real
 * HTTP listener on loopback capturing whatever a webhook sends: a monitor file (another
 * team's pull request) names only the secrets the operator exposed, never the service's own
 * settings, and calls only the destinations the operator allows. Stored errors, dead
 * notifications and exports carry no URL credentials.
 */
interface Capture {
  url: string;
  requests: { path: string; authorization: string }[];
  close(): Promise<void>;
}

async function startCapture(): Promise<Capture> {
  const requests: Capture['requests'] = [];
  const server = http.createServer((request, response) => {
    requests.push({
      path: request.url ?? '',
      authorization: String(request.headers.authorization ?? ''),
    });
    request.resume();
    request.on('end', () => {
      response.writeHead(204);
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const HEAD = `baseline: { trailing: 7d }
features: { amount: numeric }
schedule: '*/15 * * * *'
window: 1h
checks:
  - { metric: psi, features: all, warn: 0.1, critical: 0.25 }
`;

/** `line:column` of a text's first occurrence in a file, found independently of the code. */
function at(file: string, needle: string): string {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const line = lines.findIndex((text) => text.includes(needle));
  return `${line + 1}:${(lines[line] ?? '').indexOf(needle) + 1}`;
}

/** The service's own secrets, as an operator's environment holds them. */
const SERVICE_SECRETS = {
  DRIFTWATCH_EXPORT_SIGNING_KEY: generateSigningKey().privateKey,
  SLACK_BOT_TOKEN: 'xoxb-1111-2222-servicetoken',
  CLICKHOUSE_PASSWORD: 'clickhouse-password-of-the-service',
};

describe('what a monitor file may reach', () => {
  let capture: Capture;
  const dir = tempDir('driftwatch-monitor-access-');
  const monitorsDir = path.join(dir, 'monitors');
  const env = (extra: Record<string, string> = {}) => ({
    DRIFTWATCH_DATA_DIR: path.join(dir, 'data'),
    DRIFTWATCH_MONITORS_DIR: monitorsDir,
    DRIFTWATCH_MONITOR_SECRETS: '',
    DRIFTWATCH_WEBHOOK_ALLOW_LOOPBACK: '',
    DRIFTWATCH_WEBHOOK_HOSTS: '',
    ...SERVICE_SECRETS,
    ...extra,
  });
  const writeMonitor = (name: string, text: string) => {
    fs.rmSync(monitorsDir, { recursive: true, force: true });
    fs.mkdirSync(monitorsDir, { recursive: true });
    const file = path.join(monitorsDir, `${name}.yaml`);
    fs.writeFileSync(file, `model: ${name}\n${HEAD}${text}`);
    return file;
  };

  beforeAll(async () => {
    capture = await startCapture();
  });
  afterAll(async () => {
    await capture.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("sends none of the service's settings anywhere: validate names the rule, alerts test sends nothing", async () => {
    const file = writeMonitor(
      'thief',
      `alerts:
  routes:
    - { severity: warn, webhook: key }
    - { severity: warn, webhook: slack }
    - { severity: warn, webhook: clickhouse }
webhooks:
  key: { preset: github_actions, repository: a/b, api_url: '${capture.url}', token_env: DRIFTWATCH_EXPORT_SIGNING_KEY }
  slack: { preset: airflow, url: '${capture.url}', dag_id: d, token_env: SLACK_BOT_TOKEN }
  clickhouse: { preset: github_actions, repository: a/b, api_url: '${capture.url}', token_env: CLICKHOUSE_PASSWORD }
`,
    );
    // even with loopback allowed (as for the tests' receivers): the secret rule alone refuses
    const validate = await runCli(
      ['validate', monitorsDir],
      env({ DRIFTWATCH_WEBHOOK_ALLOW_LOOPBACK: 'true' }),
    );
    expect(validate.status).toBe(2);
    expect(validate.stderr.split('\n').filter((line) => line.startsWith(file))).toEqual([
      `${file}:${at(file, 'DRIFTWATCH_EXPORT')}: webhooks.key.token_env: DRIFTWATCH_EXPORT_SIGNING_KEY is one of the service's own settings (DRIFTWATCH_*): a monitor file may never name it`,
      `${file}:${at(file, 'SLACK_BOT')}: webhooks.slack.token_env: SLACK_BOT_TOKEN is one of the service's own settings (SLACK_*): a monitor file may never name it`,
      `${file}:${at(file, 'CLICKHOUSE_PASSWORD')}: webhooks.clickhouse.token_env: CLICKHOUSE_PASSWORD is one of the service's own settings (CLICKHOUSE_*): a monitor file may never name it`,
    ]);
    const test = await runCli(
      ['alerts', 'test', '--model', 'thief', '--timeout', '10'],
      env({ DRIFTWATCH_WEBHOOK_ALLOW_LOOPBACK: 'true' }),
    );
    expect(test.status).toBe(2);
    expect(test.stderr).toMatch(
      /the monitor file is invalid: .*DRIFTWATCH_EXPORT_SIGNING_KEY is one of the service's own settings/,
    );
    expect(capture.requests).toEqual([]);
    for (const value of Object.values(SERVICE_SECRETS))
      expect(test.stdout + test.stderr + validate.stderr).not.toContain(value);
  });

  it('sends a secret the operator exposed, to a destination the operator allows', async () => {
    writeMonitor(
      'exposed',
      `alerts:
  routes:
    - { severity: warn, webhook: ci }
webhooks:
  ci: { preset: github_actions, repository: acme/models, api_url: '${capture.url}', token_env: CI_TOKEN }
`,
    );
    const secrets = { CI_TOKEN: 'ci-token-exposed-on-purpose' };
    const closed = await runCli(['validate', monitorsDir], env(secrets));
    expect(closed.stderr).toContain(
      'webhooks.ci.token_env: CI_TOKEN is not exposed to monitor files: the operator lists the variables monitor files may name in DRIFTWATCH_MONITOR_SECRETS (it is unset: none)',
    );
    expect(closed.stderr).toContain(
      `webhooks.ci.api_url: 127.0.0.1 is this machine (loopback): webhooks may call it only with DRIFTWATCH_WEBHOOK_ALLOW_LOOPBACK=true`,
    );
    const open = env({
      ...secrets,
      DRIFTWATCH_MONITOR_SECRETS: 'CI_*',
      DRIFTWATCH_WEBHOOK_ALLOW_LOOPBACK: 'true',
    });
    expect((await runCli(['validate', monitorsDir], open)).status).toBe(0);
    const test = await runCli(['alerts', 'test', '--model', 'exposed', '--timeout', '20'], open);
    expect(test.stdout).toMatch(/webhook:ci\s+delivered/);
    expect(capture.requests.at(-1)).toEqual({
      path: '/repos/acme/models/dispatches',
      authorization: 'Bearer ci-token-exposed-on-purpose',
    });
  });

  it('calls http(s) URLs only, never link-local or metadata addresses, each refusal located', async () => {
    const file = writeMonitor(
      'schemes',
      `webhooks:
  a: { url: 'file:///etc/passwd', secret_env: RETRAIN_SECRET }
  b: { url: 'gopher://127.0.0.1:6379/_FLUSHALL', secret_env: RETRAIN_SECRET }
  c: { url: 'javascript:alert(1)', secret_env: RETRAIN_SECRET }
  d: { url: 'data:text/plain,hello', secret_env: RETRAIN_SECRET }
  e: { url: 'http://169.254.169.254/latest/meta-data/iam/security-credentials/', secret_env: RETRAIN_SECRET }
  f: { url: 'https://ci.example.com/h', secret_env: RETRAIN_SECRET }
`,
    );
    const result = await runCli(
      ['validate', monitorsDir],
      env({ DRIFTWATCH_MONITOR_SECRETS: 'RETRAIN_SECRET', RETRAIN_SECRET: 'whsec_eA==' }),
    );
    expect(result.status).toBe(2);
    expect(result.stderr.split('\n').filter((line) => line.startsWith(file))).toEqual([
      `${file}:${at(file, "'file:")}: webhooks.a.url: expected an http:// or https:// URL, got "file:///etc/passwd"`,
      `${file}:${at(file, "'gopher:")}: webhooks.b.url: expected an http:// or https:// URL, got "gopher://127.0.0.1:6379/_FLUSHALL"`,
      `${file}:${at(file, "'javascript:")}: webhooks.c.url: expected an http:// or https:// URL, got "javascript:alert(1)"`,
      `${file}:${at(file, "'data:")}: webhooks.d.url: expected an http:// or https:// URL, got "data:text/plain,hello"`,
    ]);
    // schema errors come first; with those fixed, the address rule
    const metadata = writeMonitor(
      'metadata',
      `webhooks:\n  e: { url: 'http://169.254.169.254/latest/meta-data/', secret_env: RETRAIN_SECRET }\n`,
    );
    const second = await runCli(
      ['validate', monitorsDir],
      env({
        DRIFTWATCH_MONITOR_SECRETS: 'RETRAIN_SECRET',
        DRIFTWATCH_WEBHOOK_ALLOW_LOOPBACK: 'true',
      }),
    );
    expect(second.stderr).toContain(
      `${metadata}:${at(metadata, "'http://169")}: webhooks.e.url: 169.254.169.254 is a link-local, cloud metadata or non-unicast address: webhooks never call those\n`,
    );
  });

  it('keeps URL credentials out of stored errors, dead notifications and exports', async () => {
    writeMonitor('leaky', '');
    const dataDir = path.join(dir, 'data');
    // a dead notification as an earlier version stored it: the receiver's URL in its error
    const leaked =
      'webhook "x" unreachable: Request cannot be constructed from a URL that includes credentials: http://alice:hunter2@ci.example.com/h?token=s3cr3t&run=7';
    const store = await openStore({ kind: 'embedded', dataDir, database: 'driftwatch' });
    await migrate(store);
    const end = new Date('2026-12-01T10:00:00Z');
    await insertOutbox(store, [
      {
        id: 'msg_leaky',
        destination: 'webhook:x',
        channel: 'webhook',
        kind: 'trigger',
        monitor: 'leaky',
        model: 'leaky',
        severity: 'critical',
        windowStart: new Date(end.getTime() - 3_600_000),
        windowEnd: end,
        alertIds: [],
        events: [],
        message: JSON.stringify({ type: 'alerts', model: 'leaky', items: [] }),
      },
    ]);
    await recordDeliveryAttempt(store, {
      outboxId: 'msg_leaky',
      attempt: 1,
      status: 'dead',
      error: leaked,
      responseStatus: null,
      nextAttemptAt: null,
      durationMs: 3,
      attemptedAt: end,
    });
    await store.close();

    const dead = await runCli(['alerts', '--dead', '--json'], env());
    expect(dead.status).toBe(0);
    // the API's fields (the CLI answers in the API's vocabulary)
    expect(JSON.parse(dead.stdout)).toMatchObject([
      {
        notification_id: 'msg_leaky',
        status: 'dead',
        last_error:
          'webhook "x" unreachable: Request cannot be constructed from a URL that includes credentials: http://[redacted]@ci.example.com/h?token=[redacted]&run=7',
      },
    ]);
    const table = await runCli(['alerts', '--dead'], env());
    const out = path.join(dir, 'export');
    const exported = await runCli(
      [
        'export',
        '--from',
        '2026-12-01T00:00:00Z',
        '--to',
        '2026-12-02T00:00:00Z',
        '--format',
        'jsonl',
        '--out',
        out,
      ],
      env(),
    );
    expect(exported.stderr).toBe('');
    const files = fs.readdirSync(out).map((name) => fs.readFileSync(path.join(out, name), 'utf8'));
    expect(files.join('\n')).toContain('msg_leaky');
    for (const text of [dead.stdout, table.stdout, ...files])
      for (const secret of ['alice', 'hunter2', 's3cr3t']) expect(text).not.toContain(secret);
  });

  it('reads baselines for `alerts test` under DRIFTWATCH_BASELINE_ROOTS, as the service does', async () => {
    // outside the monitors directory's parent (the default root): only the setting allows it
    const roots = tempDir('driftwatch-training-');
    fs.copyFileSync(
      path.join(REPO_ROOT, 'baselines/churn-model.csv'),
      path.join(roots, 'churn.csv'),
    );
    fs.rmSync(monitorsDir, { recursive: true, force: true });
    fs.mkdirSync(monitorsDir, { recursive: true });
    fs.writeFileSync(
      path.join(monitorsDir, 'rooted.yaml'),
      `model: rooted
baseline: { file: ${path.join(roots, 'churn.csv')} }
features: { monthly_charges: numeric }
schedule: '*/15 * * * *'
window: 1h
checks:
  - { metric: psi, features: all, warn: 0.1, critical: 0.25 }
alerts:
  routes:
    - { severity: warn, webhook: ci }
webhooks:
  ci: { preset: github_actions, repository: acme/rooted, api_url: '${capture.url}', token_env: CI_TOKEN }
`,
    );
    const service = env({
      DRIFTWATCH_BASELINE_ROOTS: roots,
      DRIFTWATCH_MONITOR_SECRETS: 'CI_TOKEN',
      DRIFTWATCH_WEBHOOK_ALLOW_LOOPBACK: 'true',
      CI_TOKEN: 'ci-token',
    });
    expect((await runCli(['validate', monitorsDir], service)).status).toBe(0);
    const test = await runCli(['alerts', 'test', '--model', 'rooted', '--timeout', '20'], service);
    expect(test.stderr).toBe('');
    expect(test.stdout).toMatch(/webhook:ci\s+delivered/);
    expect(capture.requests.at(-1)?.path).toBe('/repos/acme/rooted/dispatches');
    // and the other way: a root that excludes the file refuses it for alerts test too
    const excluded = await runCli(['alerts', 'test', '--model', 'rooted'], {
      ...service,
      DRIFTWATCH_BASELINE_ROOTS: monitorsDir,
    });
    expect(excluded.status).toBe(2);
    expect(excluded.stderr).toMatch(/is outside the allowed baseline roots/);
    fs.rmSync(roots, { recursive: true, force: true });
  });
});
