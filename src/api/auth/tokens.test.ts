import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createToken, createTokenVerifier, parseTokenEntry, roleGrants } from './tokens.js';

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
});
