import { describe, expect, it } from 'vitest';
import { loadMonitorAccessConfig } from '../config/config.js';
import { addressProblem, destinationProblem, secretNameProblem } from './monitorAccess.js';

const closed = loadMonitorAccessConfig({});
const demo = loadMonitorAccessConfig({
  DRIFTWATCH_MONITOR_SECRETS: 'RETRAIN_*, CI_TOKEN',
  DRIFTWATCH_WEBHOOK_ALLOW_LOOPBACK: 'true',
});

describe('the secrets a monitor file may name', () => {
  it('are the ones the operator exposed, by name or prefix', () => {
    expect(secretNameProblem('RETRAIN_SECRET', demo)).toBeNull();
    expect(secretNameProblem('RETRAIN_NEXT', demo)).toBeNull();
    expect(secretNameProblem('CI_TOKEN', demo)).toBeNull();
    expect(secretNameProblem('CI_TOKEN_2', demo)).toMatch(
      /^CI_TOKEN_2 is not exposed to monitor files: .*DRIFTWATCH_MONITOR_SECRETS \(it holds RETRAIN_\*,CI_TOKEN\)$/,
    );
    expect(secretNameProblem('AWS_SECRET_ACCESS_KEY', demo)).toMatch(/not exposed/);
    expect(secretNameProblem('RETRAIN_SECRET', closed)).toMatch(/\(it is unset: none\)$/);
  });

  it("are never the service's own settings, whatever the operator's list says", () => {
    for (const name of [
      'DRIFTWATCH_EXPORT_SIGNING_KEY',
      'DRIFTWATCH_TOKENS',
      'SLACK_BOT_TOKEN',
      'CLICKHOUSE_PASSWORD',
      'SMTP_PASSWORD',
      'KAFKA_BROKERS',
    ]) {
      expect(secretNameProblem(name, demo)).toMatch(/one of the service's own settings/);
      expect(secretNameProblem(name, { ...demo, secrets: [name, 'D*', 'S*'] })).toMatch(
        /service's own/,
      );
    }
  });

  it('are declared in a setting that refuses to expose the service itself', () => {
    for (const entry of ['DRIFTWATCH_EXPORT_SIGNING_KEY', 'SLACK_*', 'SMTP*', 'DRIFT*', 'C*']) {
      expect(() => loadMonitorAccessConfig({ DRIFTWATCH_MONITOR_SECRETS: entry })).toThrow(
        /would expose the service's own settings/,
      );
    }
    expect(() => loadMonitorAccessConfig({ DRIFTWATCH_MONITOR_SECRETS: '*' })).toThrow(
      /a bare \* would expose every variable/,
    );
    expect(() => loadMonitorAccessConfig({ DRIFTWATCH_MONITOR_SECRETS: 'A-B' })).toThrow(
      /"A-B" is not a variable name/,
    );
    expect(() => loadMonitorAccessConfig({ DRIFTWATCH_WEBHOOK_HOSTS: 'https://x.com' })).toThrow(
      /DRIFTWATCH_WEBHOOK_HOSTS: "https:\/\/x.com" is not a host name/,
    );
  });
});

describe('the destinations a webhook may call', () => {
  it('are http(s) URLs only', () => {
    for (const url of [
      'file:///etc/passwd',
      'gopher://127.0.0.1:6379/_SET',
      'javascript:alert(1)',
      'data:text/plain,hi',
      'ftp://ci.example.com/x',
    ]) {
      expect(destinationProblem(url, demo)).toMatch(/^only http:\/\/ and https:\/\/ URLs/);
    }
    expect(destinationProblem('https://ci.example.com/hooks/retrain', closed)).toBeNull();
    expect(destinationProblem('http://ci.example.com:8080/x?run=1', closed)).toBeNull();
  });

  it('carry no credentials, and the refusal does not quote them', () => {
    const userinfo = destinationProblem('https://alice:hunter2@ci.example.com/x', closed);
    expect(userinfo).toMatch(/^credentials in a URL/);
    expect(userinfo).not.toContain('hunter2');
    expect(destinationProblem('https://ghp_abc@ci.example.com/x', closed)).toMatch(/credentials/);
    for (const name of ['token', 'access_token', 'api_key', 'apikey', 'sig', 'X-Api-Key']) {
      const problem = destinationProblem(`https://ci.example.com/x?a=1&${name}=s3cr3t`, closed);
      expect(problem).toMatch(`the query parameter "${name}" carries a credential`);
      expect(problem).not.toContain('s3cr3t');
    }
  });

  it('are never link-local or cloud metadata addresses, however they are spelled', () => {
    for (const url of [
      'http://169.254.169.254/latest/meta-data/',
      'http://[::ffff:169.254.169.254]/',
      'http://[::ffff:a9fe:a9fe]/',
      'http://0xa9.0xfe.0xa9.0xfe/',
      'http://2852039166/',
      'http://[fe80::1]/',
      'http://[fd00:ec2::254]/',
      'http://100.100.100.200/',
      'http://0.0.0.0:8080/',
      'http://[::]/',
      'http://224.0.0.1/',
      'http://metadata.google.internal/computeMetadata/v1/',
      'http://METADATA.GOOG./',
    ]) {
      expect({ url, problem: destinationProblem(url, demo) }).toMatchObject({
        problem: expect.stringMatching(/never call/),
      });
    }
  });

  it('reach this machine only where the operator opted in', () => {
    for (const url of [
      'http://127.0.0.1:9/x',
      'http://127.1.2.3/x',
      'http://[::1]:8080/',
      'http://[::ffff:127.0.0.1]/',
      'http://localhost:8080/',
      'http://api.localhost/',
      'http://0x7f.1/',
    ]) {
      expect({ url, problem: destinationProblem(url, closed) }).toMatchObject({
        problem: expect.stringMatching(/DRIFTWATCH_WEBHOOK_ALLOW_LOOPBACK=true/),
      });
      expect(destinationProblem(url, demo)).toBeNull();
    }
  });

  it('are limited to the hosts the operator lists, when it lists any', () => {
    const listed = loadMonitorAccessConfig({
      DRIFTWATCH_WEBHOOK_HOSTS: 'ci.example.com,*.hooks.example.org 10.1.2.3,[FD12::1]',
    });
    expect(destinationProblem('https://ci.example.com/x', listed)).toBeNull();
    expect(destinationProblem('https://CI.Example.com./x', listed)).toBeNull();
    expect(destinationProblem('https://a.b.hooks.example.org/x', listed)).toBeNull();
    expect(destinationProblem('http://10.1.2.3:8080/x', listed)).toBeNull();
    expect(destinationProblem('http://[fd12:0::1]/x', listed)).toBeNull();
    expect(destinationProblem('https://hooks.example.org/x', listed)).toMatch(
      /^hooks.example.org is not among the hosts webhooks may call \(DRIFTWATCH_WEBHOOK_HOSTS=ci.example.com,\*.hooks.example.org,10.1.2.3,\[fd12::1\]\)$/,
    );
    expect(destinationProblem('https://ci.example.com.evil.net/x', listed)).toMatch(/not among/);
    expect(destinationProblem('https://api.github.com/x', listed)).toMatch(/not among/);
    // a listed host is still refused when it is loopback and loopback is not allowed
    expect(
      destinationProblem('http://127.0.0.1/x', { ...listed, webhookHosts: ['127.0.0.1'] }),
    ).toMatch(/loopback/);
  });

  it('are checked again on each resolved address', () => {
    expect(addressProblem('169.254.169.254', demo)).toMatch(/never call/);
    expect(addressProblem('127.0.0.1', closed)).toMatch(/loopback/);
    expect(addressProblem('::1', closed)).toMatch(/loopback/);
    expect(addressProblem('127.0.0.1', demo)).toBeNull();
    expect(addressProblem('10.0.0.5', closed)).toBeNull();
    expect(addressProblem('2001:db8::1', closed)).toBeNull();
  });
});
