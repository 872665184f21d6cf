import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../test/helpers/store.js';
import { loadMonitorAccessConfig } from '../config/config.js';
import { formatMonitorError, loadMonitorFile } from './monitorFile.js';

// What this test's operator exposes to monitor files (DRIFTWATCH_MONITOR_SECRETS).
const ACCESS = loadMonitorAccessConfig({
  DRIFTWATCH_MONITOR_SECRETS: 'PD_KEY,PD_EU_KEY,TEAMS_URL,AM_TOKEN,AM_PASSWORD,PD_SHORT_KEY',
});

const HEAD = `model: m1
baseline: { trailing: 7d }
features: { amount: numeric }
schedule: '*/15 * * * *'
window: 1h
checks:
  - { metric: psi, features: all, warn: 0.1, critical: 0.25 }
`;

function load(tail: string) {
  const dir = tempDir('driftwatch-receivers-');
  const file = path.join(dir, 'm1.yaml');
  fs.writeFileSync(file, HEAD + tail);
  const result = loadMonitorFile(file, { access: ACCESS });
  fs.rmSync(dir, { recursive: true, force: true });
  return result.ok
    ? { plan: result.plan, errors: [] as string[] }
    : {
        plan: null,
        errors: result.errors.map((e) => formatMonitorError(e).replace(`${file}:`, '')),
      };
}

describe('the on-call receivers of a monitor file (pagerduty, teams, alertmanager)', () => {
  it('plans each receiver with its defaults, and routes that name them', () => {
    const { plan, errors } = load(`alerts:
  routes:
    - { severity: critical, pagerduty: oncall }
    - { severity: warn, teams: ml-channel, alertmanager: main }
pagerduty:
  oncall: { routing_key_env: PD_KEY }
  eu: { routing_key_env: PD_EU_KEY, url: 'https://events.eu.pagerduty.com/v2/enqueue' }
teams:
  ml-channel: { url_env: TEAMS_URL }
alertmanager:
  main: { url: 'https://am.example.com/prefix/', bearer_token_env: AM_TOKEN }
  basic: { url: 'https://am2.example.com', basic_auth: { username: dw, password_env: AM_PASSWORD } }
  open: { url: 'http://am3.example.com:9093' }
`);
    expect(errors).toEqual([]);
    expect(
      plan?.alerting?.routes.map(({ pagerduty, teams, alertmanager }) => ({
        pagerduty,
        teams,
        alertmanager,
      })),
    ).toEqual([
      { pagerduty: 'oncall', teams: null, alertmanager: null },
      { pagerduty: null, teams: 'ml-channel', alertmanager: 'main' },
    ]);
    expect(plan?.receivers).toEqual({
      pagerduty: {
        oncall: {
          name: 'oncall',
          url: 'https://events.pagerduty.com/v2/enqueue',
          routingKeyEnv: 'PD_KEY',
        },
        eu: {
          name: 'eu',
          url: 'https://events.eu.pagerduty.com/v2/enqueue',
          routingKeyEnv: 'PD_EU_KEY',
        },
      },
      teams: { 'ml-channel': { name: 'ml-channel', urlEnv: 'TEAMS_URL' } },
      alertmanager: {
        main: {
          name: 'main',
          url: 'https://am.example.com/prefix',
          auth: { kind: 'bearer', tokenEnv: 'AM_TOKEN' },
        },
        basic: {
          name: 'basic',
          url: 'https://am2.example.com',
          auth: { kind: 'basic', username: 'dw', passwordEnv: 'AM_PASSWORD' },
        },
        open: { name: 'open', url: 'http://am3.example.com:9093', auth: { kind: 'none' } },
      },
    });
  });

  it('names a route to an undeclared receiver, and a malformed receiver, where it is', () => {
    expect(
      load(`alerts:
  routes:
    - { severity: critical, pagerduty: nowhere, teams: nobody }
    - { severity: warn, alertmanager: none }
`).errors,
    ).toEqual([
      '10:40: alerts.routes[0].pagerduty: "nowhere" is not defined under pagerduty',
      '10:56: alerts.routes[0].teams: "nobody" is not defined under teams',
      '11:39: alerts.routes[1].alertmanager: "none" is not defined under alertmanager',
    ]);
    expect(load(`pagerduty:\n  oncall: { url: 'https://x.example.com' }\n`).errors).toEqual([
      '9:11: pagerduty.oncall.routing_key_env: required field is missing',
    ]);
    // A Teams URL is a secret: the file names the variable, never the URL.
    expect(load(`teams:\n  t: { url: 'https://x.example.com' }\n`).errors.join('\n')).toMatch(
      /teams\.t/,
    );
    expect(load(`alertmanager:\n  a: { url: 'ftp://am.example.com' }\n`).errors.join('\n')).toMatch(
      /alertmanager\.a\.url/,
    );
    expect(
      load(
        `alertmanager:\n  a: { url: 'https://am.example.com', bearer_token_env: T, basic_auth: { username: u, password_env: P } }\n`,
      ).errors,
    ).toHaveLength(1);
  });

  it("refuses what a receiver may not reach: the service's own settings, credentials in a URL", () => {
    expect(
      load(`pagerduty:
  p: { routing_key_env: SLACK_BOT_TOKEN, url: 'https://u:pw@events.example.com/v2/enqueue' }
alertmanager:
  a: { url: 'https://am.example.com', bearer_token_env: DRIFTWATCH_EXPORT_SIGNING_KEY }
`).errors,
    ).toEqual([
      "9:25: pagerduty.p.routing_key_env: SLACK_BOT_TOKEN is one of the service's own settings (SLACK_*): a monitor file may never name it",
      "11:57: alertmanager.a.bearer_token_env: DRIFTWATCH_EXPORT_SIGNING_KEY is one of the service's own settings (DRIFTWATCH_*): a monitor file may never name it",
      '9:47: pagerduty.p.url: credentials in a URL (user:password@) are refused: they would be stored and shown with it; use secret_env or token_env',
    ]);
    const refused = load(`pagerduty:
  p: { routing_key_env: NOT_EXPOSED, url: 'http://169.254.169.254/latest' }
alertmanager:
  a: { url: 'http://127.0.0.1:9093' }
`).errors;
    expect(refused).toHaveLength(3);
    expect(refused[0]).toMatch(
      /^9:25: pagerduty\.p\.routing_key_env: NOT_EXPOSED is not exposed to monitor files/,
    );
    expect(refused[1]).toMatch(/^9:43: pagerduty\.p\.url: 169\.254\.169\.254 is a link-local/);
    expect(refused[2]).toMatch(
      /^11:13: alertmanager\.a\.url: 127\.0\.0\.1 is this machine \(loopback\)/,
    );
  });
});
