import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DriftwatchError } from '../errors.js';
import { isServiceSetting, loadAlertsConfig } from './config.js';

describe('the alerts configuration', () => {
  it('reads channels and delivery settings from the environment, with defaults', () => {
    const config = loadAlertsConfig({ DRIFTWATCH_PORT: '9000' });
    expect(config).toMatchObject({
      publicUrl: 'http://127.0.0.1:9000',
      slack: { token: null, apiUrl: 'https://slack.com/api/' },
      smtp: null,
      emailFrom: 'driftwatch <driftwatch@localhost>',
      delivery: {
        maxAttempts: 10,
        retryBaseMs: 5000,
        retryMaxMs: 600_000,
        timeoutMs: 10_000,
        pollMs: 1000,
      },
    });
    expect(
      loadAlertsConfig({ SMTP_HOST: 'mail', SMTP_USER: 'u', SMTP_PASSWORD: 'p' }).smtp,
    ).toEqual({
      kind: 'host',
      host: 'mail',
      port: 587,
      secure: false,
      user: 'u',
      password: 'p',
    });
    expect(loadAlertsConfig({ SMTP_HOST: 'mail', SMTP_PORT: '465' }).smtp).toMatchObject({
      secure: true,
    });
    expect(loadAlertsConfig({ SMTP_URL: 'smtps://u:p@mail:465' }).smtp).toEqual({
      kind: 'url',
      url: 'smtps://u:p@mail:465',
    });
  });

  it('reads a secret by the name a monitor file gives, and only names that are variable names', () => {
    const config = loadAlertsConfig({
      RETRAIN_SECRET: 'whsec_x',
      DRIFTWATCH_MONITOR_SECRETS: 'RETRAIN_SECRET',
    });
    expect(config.readSecret('RETRAIN_SECRET')).toBe('whsec_x');
    expect(config.readSecret('MISSING')).toBeUndefined();
    expect(config.readSecret('__proto__.x')).toBeUndefined();
    expect(config.readSecret('__proto__')).toBeUndefined();
    expect(config.readSecret('constructor')).toBeUndefined();
    expect(JSON.stringify(config)).not.toContain('whsec_x');
  });

  it("reads only what the operator exposed to monitor files, and never the service's own settings", () => {
    const env = {
      RETRAIN_SECRET: 'whsec_x',
      CI_TOKEN: 'ci',
      AWS_SECRET_ACCESS_KEY: 'aws',
      DRIFTWATCH_EXPORT_SIGNING_KEY: 'signing-key',
      SLACK_BOT_TOKEN: 'xoxb-1',
      CLICKHOUSE_PASSWORD: 'ch',
      SMTP_PASSWORD: 'smtp',
    };
    const closed = loadAlertsConfig(env);
    for (const name of Object.keys(env)) expect(closed.readSecret(name)).toBeUndefined();
    const open = loadAlertsConfig({ ...env, DRIFTWATCH_MONITOR_SECRETS: 'RETRAIN_*,CI_TOKEN' });
    expect(open.readSecret('RETRAIN_SECRET')).toBe('whsec_x');
    expect(open.readSecret('CI_TOKEN')).toBe('ci');
    for (const name of [
      'AWS_SECRET_ACCESS_KEY',
      'DRIFTWATCH_EXPORT_SIGNING_KEY',
      'SLACK_BOT_TOKEN',
      'CLICKHOUSE_PASSWORD',
      'SMTP_PASSWORD',
      'DRIFTWATCH_MONITOR_SECRETS',
    ])
      expect(open.readSecret(name)).toBeUndefined();
    expect(open.monitorAccess).toEqual({
      secrets: ['RETRAIN_*', 'CI_TOKEN'],
      webhookHosts: [],
      allowLoopback: false,
    });
  });

  it("counts every variable this folder reads among the service's own settings", () => {
    const dir = path.dirname(fileURLToPath(import.meta.url));
    const read = new Set<string>();
    for (const file of fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.ts') && !f.includes('.test.')))
      for (const match of fs
        .readFileSync(path.join(dir, file), 'utf8')
        .matchAll(/\benv\.([A-Z][A-Z0-9_]*)|['"]([A-Z][A-Z0-9]*_[A-Z0-9_]+)['"]/g)) {
        const name = match[1] ?? match[2] ?? '';
        if (!name.startsWith('DW_')) read.add(name);
      }
    expect(read).toContain('DRIFTWATCH_EXPORT_SIGNING_KEY'); // the scan finds what it should
    expect(read).toContain('SLACK_BOT_TOKEN');
    expect([...read].filter((name) => !isServiceSetting(name))).toEqual([]);
  });

  it('refuses a malformed number, naming the variable', () => {
    expect(() => loadAlertsConfig({ DRIFTWATCH_ALERTS_MAX_ATTEMPTS: 'many' })).toThrow(
      DriftwatchError,
    );
    expect(() => loadAlertsConfig({ DRIFTWATCH_ALERTS_MAX_ATTEMPTS: '0' })).toThrow(
      'DRIFTWATCH_ALERTS_MAX_ATTEMPTS must be a positive integer, got "0"',
    );
  });
});
