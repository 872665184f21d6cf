import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  LOCAL_RECEIVERS_ENV,
  eventually,
  startWebhookReceiver,
  type WebhookReceiver,
} from '../helpers/alertReceivers.js';
import { runCli } from '../helpers/cli.js';
import { exited, seedAlertRuns, startServe, type RunningService } from '../helpers/serve.js';
import { tempDir } from '../helpers/store.js';

/**
 * The service as a user runs it (`driftwatch serve`, a child process on its own data
 * directory), killed with SIGKILL in the middle of delivering and started again: every
 * notification arrives, none is processed twice by a receiver that deduplicates by
 * webhook-id, and a receiver that never recovers leaves a dead notification that /metrics
 * and the CLI show. Then the alert commands on what it left behind.
 */
const SECRET = `whsec_${Buffer.from('restart test secret, 32 bytes...').toString('base64')}`;
const WINDOWS = 30;
const WINDOW_MS = 30 * 60_000;

describe('alert delivery across a SIGKILL', () => {
  const dir = tempDir('driftwatch-alerts-restart-');
  const monitorsDir = path.join(dir, 'monitors');
  let receiver: WebhookReceiver;
  let env: Record<string, string>;
  let running: RunningService | undefined;
  const firstEnd = new Date(
    Math.floor(Date.now() / WINDOW_MS) * WINDOW_MS - (WINDOWS + 1) * WINDOW_MS,
  );

  beforeAll(async () => {
    receiver = await startWebhookReceiver([SECRET]);
    receiver.delayMs = 80;
    receiver.failAlways(500, '/dead-end');
    fs.mkdirSync(monitorsDir);
    // A repeat every window: each of the 30 breaching windows owes the sink one trigger.
    fs.writeFileSync(
      path.join(monitorsDir, 'restart-model.yaml'),
      `model: restart-model
baseline: { trailing: 7d }
features: { amount: numeric }
schedule: '0 0 1 1 *'
window: 30m
checks:
  - { metric: psi, features: all, warn: 0.1, critical: 0.25 }
alerts:
  repeat_interval: 30m
  routes:
    - { severity: warn, webhook: sink }
    - { severity: warn, webhook: dead-end }
webhooks:
  sink: { url: '${receiver.url}/sink', secret_env: SINK_SECRET }
  dead-end: { url: '${receiver.url}/dead-end', secret_env: SINK_SECRET, min_interval: 1w }
`,
    );
    env = {
      DRIFTWATCH_DATA_DIR: path.join(dir, 'data'),
      DRIFTWATCH_MONITORS_DIR: monitorsDir,
      DRIFTWATCH_PORT: '0',
      SINK_SECRET: SECRET,
      ...LOCAL_RECEIVERS_ENV,
      DRIFTWATCH_ALERTS_MAX_ATTEMPTS: '3',
      DRIFTWATCH_ALERTS_RETRY_BASE_MS: '50',
      DRIFTWATCH_ALERTS_RETRY_MAX_MS: '200',
      DRIFTWATCH_ALERTS_POLL_MS: '50',
    };
    const seeded = await seedAlertRuns({
      dataDir: env.DRIFTWATCH_DATA_DIR ?? '',
      monitorFile: path.join(monitorsDir, 'restart-model.yaml'),
      firstEnd,
      count: WINDOWS,
    });
    expect(seeded).toBe(0);
  }, 120_000);

  afterAll(async () => {
    if (running && running.child.exitCode === null) {
      running.child.kill('SIGKILL');
      await exited(running.child);
    }
    await receiver.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('delivers every notification once to a deduplicating receiver, after a SIGKILL mid-delivery', async () => {
    const sink = () => receiver.requests.filter((request) => request.path === '/sink');
    running = await startServe(env);
    await eventually(() => receiver.processed.size >= 8, 'the first deliveries', 60_000);
    running.child.kill('SIGKILL');
    await exited(running.child);
    const atKill = new Set(sink().map((request) => request.id)).size;
    // killed in the middle: some delivered, most not yet
    expect(atKill).toBeLessThan(WINDOWS);

    running = await startServe(env);
    await eventually(
      () =>
        new Set(
          sink()
            .filter((r) => r.status === 200)
            .map((r) => r.id),
        ).size === WINDOWS,
      'every notification after the restart',
      60_000,
    );
    const accepted = sink().filter((request) => request.status === 200);
    // every request was signed and verified; one id per window, each processed once
    expect(sink().every((request) => request.verification.ok)).toBe(true);
    const windows = [...new Set(accepted.map((request) => request.id))].map(
      (id) => (receiver.processed.get(id) as { data: { window: { end: string } } }).data.window.end,
    );
    expect(windows.sort()).toEqual(
      Array.from({ length: WINDOWS }, (_, i) =>
        new Date(firstEnd.getTime() + i * WINDOW_MS).toISOString(),
      ),
    );
    // at most the one in flight when the process died was sent again (same webhook-id)
    expect(accepted.length - WINDOWS).toBeLessThanOrEqual(1);

    // the receiver that never recovers: dead after its attempts, counted in /metrics beside
    // the delivered ones (each attempt is recorded just after the receiver answered it)
    const scrape = async () => (await fetch(`${running?.address}/metrics`)).text();
    await eventually(async () => {
      const text = await scrape();
      return (
        /driftwatch_alert_notifications\{status="dead"\} 1\n/.test(text) &&
        new RegExp(`driftwatch_alert_notifications\\{status="delivered"\\} ${WINDOWS}\n`).test(text)
      );
    }, 'the delivered and dead notifications in /metrics');
    // three attempts recorded; a fourth request only if the kill fell between one and its record
    const deadEnd = receiver.requests.filter((request) => request.path === '/dead-end').length;
    expect(deadEnd).toBeGreaterThanOrEqual(3);
    expect(deadEnd).toBeLessThanOrEqual(4);

    running.child.kill('SIGTERM');
    await exited(running.child);
    expect(running.child.exitCode).toBe(0);
    expect(running.stderr()).not.toContain(SECRET.slice(6));
  }, 180_000);

  it('shows the dead notification and the alert on the command line', async () => {
    const dead = await runCli(['alerts', '--dead'], env);
    expect(dead.status).toBe(0);
    expect(dead.stdout).toMatch(
      /msg_[0-9a-f]{32} +webhook:dead-end +trigger +restart-model +\S+ +3 +webhook "dead-end" answered HTTP 500/,
    );
    const list = await runCli(['alerts', '--state', 'all'], env);
    expect(list.stdout).toMatch(
      /^[0-9a-f]{32} +firing +warn +restart-model +psi +amount +channel=web /m,
    );
    expect(list.stdout).toMatch(/1 notification\(s\) dead: see `driftwatch alerts --dead`/);
  });

  it('acknowledges and silences with who and why, and shows the audit trail', async () => {
    const listed = JSON.parse((await runCli(['alerts', '--json'], env)).stdout) as {
      alerts: { alert_id: string }[];
    };
    const alertId = listed.alerts[0]?.alert_id ?? '';
    const ack = await runCli(
      ['alerts', 'ack', alertId, '--by', 'ana', '--reason', 'retraining started'],
      env,
    );
    expect(ack.stderr).toBe('');
    expect(ack.stdout).toMatch(/acknowledged by ana, episode 1/);
    const show = await runCli(['alerts', 'show', alertId], env);
    expect(show.stdout).toMatch(/acknowledged episode 1 by ana at \S+: retraining started/);
    expect(show.stdout).toMatch(/firing +inactive +firing +warn +warn/);
    expect(show.stdout.match(/ repeated /g)).toHaveLength(WINDOWS - 1);
    const silence = await runCli(
      [
        'alerts',
        'silence',
        '--model',
        'restart-model',
        '--slice',
        'web',
        '--for',
        '4h',
        '--reason',
        'known upstream change',
        '--by',
        'bo',
      ],
      env,
    );
    expect(silence.stdout).toMatch(/^sil_[0-9a-f]{16}: model=restart-model slice=web until /);
    const silences = await runCli(['alerts', 'silences'], env);
    expect(silences.stdout).toMatch(
      /sil_[0-9a-f]{16} +model=restart-model slice=web +\S+ +\S+ +bo +known upstream change/,
    );
    const unknown = await runCli(['alerts', 'ack', 'nope', '--by', 'ana'], env);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/no alert "nope"/);
  });

  it('sends a test notification through each route and says how each went', async () => {
    const before = receiver.requests.length;
    const result = await runCli(['alerts', 'test', '--model', 'restart-model'], env);
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(/^webhook:sink +delivered$/m);
    expect(result.stdout).toMatch(
      /^webhook:dead-end +dead: webhook "dead-end" answered HTTP 500$/m,
    );
    const tests = receiver.requests.slice(before).filter((request) => request.path === '/sink');
    expect(tests.map((request) => (JSON.parse(request.body) as { type: string }).type)).toEqual([
      'driftwatch.test',
    ]);
    expect(tests[0]?.verification).toEqual({ ok: true });
  });

  it('verifies a received webhook, and rejects a tampered body and a stale timestamp', async () => {
    const request = receiver.requests.find((r) => r.path === '/sink' && r.status === 200);
    const bodyFile = path.join(dir, 'body.json');
    fs.writeFileSync(bodyFile, request?.body ?? '');
    const args = (timestamp: string, file = bodyFile) => [
      'webhook',
      'verify',
      '--id',
      String(request?.headers['webhook-id']),
      '--timestamp',
      timestamp,
      '--signature',
      String(request?.headers['webhook-signature']),
      '--secret-env',
      'SINK_SECRET',
      '--body-file',
      file,
      '--tolerance',
      '3600',
    ];
    const timestamp = String(request?.headers['webhook-timestamp']);
    const valid = await runCli(args(timestamp), env);
    expect([valid.status, valid.stdout.trim()]).toEqual([0, 'valid']);
    const tampered = path.join(dir, 'tampered.json');
    fs.writeFileSync(tampered, (request?.body ?? '').replace('restart-model', 'restart-modek'));
    const bad = await runCli(args(timestamp, tampered), env);
    expect([bad.status, bad.stdout.trim()]).toEqual([1, 'invalid: bad_signature']);
    const stale = await runCli(args(String(Number(timestamp) - 7200)), env);
    expect([stale.status, stale.stdout.trim()]).toEqual([1, 'invalid: stale_timestamp']);
  });

  it('warns at validate, and refuses to start, when a webhook secret is not set', async () => {
    const unset = { ...env, SINK_SECRET: '' };
    const validate = await runCli(['validate', monitorsDir], unset);
    expect(validate.status).toBe(0);
    expect(validate.stderr).toContain(
      `${path.join(monitorsDir, 'restart-model.yaml')}: warning: webhooks.sink.secret_env: SINK_SECRET is not set (the service refuses to start without it)`,
    );
    const serve = await runCli(['serve'], unset);
    expect(serve.status).toBe(2);
    expect(serve.stderr).toMatch(/webhooks\.sink\.secret_env: SINK_SECRET is not set/);
  });
});
