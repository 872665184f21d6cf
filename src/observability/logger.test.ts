import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { loggerOptions, redactSecrets } from './logger.js';

function capture(): { lines: string[]; stream: Writable } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  return { lines, stream };
}

describe('the logger', () => {
  it('never writes a secret: fields by path, known shapes in free text', () => {
    const { lines, stream } = capture();
    const log = pino(loggerOptions('info'), stream);
    log.info(
      {
        req: { headers: { authorization: 'Bearer dw_0123456789abcdefXYZ' } },
        webhook: { secret: 'whsec_c2VjcmV0' },
      },
      'posting to https://user:hunter2@ci.example.com/hook with xoxb-123-456-abc',
    );
    const text = lines.join('');
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('dw_0123456789abcdefXYZ');
    expect(text).not.toContain('c2VjcmV0');
    expect(text).not.toContain('xoxb-123-456-abc');
    expect(JSON.parse(text)).toMatchObject({ level: 'info', service: 'driftwatch' });
  });

  it('scrubs free text in log fields too', () => {
    const { lines, stream } = capture();
    const log = pino(loggerOptions('info'), stream);
    log.warn(
      { stage: 'alerts', reason: 'fetch http://bob:hunter2@h/x?token=s3cr3t failed', n: 3 },
      'notification not delivered',
    );
    const line = JSON.parse(lines.join('')) as Record<string, unknown>;
    expect(line).toMatchObject({
      stage: 'alerts',
      reason: 'fetch http://[redacted]@h/x?token=[redacted] failed',
      n: 3,
      msg: 'notification not delivered',
    });
  });

  it('scrubs bearer tokens, URL credentials and credential parameters, webhook secrets, Slack and GitHub tokens from text', () => {
    expect(redactSecrets('Authorization: Bearer abcdefgh12345678')).toBe(
      'Authorization: Bearer [redacted]',
    );
    expect(redactSecrets('http://a:b@host/x')).toBe('http://[redacted]@host/x');
    expect(redactSecrets('smtps://ghp_abcdefghijklmnopqrstu@host')).toBe('smtps://[redacted]@host');
    expect(
      redactSecrets('POST https://h.example/x?run=7&token=s3cr3t&api_key=k3y#frag failed'),
    ).toBe('POST https://h.example/x?run=7&token=[redacted]&api_key=[redacted]#frag failed');
    expect(redactSecrets('ghp_abcdefghijklmnopqrstuvwx and github_pat_11ABCDEFG0123456789')).toBe(
      'ghp_[redacted] and github_pat_[redacted]',
    );
    expect(redactSecrets('key whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw')).toBe(
      'key whsec_[redacted]',
    );
    expect(redactSecrets('nothing secret here')).toBe('nothing secret here');
  });
});
