import { errorMessage } from '../../errors.js';
import type { MonitorAccess } from '../../monitors/monitorAccess.js';
import { parseRetryAfter } from '../backoff.js';
import type { NotificationLinks } from '../render/text.js';
import { failure, type Delivery, type SendOutcome } from './channel.js';
import { postWithinAccess, type ResolveHost } from './guardedRequest.js';

/**
 * One JSON POST to a receiver over HTTP, as the on-call channels (PagerDuty, Teams,
 * Alertmanager) send it, and what its answer means for the outbox. A redirect is followed
 * only within its origin (307/308); any other is final: the body and the credentials go
 * only where the monitor file said.
 */
export interface JsonPost {
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
}

export type PostAnswer =
  | {
      kind: 'answered';
      status: number;
      /** A header of the answer, or null. */
      header: (name: string) => string | null;
      /** The start of the answer's body (a receiver's reason for a 400). */
      body: string;
    }
  /** Refused before a byte was sent (the destination is not allowed). */
  | { kind: 'refused'; reason: string };

export type PostJson = (request: JsonPost) => Promise<PostAnswer>;

/** What every on-call channel is built from; `Target` is its receiver as declared. */
export interface ReceiverChannelOptions<Target> {
  /** The receiver a delivery goes to, with its secrets; null: no longer declared. */
  resolve: (monitor: string, name: string) => Target | { missing: string } | null;
  timeoutMs: number;
  /** Links for the model, or null when the service's public URL is not configured. */
  links: (model: string) => NotificationLinks | null;
  /** What monitor files may reach (config.alerts.monitorAccess): checked before each request. */
  access: MonitorAccess;
  /** Resolves host names at connect time (tests stand in for DNS); default: the system's. */
  resolveHost?: ResolveHost;
  /** Replaces the guarded POST (tests). */
  post?: PostJson;
  now?: () => Date;
}

/**
 * The receiver a delivery names, or the final failure that it is no longer declared or its
 * secret is missing (retrying would not change either).
 */
export function receiverOf<Target extends object>(
  options: ReceiverChannelOptions<Target>,
  delivery: Delivery,
  what: string,
): { target: Target } | { outcome: SendOutcome } {
  const target = options.resolve(delivery.monitor, delivery.target);
  if (target === null)
    return {
      outcome: failure(`${what} is no longer declared by monitor ${delivery.monitor}`, false),
    };
  if ('missing' in target) return { outcome: failure(`${what}: ${target.missing}`, false) };
  return { target };
}

/**
 * The POST monitor files may make: within what the operator lets them reach (guardedRequest:
 * http(s), no link-local or metadata address, the host allow-list, checked again on the
 * addresses the host resolves to at connect time), and redirects only within the origin.
 */
export function postWithinMonitorAccess(
  access: MonitorAccess,
  options: { secretQuery?: boolean; resolveHost?: ResolveHost } = {},
): PostJson {
  return async (request) => {
    const answer = await postWithinAccess({
      ...request,
      access,
      ...(options.secretQuery ? { secretQuery: true } : {}),
      ...(options.resolveHost ? { resolve: options.resolveHost } : {}),
    });
    if (answer.kind === 'refused') return answer;
    return {
      kind: 'answered',
      status: answer.status,
      header: (name) => {
        const value = answer.headers[name.toLowerCase()];
        return (Array.isArray(value) ? value[0] : value) ?? null;
      },
      body: answer.body,
    };
  };
}

/** How one receiver's answers differ from the common rule. */
export interface SendRules {
  /** A 409 means the receiver already has it (a preset's idempotent trigger). */
  conflictMeansDelivered?: boolean;
  /** Never quote the answer's body in an error (a customer's endpoint may echo anything). */
  quietBody?: boolean;
}

/**
 * Sends and classifies, as PagerDuty's and Alertmanager's documentation say to: 2xx is
 * delivered; 408, 429 and 5xx, timeouts and network errors are retried (Retry-After
 * honoured); a redirect, a refused destination and any other 4xx are final, with the
 * receiver's reason when it gave one. `what` names the receiver in errors: the URL never
 * appears (a Teams URL is a secret).
 */
export async function sendJson(
  post: PostJson,
  request: JsonPost,
  what: string,
  now: () => Date,
  rules: SendRules = {},
): Promise<SendOutcome> {
  let answer: PostAnswer;
  try {
    answer = await post(request);
  } catch (error) {
    const name = (error as Error).name;
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const code = cause?.code ?? (error as { code?: string }).code ?? cause?.message;
    const reason =
      name === 'TimeoutError' || name === 'AbortError'
        ? `timed out after ${request.timeoutMs} ms`
        : (code ?? errorMessage(error));
    return failure(`${what} unreachable: ${reason}`, true);
  }
  if (answer.kind === 'refused') return failure(`${what} refused: ${answer.reason}`, false);
  const status = answer.status;
  if (status >= 200 && status < 300) return { ok: true, responseStatus: status };
  if (status === 409 && rules.conflictMeansDelivered) return { ok: true, responseStatus: status };
  if (status >= 300 && status < 400)
    return failure(`${what} answered HTTP ${status}: redirects are not followed`, false, {
      responseStatus: status,
    });
  const retriable = status === 408 || status === 429 || status >= 500;
  const retryAfterMs = retriable ? parseRetryAfter(answer.header('retry-after'), now()) : undefined;
  const reason = retriable || rules.quietBody ? '' : reasonOf(answer.body);
  return failure(`${what} answered HTTP ${status}${reason ? `: ${reason}` : ''}`, retriable, {
    responseStatus: status,
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
  });
}

/** A receiver's reason for refusing, in one line: PagerDuty's `message` and `errors`, or the text. */
function reasonOf(body: string): string {
  const text = body.trim();
  if (text === '') return '';
  try {
    const parsed = JSON.parse(text) as { message?: unknown; errors?: unknown };
    const parts = [
      typeof parsed.message === 'string' ? parsed.message : '',
      ...(Array.isArray(parsed.errors) ? parsed.errors.map(String) : []),
    ].filter(Boolean);
    if (parts.length > 0) return parts.join('; ').slice(0, 300);
  } catch {
    // not JSON: the text itself (Alertmanager answers a 400 with a plain string)
  }
  return text.replace(/\s+/g, ' ').slice(0, 300);
}
