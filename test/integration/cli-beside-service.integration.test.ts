import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  LOCAL_RECEIVERS_ENV,
  eventually,
  startWebhookReceiver,
  type WebhookReceiver,
} from '../helpers/alertReceivers.js';
import { REPO_ROOT, runCli, startCli, type RunningCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/store.js';

/**
 * Issue 18, item 5: every CLI command works while `serve` holds the embedded store, through
 * its API, and answers what the API answers. A real service on its own directory, with
 * alerts firing from seeded runs, a webhook receiver and one that always fails.
 */
const SECRET = `whsec_${Buffer.from('beside the service, 32 bytes....').toString('base64')}`;
const WINDOW_MS = 30 * 60_000;
const WINDOWS = 3;

describe('the CLI beside a running service', () => {
  const dir = tempDir('driftwatch-beside-');
  const monitorsDir = path.join(dir, 'monitors');
  const firstEnd = new Date(
    Math.floor(Date.now() / WINDOW_MS) * WINDOW_MS - (WINDOWS + 1) * WINDOW_MS,
  );
  let receiver: WebhookReceiver;
  let service: RunningCli;
  let url = '';
  let env: Record<string, string>;
  let publicKey = '';

  const api = async <T>(route: string, init?: RequestInit): Promise<T> => {
    const response = await fetch(`${url}${route}`, init);
    expect(response.status, `${route}: ${response.status}`).toBeLessThan(300);
    return (await response.json()) as T;
  };
  const cli = async (args: string[]) => {
    const result = await runCli(args, env);
    expect(result.stderr, args.join(' ')).toBe('');
    return result;
  };
  const json = async <T>(args: string[]): Promise<T> =>
    JSON.parse((await cli([...args, '--json'])).stdout) as T;

  beforeAll(async () => {
    receiver = await startWebhookReceiver([SECRET]);
    receiver.failAlways(500, '/dead-end');
    fs.mkdirSync(monitorsDir);
    const monitorFile = path.join(monitorsDir, 'beside-model.yaml');
    fs.writeFileSync(
      monitorFile,
      `model: beside-model
baseline: { trailing: 7d }
features: { amount: numeric }
schedule: '0 0 1 1 *'
window: 30m
checks:
  - { metric: psi, features: all, warn: 0.1, critical: 0.25 }
alerts:
  routes:
    - { severity: warn, webhook: sink }
    - { severity: warn, webhook: dead-end }
webhooks:
  sink: { url: '${receiver.url}/sink', secret_env: SINK_SECRET }
  dead-end: { url: '${receiver.url}/dead-end', secret_env: SINK_SECRET }
`,
    );
    fs.writeFileSync(
      path.join(dir, 'training.csv'),
      `amount\n${Array.from({ length: 50 }, (_, i) => i).join('\n')}\n`,
    );
    const keys = await runCli(['export', 'keygen']);
    publicKey = /DRIFTWATCH_EXPORT_PUBLIC_KEY=(\S+)/.exec(keys.stdout)?.[1] ?? '';
    env = {
      DRIFTWATCH_DATA_DIR: path.join(dir, 'data'),
      DRIFTWATCH_MONITORS_DIR: monitorsDir,
      DRIFTWATCH_BASELINE_ROOTS: dir,
      DRIFTWATCH_PORT: '0',
      SINK_SECRET: SECRET,
      ...LOCAL_RECEIVERS_ENV, // the receivers listen on loopback; their secret is exposed
      DRIFTWATCH_ALERTS_MAX_ATTEMPTS: '2',
      DRIFTWATCH_ALERTS_RETRY_BASE_MS: '50',
      DRIFTWATCH_ALERTS_RETRY_MAX_MS: '100',
      DRIFTWATCH_ALERTS_POLL_MS: '50',
      DRIFTWATCH_EXPORT_SIGNING_KEY:
        /DRIFTWATCH_EXPORT_SIGNING_KEY=(\S+)/.exec(keys.stdout)?.[1] ?? '',
    };
    const seed = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        path.join(REPO_ROOT, 'test/helpers/seedAlertRuns.ts'),
        env.DRIFTWATCH_DATA_DIR ?? '',
        monitorFile,
        firstEnd.toISOString(),
        String(WINDOWS),
      ],
      { cwd: REPO_ROOT, stdio: ['ignore', 'inherit', 'inherit'] },
    );
    await new Promise((resolve) => seed.once('exit', resolve));
    service = startCli(['serve'], env);
    url = (await service.waitForStderr(/listening on (http:\/\/\S+);/))[1] ?? '';
    // the seeded runs turn into an alert, whose notice to the dead end dies
    await eventually(
      async () => {
        const dead = await api<unknown[]>('/v1/notifications?status=dead');
        return dead.length > 0;
      },
      'a dead notification',
      60_000,
    );
  }, 240_000);

  afterAll(async () => {
    expect(await service.stop()).toBe(0);
    await receiver.close();
  });

  it('lists alerts and dead notifications as the API does', async () => {
    const listed = await json<{ alerts: unknown[]; dead_notifications: number }>([
      'alerts',
      '--state',
      'all',
    ]);
    const page = await api<{ items: unknown[] }>('/v1/alerts');
    expect(listed.alerts).toEqual(page.items);
    expect(listed.alerts).toHaveLength(1);
    const dead = await json<unknown[]>(['alerts', '--dead']);
    expect(dead).toEqual(await api('/v1/notifications?status=dead'));
    expect(listed.dead_notifications).toBe(dead.length);
    const table = await cli(['alerts']);
    expect(table.stdout).toMatch(
      /^[0-9a-f]{32} +firing +warn +beside-model +psi +amount +channel=web /m,
    );
  }, 60_000);

  it('shows and acknowledges an alert by a prefix of its id', async () => {
    const [alert] = (await api<{ items: { alert_id: string }[] }>('/v1/alerts')).items;
    const id = alert?.alert_id ?? '';
    const prefix = id.slice(0, 8);
    expect(await json(['alerts', 'show', prefix])).toEqual(await api(`/v1/alerts/${id}`));
    expect(await api(`/v1/alerts/${prefix}`)).toEqual(await api(`/v1/alerts/${id}`));
    const ack = await cli(['alerts', 'ack', prefix, '--by', 'ana', '--reason', 'on it']);
    expect(ack.stdout).toBe(
      `${id} (beside-model psi amount channel=web) acknowledged by ana, episode 1\n`,
    );
    const detail = await api<{ alert: { acknowledged: unknown } }>(`/v1/alerts/${id}`);
    expect(detail.alert.acknowledged).toMatchObject({
      by: 'ana',
      reason: 'on it',
      comment: 'on it',
    });
    const unknown = await runCli(['alerts', 'show', 'ffffffff'], env);
    expect([unknown.status, unknown.stderr]).toEqual([2, 'driftwatch: no alert "ffffffff"\n']);
    const short = await runCli(['alerts', 'ack', 'ab', '--by', 'ana'], env);
    expect(short.stderr).toBe(
      'driftwatch: alert id "ab" is too short: give at least 4 characters\n',
    );
  }, 60_000);

  it('silences, lists the silences with who, why and until, and ends one', async () => {
    const created = await cli([
      'alerts',
      'silence',
      '--model',
      'beside-model',
      '--slice',
      'web',
      '--for',
      '4h',
      '--reason',
      'known upstream change',
      '--by',
      'bo',
    ]);
    const silenceId = /^(sil_[0-9a-f]{16}): model=beside-model slice=web until \S+$/m.exec(
      created.stdout,
    )?.[1];
    expect(silenceId).toBeDefined();
    const active = await api<{ items: { silence_id: string }[] }>('/v1/silences');
    expect(await json(['alerts', 'silences'])).toEqual(active.items);
    expect(active.items).toEqual([
      expect.objectContaining({
        silence_id: silenceId,
        by: 'bo',
        reason: 'known upstream change',
        slice: 'web',
        active: true,
      }),
    ]);
    // the alert it matches says until when, and which silence covers it (who, why, until)
    const alerts = await api<{
      items: { slice: string; silenced_until: string | null; silences: unknown[] }[];
    }>('/v1/alerts');
    const until = (active.items[0] as unknown as { until: string }).until;
    expect(alerts.items[0]?.silenced_until).toBe(until);
    for (const alert of alerts.items)
      expect(alert.silences).toEqual(
        alert.slice.endsWith('web')
          ? [{ silence_id: silenceId, by: 'bo', reason: 'known upstream change', until }]
          : [],
      );
    // the API takes the old names too: until and comment
    const old = await api<{ reason: string; by: string }>('/v1/silences', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'beside-model',
        until: new Date(Date.now() + 3_600_000).toISOString(),
        comment: 'old field names',
      }),
    });
    expect(old).toMatchObject({
      reason: 'old field names',
      comment: 'old field names',
      by: 'local',
    });
    await cli(['alerts', 'unsilence', silenceId ?? '', '--by', 'bo']);
    const expired = await api<{ items: { silence_id: string; expired_by: string }[] }>(
      '/v1/silences?state=expired',
    );
    expect(expired.items).toEqual([
      expect.objectContaining({ silence_id: silenceId, expired_by: 'bo', active: false }),
    ]);
    expect(await json(['alerts', 'silences', '--all'])).toEqual(
      (await api<{ items: unknown[] }>('/v1/silences?state=all')).items,
    );
    const unknownModel = await runCli(
      ['alerts', 'silence', '--model', 'nobody', '--for', '1h', '--reason', 'x'],
      env,
    );
    expect(unknownModel.stderr).toBe(
      'driftwatch: no monitor for model "nobody" (monitors: beside-model)\n',
    );
  }, 90_000);

  it('sends test notifications through the service, and says how each went', async () => {
    const before = receiver.requests.length;
    const result = await runCli(['alerts', 'test', '--model', 'beside-model'], env);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(/^webhook:sink +delivered$/m);
    expect(result.stdout).toMatch(
      /^webhook:dead-end +dead: webhook "dead-end" answered HTTP 500$/m,
    );
    const tests = receiver.requests
      .slice(before)
      .filter((request) => request.path === '/sink')
      .map((request) => (JSON.parse(request.body) as { type: string }).type);
    expect(tests).toEqual(['driftwatch.test']);
  }, 90_000);

  it('creates baselines through the service, from a file and from a range', async () => {
    const file = await cli([
      'baseline',
      'create',
      '--model',
      'beside-model',
      '--file',
      path.join(dir, 'training.csv'),
    ]);
    expect(file.stdout).toBe('baseline file:training.csv version 1 for beside-model: 50 rows\n');
    const range = await cli([
      'baseline',
      'create',
      '--model',
      'beside-model',
      '--from',
      '2026-11-01T00:00:00Z',
      '--to',
      '2026-11-02T00:00:00Z',
    ]);
    expect(range.stdout).toMatch(
      /^baseline range:2026-11-01T00:00:00.000Z..2026-11-02T00:00:00.000Z version 1 for beside-model: 0 rows\n$/,
    );
    const baselines = await api<{ name: string; row_count: number }[]>(
      '/v1/models/beside-model/baselines',
    );
    expect(baselines.map((b) => [b.name, b.row_count])).toEqual(
      expect.arrayContaining([
        ['file:training.csv', 50],
        ['range:2026-11-01T00:00:00.000Z..2026-11-02T00:00:00.000Z', 0],
      ]),
    );
    // a file outside the baseline roots is refused by the service
    const outside = await runCli(
      ['baseline', 'create', '--model', 'beside-model', '--file', '/etc/hostname'],
      env,
    );
    expect(outside.status).toBe(2);
    expect(outside.stderr).toMatch(/outside the allowed baseline roots/);
  }, 90_000);

  it('exports through the service, signed by it, and the export verifies', async () => {
    const out = path.join(dir, 'export');
    const from = new Date(firstEnd.getTime() - WINDOW_MS).toISOString();
    const to = new Date(firstEnd.getTime() + WINDOWS * WINDOW_MS).toISOString();
    const exported = await cli(['export', '--from', from, '--to', to, '--out', out]);
    expect(exported.stdout).toMatch(/^drift_history\.jsonl +6 records/m);
    expect(exported.stdout).toMatch(/^alert_events\.jsonl +[1-9]\d* records/m);
    const verified = await runCli(['export', 'verify', out, '--public-key', publicKey], env);
    expect(verified.stdout).toMatch(/^OK +\d+ records, chain intact, signature valid$/m);
    expect(verified.status).toBe(0);
  }, 90_000);

  it('status, runs and history answer as the API does', async () => {
    expect(await json(['status'])).toEqual(await api('/v1/status'));
    const runs = await json<unknown[]>(['runs', '--model', 'beside-model']);
    expect(runs).toEqual((await api<{ items: unknown[] }>('/v1/models/beside-model/runs')).items);
    expect(runs).toHaveLength(WINDOWS);
    const history = await json<unknown[]>(['history', '--model', 'beside-model']);
    expect(history).toEqual(
      (await api<{ items: unknown[] }>('/v1/results?model=beside-model&limit=200')).items,
    );
  }, 60_000);
});
