import { describe, expect, it } from 'vitest';
import { secretKey, signWebhook, splitSecrets, verifyWebhookSignature } from './signature.js';

// The test vector published with the Standard Webhooks reference libraries.
const SPEC = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};
const AT_SPEC_TIME = new Date(SPEC.timestamp * 1000);

function headers(signature: string, id = SPEC.id, timestamp = String(SPEC.timestamp)) {
  return { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': signature };
}

describe('Standard Webhooks signatures', () => {
  it('reproduce the specification test vector', () => {
    expect(
      signWebhook({ id: SPEC.id, timestamp: SPEC.timestamp, body: SPEC.body }, [SPEC.secret]),
    ).toBe(SPEC.signature);
  });

  it('sign with every secret while rotating, and either verifies', () => {
    const next = 'whsec_' + Buffer.from('the next secret, 32 bytes long!!').toString('base64');
    const header = signWebhook({ id: SPEC.id, timestamp: SPEC.timestamp, body: SPEC.body }, [
      SPEC.secret,
      next,
    ]);
    expect(header.split(' ')).toEqual([
      SPEC.signature,
      expect.stringMatching(/^v1,[A-Za-z0-9+/]+=*$/),
    ]);
    for (const secret of [SPEC.secret, next])
      expect(
        verifyWebhookSignature(headers(header), SPEC.body, [secret], { now: AT_SPEC_TIME }),
      ).toEqual({
        ok: true,
      });
  });

  it('accept the genuine request within the tolerance', () => {
    const later = new Date(AT_SPEC_TIME.getTime() + 299_000);
    expect(
      verifyWebhookSignature(headers(SPEC.signature), SPEC.body, [SPEC.secret], { now: later }),
    ).toEqual({
      ok: true,
    });
  });

  it('reject a tampered body, a stale or future timestamp, a wrong secret, missing headers', () => {
    const verify = (
      h: Record<string, string>,
      body = SPEC.body,
      secrets = [SPEC.secret],
      now = AT_SPEC_TIME,
    ) => verifyWebhookSignature(h, body, secrets, { now });
    expect(verify(headers(SPEC.signature), '{"test": 2432232315}')).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
    expect(
      verify(
        headers(SPEC.signature),
        SPEC.body,
        [SPEC.secret],
        new Date(AT_SPEC_TIME.getTime() + 301_000),
      ),
    ).toEqual({
      ok: false,
      reason: 'stale_timestamp',
    });
    expect(
      verify(
        headers(SPEC.signature),
        SPEC.body,
        [SPEC.secret],
        new Date(AT_SPEC_TIME.getTime() - 301_000),
      ),
    ).toEqual({
      ok: false,
      reason: 'future_timestamp',
    });
    // the timestamp is signed: moving it forward breaks the signature
    expect(verify(headers(SPEC.signature, SPEC.id, String(SPEC.timestamp + 1)))).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
    expect(verify(headers(SPEC.signature, 'msg_other'))).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
    expect(
      verify(headers(SPEC.signature), SPEC.body, [
        'whsec_' + Buffer.from('another').toString('base64'),
      ]),
    ).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
    expect(verify(headers('v2,' + SPEC.signature.slice(3)))).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
    expect(verify({ 'webhook-id': SPEC.id })).toEqual({ ok: false, reason: 'missing_headers' });
    expect(verify(headers(SPEC.signature, SPEC.id, '16e8'))).toEqual({
      ok: false,
      reason: 'bad_timestamp',
    });
  });

  it('refuse secrets that are not whsec_<base64> without quoting them', () => {
    expect(secretKey('hunter2')).toEqual({ ok: false, problem: 'not_whsec' });
    expect(secretKey('whsec_not base64!')).toEqual({ ok: false, problem: 'not_base64' });
    expect(() => signWebhook({ id: 'a', timestamp: 1, body: '' }, ['hunter2'])).toThrow(
      /secret 1 is not whsec_<base64> \(not_whsec\)/,
    );
    try {
      signWebhook({ id: 'a', timestamp: 1, body: '' }, ['hunter2']);
    } catch (error) {
      expect((error as Error).message).not.toContain('hunter2');
    }
    expect(splitSecrets(' whsec_a  whsec_b\n')).toEqual(['whsec_a', 'whsec_b']);
  });
});
