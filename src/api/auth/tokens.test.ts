import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  createToken,
  createTokenVerifier,
  mayPostFor,
  parseTokenEntry,
  roleGrants,
} from './tokens.js';

describe('API tokens', () => {
  it('are random, prefixed, and configured only by their SHA-256', () => {
    const a = createToken('read', 'alice');
    const b = createToken('read', 'alice');
    expect(a.token).not.toBe(b.token);
    expect(a.token).toMatch(/^dw_[A-Za-z0-9_-]{43}$/);
    const sha = createHash('sha256').update(a.token).digest('hex');
    expect(a.line).toBe(`read:${sha}:alice`);
    expect(a.line).not.toContain(a.token);
  });

  it('verify against every configured hash and give the role and name', () => {
    const admin = createToken('admin', 'root');
    const reader = createToken('read', 'bob');
    const verify = createTokenVerifier([admin.entry, reader.entry]);
    expect(verify(reader.token)).toEqual({ role: 'read', name: 'bob' });
    expect(verify(admin.token)).toEqual({ role: 'admin', name: 'root' });
    expect(verify(`${reader.token}x`)).toBeUndefined();
    expect(verify('')).toBeUndefined();
  });

  it('parse config entries and name what is wrong', () => {
    const sha = 'a'.repeat(64);
    expect(parseTokenEntry(`operator:${sha}:oncall`, 'x')).toEqual({
      ok: true,
      entry: { role: 'operator', sha256: sha, name: 'oncall' },
    });
    expect(parseTokenEntry(`read:${sha}`, 'token-3')).toMatchObject({ entry: { name: 'token-3' } });
    expect(parseTokenEntry(`root:${sha}`, 'x')).toMatchObject({
      ok: false,
      message: expect.stringMatching(/role "root"/),
    });
    expect(parseTokenEntry('read:dw_plaintexttoken', 'x')).toMatchObject({
      ok: false,
      message: expect.stringMatching(/SHA-256/),
    });
  });

  it('grant each role what it may reach', () => {
    expect(roleGrants('ingest', 'ingest')).toBe(true);
    expect(roleGrants('ingest', 'read')).toBe(false);
    expect(roleGrants('read', 'operate')).toBe(false);
    expect(roleGrants('operator', 'operate')).toBe(true);
    expect(roleGrants('operator', 'admin')).toBe(false);
    expect(roleGrants('metrics', 'metrics')).toBe(true);
    expect(roleGrants('metrics', 'read')).toBe(false);
  });

  it('scope an ingest token to models, and leave entries without a scope for every model', () => {
    const sha = 'b'.repeat(64);
    expect(parseTokenEntry(`ingest:${sha}:producer:a:models=fraud-detector+team-a-*`, 'x')).toEqual(
      {
        ok: true,
        entry: {
          role: 'ingest',
          sha256: sha,
          name: 'producer:a',
          models: ['fraud-detector', 'team-a-*'],
        },
      },
    );
    expect(parseTokenEntry(`ingest:${sha}:models=m1`, 'token-2')).toEqual({
      ok: true,
      entry: { role: 'ingest', sha256: sha, name: 'token-2', models: ['m1'] },
    });
    expect(parseTokenEntry(`ingest:${sha}:producer`, 'x')).toEqual({
      ok: true,
      entry: { role: 'ingest', sha256: sha, name: 'producer' },
    });
    expect(parseTokenEntry(`admin:${sha}:root:models=m1`, 'x')).toEqual({
      ok: false,
      message: 'models= scopes ingest tokens only, not admin',
    });
    expect(parseTokenEntry(`ingest:${sha}:p:models=a b`, 'x')).toMatchObject({ ok: false });
    expect(parseTokenEntry(`ingest:${sha}:p:models=`, 'x')).toEqual({
      ok: false,
      message: 'models= names no model',
    });
    const scoped = createToken('ingest', 'p', ['m1', 'team-*']);
    expect(scoped.line).toMatch(/^ingest:[0-9a-f]{64}:p:models=m1\+team-\*$/);
    expect(createTokenVerifier([scoped.entry])(scoped.token)).toEqual({
      role: 'ingest',
      name: 'p',
      models: ['m1', 'team-*'],
    });
    const principal = { models: ['m1', 'team-*'] };
    expect(['m1', 'team-x', 'team-'].map((m) => mayPostFor(principal, m))).toEqual([
      true,
      true,
      true,
    ]);
    expect(['m2', 'm1x', 'tea'].map((m) => mayPostFor(principal, m))).toEqual([
      false,
      false,
      false,
    ]);
    expect(mayPostFor({}, 'anything')).toBe(true);
  });
});
