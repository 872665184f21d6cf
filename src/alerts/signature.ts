import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Standard Webhooks (https://www.standardwebhooks.com) signatures, with Node's crypto:
 *
 *   webhook-id:        the notification's id (the same on every retry: receivers dedupe by it)
 *   webhook-timestamp: unix seconds of this attempt
 *   webhook-signature: v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">
 *
 * keyed with the base64-decoded part of a `whsec_<base64>` secret. While a secret is being
 * rotated, every configured secret signs and the header lists the signatures separated by
 * spaces; a receiver accepts the request if any of them matches one of its secrets.
 * Receivers use `verifyWebhookSignature` (exported for them, and `driftwatch webhook verify`).
 */
export const SIGNATURE_VERSION = 'v1';
/** A receiver refuses timestamps further than this from its clock (replay protection). */
export const DEFAULT_TOLERANCE_SECONDS = 5 * 60;

export interface SignedContent {
  id: string;
  /** Unix seconds. */
  timestamp: number;
  body: string;
}

export type SecretProblem = 'not_whsec' | 'not_base64' | 'empty';

/** The HMAC key of a `whsec_<base64>` secret. Never quotes the secret in its errors. */
export function secretKey(
  secret: string,
): { ok: true; key: Buffer } | { ok: false; problem: SecretProblem } {
  const trimmed = secret.trim();
  if (!trimmed.startsWith('whsec_')) return { ok: false, problem: 'not_whsec' };
  const encoded = trimmed.slice('whsec_'.length);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) return { ok: false, problem: 'not_base64' };
  const key = Buffer.from(encoded, 'base64');
  if (key.length === 0) return { ok: false, problem: 'empty' };
  return { ok: true, key };
}

/** Secrets as an environment variable may hold them: one, or several separated by spaces. */
export function splitSecrets(value: string | undefined): string[] {
  return (value ?? '').split(/\s+/).filter(Boolean);
}

function sign(key: Buffer, content: SignedContent): string {
  return createHmac('sha256', key)
    .update(`${content.id}.${content.timestamp}.${content.body}`)
    .digest('base64');
}

/** The `webhook-signature` header value: `v1,<sig>` per secret, space-separated. */
export function signWebhook(content: SignedContent, secrets: readonly string[]): string {
  if (secrets.length === 0) throw new Error('no webhook secret to sign with');
  return secrets
    .map((secret, index) => {
      const key = secretKey(secret);
      if (!key.ok)
        throw new Error(`webhook secret ${index + 1} is not whsec_<base64> (${key.problem})`);
      return `${SIGNATURE_VERSION},${sign(key.key, content)}`;
    })
    .join(' ');
}

export interface WebhookHeaders {
  'webhook-id'?: string;
  'webhook-timestamp'?: string;
  'webhook-signature'?: string;
}

export type VerifyResult =
  | { ok: true }
  | {
      ok: false;
      reason:
        | 'missing_headers'
        | 'bad_timestamp'
        | 'stale_timestamp'
        | 'future_timestamp'
        | 'no_valid_secret'
        | 'bad_signature';
    };

/**
 * Checks a received webhook: headers present, timestamp within the tolerance of `now`, and
 * one of the listed signatures made by one of the receiver's secrets over the exact bytes
 * received. Comparisons are constant-time.
 */
export function verifyWebhookSignature(
  headers: WebhookHeaders,
  body: string,
  secrets: readonly string[],
  options: { now?: Date; toleranceSeconds?: number } = {},
): VerifyResult {
  const id = headers['webhook-id'];
  const timestampText = headers['webhook-timestamp'];
  const signatures = headers['webhook-signature'];
  if (!id || !timestampText || !signatures) return { ok: false, reason: 'missing_headers' };
  if (!/^\d+$/.test(timestampText)) return { ok: false, reason: 'bad_timestamp' };
  const timestamp = Number(timestampText);
  const now = Math.floor((options.now ?? new Date()).getTime() / 1000);
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  if (timestamp < now - tolerance) return { ok: false, reason: 'stale_timestamp' };
  if (timestamp > now + tolerance) return { ok: false, reason: 'future_timestamp' };
  const keys = secrets.map(secretKey).flatMap((key) => (key.ok ? [key.key] : []));
  if (keys.length === 0) return { ok: false, reason: 'no_valid_secret' };
  const offered = signatures
    .split(' ')
    .map((part) => part.split(','))
    .filter(([version, value]) => version === SIGNATURE_VERSION && value)
    .map(([, value]) => Buffer.from(value ?? '', 'base64'));
  for (const key of keys) {
    const expected = Buffer.from(sign(key, { id, timestamp, body }), 'base64');
    if (
      offered.some(
        (candidate) => candidate.length === expected.length && timingSafeEqual(candidate, expected),
      )
    )
      return { ok: true };
  }
  return { ok: false, reason: 'bad_signature' };
}
