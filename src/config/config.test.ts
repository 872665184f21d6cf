import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createToken } from '../api/auth/tokens.js';
import { checkApiBinding, loadApiConfig, loadConfig, loadStoreConfig } from './config.js';

describe('API access configuration', () => {
  it('reads hashed tokens from DRIFTWATCH_TOKENS and DRIFTWATCH_TOKENS_FILE', () => {
    const a = createToken('ingest', 'producer');
    const b = createToken('read', 'analyst');
    const c = createToken('admin', 'root');
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'dw-tokens-')), 'tokens');
    fs.writeFileSync(file, `# who may call\n${c.line}\n\n`);
    const config = loadApiConfig({
      DRIFTWATCH_TOKENS: `${a.line}, ${b.line}`,
      DRIFTWATCH_TOKENS_FILE: file,
      DRIFTWATCH_INGEST_RATE_LIMIT: '60',
    });
    expect(config.tokens.map((t) => [t.role, t.name])).toEqual([
      ['ingest', 'producer'],
      ['read', 'analyst'],
      ['admin', 'root'],
    ]);
    expect(config.ingestRequestsPerMinute).toBe(60);
  });

  it('names the bad entry', () => {
    expect(() =>
      loadApiConfig({ DRIFTWATCH_TOKENS: `read:${'a'.repeat(64)},admin:secret` }),
    ).toThrow(/DRIFTWATCH_TOKENS entry 2: .*SHA-256/);
  });

  it('binds without tokens to loopback only, and says so', () => {
    const open = loadConfig({ DRIFTWATCH_HOST: '127.0.0.1' });
    expect(checkApiBinding(open)).toMatch(/no API tokens configured.*127\.0\.0\.1/);
    expect(() => checkApiBinding(loadConfig({ DRIFTWATCH_HOST: '0.0.0.0' }))).toThrow(
      /DRIFTWATCH_HOST=0\.0\.0\.0 without API tokens/,
    );
    const guarded = loadConfig({
      DRIFTWATCH_HOST: '0.0.0.0',
      DRIFTWATCH_TOKENS: createToken('admin').line,
    });
    expect(checkApiBinding(guarded)).toMatch(/1 configured/);
  });
});

describe('store configuration', () => {
  it('waits 300 s for a ClickHouse server at start unless DRIFTWATCH_STORE_WAIT_SECONDS says otherwise', () => {
    const server = { CLICKHOUSE_URL: 'http://clickhouse:8123' };
    expect(loadStoreConfig(server)).toMatchObject({ kind: 'server', waitMs: 300_000 });
    expect(loadStoreConfig({ ...server, DRIFTWATCH_STORE_WAIT_SECONDS: '0' })).toMatchObject({
      waitMs: 0,
    });
    expect(loadStoreConfig({ ...server, DRIFTWATCH_STORE_WAIT_SECONDS: '45' })).toMatchObject({
      waitMs: 45_000,
    });
    for (const bad of ['-1', '1.5', 'five', '30s']) {
      expect(() => loadStoreConfig({ ...server, DRIFTWATCH_STORE_WAIT_SECONDS: bad })).toThrow(
        `DRIFTWATCH_STORE_WAIT_SECONDS must be an integer >= 0, got "${bad}"`,
      );
    }
  });

  it('shards over CLICKHOUSE_CLUSTER, acknowledging inserts held by a majority of replicas unless told', () => {
    const server = { CLICKHOUSE_URL: 'http://clickhouse:8123' };
    expect(loadStoreConfig(server)).not.toHaveProperty('cluster');
    expect(loadStoreConfig({ ...server, CLICKHOUSE_CLUSTER: 'dw' })).toMatchObject({
      cluster: { name: 'dw', insertQuorum: 'auto' },
    });
    expect(
      loadStoreConfig({ ...server, CLICKHOUSE_CLUSTER: 'dw', CLICKHOUSE_INSERT_QUORUM: '2' }),
    ).toMatchObject({ cluster: { name: 'dw', insertQuorum: '2' } });
    expect(() => loadStoreConfig({ ...server, CLICKHOUSE_CLUSTER: 'dw; DROP' })).toThrow(
      'CLICKHOUSE_CLUSTER "dw; DROP" is not a plain identifier',
    );
    expect(() =>
      loadStoreConfig({ ...server, CLICKHOUSE_CLUSTER: 'dw', CLICKHOUSE_INSERT_QUORUM: 'most' }),
    ).toThrow('CLICKHOUSE_INSERT_QUORUM must be "auto" or a number of replicas, got "most"');
  });
});

describe('DRIFTWATCH_TRUST_PROXY', () => {
  it('lists the proxies whose X-Forwarded-* are believed: none unless set', () => {
    expect(loadConfig({}).http.trustProxy).toEqual([]);
    expect(
      loadConfig({ DRIFTWATCH_TRUST_PROXY: '10.0.0.5, 10.1.0.0/16,::1,loopback' }).http.trustProxy,
    ).toEqual(['10.0.0.5', '10.1.0.0/16', '::1', 'loopback']);
  });

  it('refuses "trust everyone" and what is not an address, naming the entry', () => {
    for (const entry of ['true', '*', 'proxy.example.com', '10.0.0.0/33']) {
      expect(() => loadConfig({ DRIFTWATCH_TRUST_PROXY: entry })).toThrow(
        `DRIFTWATCH_TRUST_PROXY: "${entry}" is not an IP address, a CIDR range or one of loopback, linklocal, uniquelocal`,
      );
    }
  });
});
