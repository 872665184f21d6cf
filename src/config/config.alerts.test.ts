import { describe, expect, it } from 'vitest';
import { DriftwatchError } from '../errors.js';
import { loadAlertsConfig } from './config.js';

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
    const config = loadAlertsConfig({ RETRAIN_SECRET: 'whsec_x' });
    expect(config.readSecret('RETRAIN_SECRET')).toBe('whsec_x');
    expect(config.readSecret('MISSING')).toBeUndefined();
    expect(config.readSecret('__proto__.x')).toBeUndefined();
    expect(config.readSecret('__proto__')).toBeUndefined();
    expect(config.readSecret('constructor')).toBeUndefined();
    expect(JSON.stringify(config)).not.toContain('whsec_x');
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
