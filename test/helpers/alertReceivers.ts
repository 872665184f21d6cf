import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { verifyWebhookSignature, type VerifyResult } from '../../src/alerts/signature.js';
import { loadMonitorAccessConfig } from '../../src/config/config.js';

/**
 * The real protocols, on loopback, for the alert tests: an SMTP server receiving what
 * nodemailer sends, a stand-in for Slack's Web API (the only thing we do not own, stubbed
 * at its HTTP boundary), and a webhook receiver that verifies signatures and deduplicates
 * by webhook-id as the README tells receivers to.
 */

/**
 * What the operator of a test exposes to its monitor files: the secrets the tests name, and
 * this machine, where the receivers below listen (DRIFTWATCH_WEBHOOK_ALLOW_LOOPBACK).
 */
export const LOCAL_RECEIVERS_ENV = {
  DRIFTWATCH_MONITOR_SECRETS: 'TEST_SECRET,RETRAIN_SECRET,SINK_SECRET',
  DRIFTWATCH_WEBHOOK_ALLOW_LOOPBACK: 'true',
} as const;

export const LOCAL_RECEIVERS_ACCESS = loadMonitorAccessConfig(LOCAL_RECEIVERS_ENV);

// ---- SMTP ----

export interface SmtpCatcher {
  url: string;
  port: number;
  mails: ParsedMail[];
  /** Refuse the next N messages with this SMTP code (451: try later; 550: never). */
  refuseNext(count: number, code: number): void;
  close(): Promise<void>;
}

export async function startSmtpCatcher(): Promise<SmtpCatcher> {
  const mails: ParsedMail[] = [];
  let refusals: { left: number; code: number } = { left: 0, code: 451 };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, _session, callback) {
      simpleParser(stream)
        .then((mail) => {
          if (refusals.left > 0) {
            refusals.left -= 1;
            const error = Object.assign(new Error('mailbox busy, try later'), {
              responseCode: refusals.code,
            });
            callback(error);
            return;
          }
          mails.push(mail);
          callback();
        })
        .catch((error: Error) => callback(error));
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return {
    url: `smtp://127.0.0.1:${port}`,
    port,
    mails,
    refuseNext(count, code) {
      refusals = { left: count, code };
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

// ---- Slack's Web API ----

export interface SlackCall {
  at: number;
  method: string;
  authorization: string;
  channel: string;
  text: string;
  blocks: unknown[];
}

export interface SlackReply {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

export interface SlackStub {
  /** slackApiUrl: https://slack.com/api/ in production. */
  apiUrl: string;
  /** Every call received, including refused ones. */
  calls: SlackCall[];
  /** Replies for the next calls, in order; afterwards every call succeeds. */
  script(replies: SlackReply[]): void;
  close(): Promise<void>;
}

export async function startSlackStub(): Promise<SlackStub> {
  const calls: SlackCall[] = [];
  let replies: SlackReply[] = [];
  const server = http.createServer((request, response) => {
    let raw = '';
    request.on('data', (chunk: Buffer) => (raw += chunk.toString('utf8')));
    request.on('end', () => {
      const form = new URLSearchParams(raw);
      const fields: Record<string, string> = request.headers['content-type']?.includes('json')
        ? (JSON.parse(raw) as Record<string, string>)
        : Object.fromEntries(form.entries());
      calls.push({
        at: Date.now(),
        method: (request.url ?? '').replace(/^\/api\//, ''),
        authorization: String(request.headers.authorization ?? ''),
        channel: String(fields.channel ?? ''),
        text: String(fields.text ?? ''),
        blocks: typeof fields.blocks === 'string' ? (JSON.parse(fields.blocks) as unknown[]) : [],
      });
      const reply = replies.shift() ?? {
        status: 200,
        body: { ok: true, channel: fields.channel, ts: `${Date.now() / 1000}` },
      };
      response.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
      response.end(JSON.stringify(reply.body ?? { ok: false, error: 'ratelimited' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    apiUrl: `http://127.0.0.1:${port}/api/`,
    calls,
    script(next) {
      replies = [...next];
    },
    close: () => closeServer(server),
  };
}

// ---- webhooks ----

export interface ReceivedWebhook {
  at: number;
  path: string;
  id: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  verification: VerifyResult;
  /** What the receiver answered. */
  status: number;
}

export interface WebhookReceiver {
  url: string;
  /** Every request, in arrival order (duplicates included). */
  requests: ReceivedWebhook[];
  /** Bodies accepted once each: verified, and first time this webhook-id was seen. */
  processed: Map<string, unknown>;
  /** Answer the next N requests (to paths starting with `path`) with this status. */
  failNext(count: number, status?: number, path?: string): void;
  /** Answer every request (to paths starting with `path`) with this status; null: back to normal. */
  failAlways(status: number | null, path?: string): void;
  /** Wait this long before answering each request. */
  delayMs: number;
  close(): Promise<void>;
}

export async function startWebhookReceiver(secrets: string[]): Promise<WebhookReceiver> {
  const requests: ReceivedWebhook[] = [];
  const processed = new Map<string, unknown>();
  const failures = new Map<string, { left: number; status: number }>();
  const always = new Map<string, number>();
  const rule = <T>(rules: Map<string, T>, path: string) =>
    [...rules.entries()].find(([prefix]) => path.startsWith(prefix));
  const receiver: WebhookReceiver = {
    url: '',
    requests,
    processed,
    failNext(count, status = 500, path = '/') {
      failures.set(path, { left: count, status });
    },
    failAlways(status, path = '/') {
      if (status === null) always.delete(path);
      else always.set(path, status);
    },
    delayMs: 0,
    close: async () => undefined,
  };
  const server = http.createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (body += chunk));
    request.on('end', () => {
      const headers = request.headers;
      const verification = verifyWebhookSignature(
        {
          'webhook-id': header(headers['webhook-id']),
          'webhook-timestamp': header(headers['webhook-timestamp']),
          'webhook-signature': header(headers['webhook-signature']),
        },
        body,
        secrets,
      );
      const path = request.url ?? '';
      const failing = rule(failures, path)?.[1];
      const status =
        rule(always, path)?.[1] ??
        (failing && failing.left > 0
          ? ((failing.left -= 1), failing.status)
          : verification.ok
            ? 200
            : 401);
      const id = header(headers['webhook-id']) ?? '';
      if (status === 200 && !processed.has(id)) processed.set(id, JSON.parse(body));
      requests.push({
        at: Date.now(),
        path: request.url ?? '',
        id,
        headers,
        body,
        verification,
        status,
      });
      setTimeout(() => {
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end('{}');
      }, receiver.delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  receiver.close = () => closeServer(server);
  return receiver;
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function closeServer(server: http.Server): Promise<void> {
  server.closeAllConnections();
  return new Promise<void>((resolve) => server.close(() => resolve()));
}

/** Polls until `done()` holds (deliveries arrive asynchronously); fails with `what`. */
export async function eventually(
  done: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
