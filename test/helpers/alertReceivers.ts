import http from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
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
  DRIFTWATCH_MONITOR_SECRETS:
    'TEST_SECRET,RETRAIN_SECRET,SINK_SECRET,PD_KEY,PD_SHORT_KEY,TEAMS_URL,AM_TOKEN,ONCALL_*',
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

// ---- the on-call tools: PagerDuty, Microsoft Teams, Prometheus Alertmanager ----
//
// Each stand-in speaks its service's protocol as documented: it validates every body as the
// service does, answers as it answers (including the 429 and 5xx that callers must retry),
// and keeps the state the service keeps, deduplicating by the service's own key, so a test
// asserts what an on-call person would see there, not what we sent.

/** A reply a test scripts for the next requests (then the stand-in answers as the service). */
export interface ScriptedReply {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

interface JsonRequest {
  at: number;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

interface StandIn {
  url: string;
  script(replies: ScriptedReply[]): void;
  /** Wait this long before answering each request (so a test can kill a sender mid-request). */
  delayMs: number;
  close(): Promise<void>;
}

/** A loopback HTTP server that hands each request's body to `answer`, unless a reply is scripted. */
async function startStandIn(
  answer: (request: JsonRequest) => ScriptedReply,
  onRequest: (request: JsonRequest, reply: ScriptedReply) => void,
): Promise<StandIn> {
  let scripted: ScriptedReply[] = [];
  const standIn: StandIn = {
    url: '',
    script(replies) {
      scripted = [...replies];
    },
    delayMs: 0,
    close: async () => undefined,
  };
  const server = http.createServer((incoming, response) => {
    let body = '';
    incoming.setEncoding('utf8');
    incoming.on('data', (chunk: string) => (body += chunk));
    incoming.on('end', () => {
      const request = { at: Date.now(), path: incoming.url ?? '', headers: incoming.headers, body };
      const reply = scripted.shift() ?? answer(request);
      // The service has it once it answers: recorded (and applied) before the answer leaves.
      onRequest(request, reply);
      setTimeout(() => {
        response.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
        response.end(reply.body ?? '');
      }, standIn.delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  standIn.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  standIn.close = () => closeServer(server);
  return standIn;
}

// PagerDuty Events API v2 (developer.pagerduty.com, "Send an Alert Event" and "Events API v2
// Overview"): POST /v2/enqueue; routing_key (32 characters) and event_action required;
// dedup_key at most 255 characters, required for acknowledge and resolve; a trigger needs
// payload.summary (at most 1024), payload.source and payload.severity (critical, error,
// warning, info); payload.timestamp ISO 8601; links need href; at most 512 KB. 202 with
// {status, message, dedup_key}; 400 with {status, message, errors}; 429 rate limit.

export interface PagerdutyEventReceived extends JsonRequest {
  event: Record<string, unknown>;
  status: number;
  errors: string[];
}

/** One PagerDuty alert, as PagerDuty keeps it: opened by a trigger, closed by a resolve. */
export interface PagerdutyAlert {
  routingKey: string;
  dedupKey: string;
  status: 'triggered' | 'acknowledged' | 'resolved';
  /** The actions applied to it, in order (a repeated trigger is a log entry, not a new alert). */
  log: string[];
  severity: string;
  summary: string;
  payload: Record<string, unknown>;
  links: unknown[];
}

export interface PagerdutyStub extends StandIn {
  /** The enqueue URL, as in `url:` of a pagerduty receiver. */
  enqueueUrl: string;
  events: PagerdutyEventReceived[];
  /** Every alert PagerDuty opened, in order; a trigger after a resolve opens a new one. */
  alerts: PagerdutyAlert[];
  /** Events PagerDuty accepted but dropped (acknowledge/resolve of no open alert). */
  dropped: Record<string, unknown>[];
}

const PD_SEVERITIES = ['critical', 'error', 'warning', 'info'];

export function pagerdutyEventErrors(body: string): string[] {
  if (Buffer.byteLength(body) > 512 * 1024) return ['Event object is larger than 512 KB'];
  let event: Record<string, unknown>;
  try {
    event = JSON.parse(body) as Record<string, unknown>;
  } catch {
    return ['JSON parse error'];
  }
  if (typeof event !== 'object' || event === null || Array.isArray(event))
    return ['Event object format is unrecognized'];
  const errors: string[] = [];
  const key = event.routing_key;
  if (typeof key !== 'string' || key.length !== 32)
    errors.push("'routing_key' is invalid (must be 32 characters)");
  const action = event.event_action;
  if (action !== 'trigger' && action !== 'acknowledge' && action !== 'resolve')
    errors.push("'event_action' is invalid (must be one of trigger, acknowledge, resolve)");
  const dedup = event.dedup_key;
  if (dedup !== undefined && (typeof dedup !== 'string' || dedup.length > 255))
    errors.push("'dedup_key' must be a string of at most 255 characters");
  if (action !== 'trigger' && typeof dedup !== 'string')
    errors.push(`'dedup_key' is required for ${String(action)} events`);
  if (action === 'trigger') {
    const payload = event.payload as Record<string, unknown> | undefined;
    if (typeof payload !== 'object' || payload === null) errors.push("'payload' is missing");
    else {
      if (typeof payload.summary !== 'string' || payload.summary === '')
        errors.push("'payload.summary' is missing");
      else if (payload.summary.length > 1024)
        errors.push("'payload.summary' is longer than 1024 characters");
      if (typeof payload.source !== 'string' || payload.source === '')
        errors.push("'payload.source' is missing");
      if (!PD_SEVERITIES.includes(String(payload.severity)))
        errors.push(
          "'payload.severity' is invalid (must be one of critical, error, warning, info)",
        );
      if (payload.timestamp !== undefined && Number.isNaN(Date.parse(String(payload.timestamp))))
        errors.push("'payload.timestamp' is not an ISO 8601 timestamp");
      if (payload.custom_details !== undefined && typeof payload.custom_details !== 'object')
        errors.push("'payload.custom_details' must be an object");
      for (const field of ['component', 'group', 'class'])
        if (payload[field] !== undefined && typeof payload[field] !== 'string')
          errors.push(`'payload.${field}' must be a string`);
    }
    const links = event.links;
    if (links !== undefined) {
      if (!Array.isArray(links)) errors.push("'links' must be an array");
      else if (links.some((link) => typeof (link as { href?: unknown }).href !== 'string'))
        errors.push("'links[].href' is required");
    }
  }
  return errors;
}

export async function startPagerdutyStub(): Promise<PagerdutyStub> {
  const events: PagerdutyEventReceived[] = [];
  const alerts: PagerdutyAlert[] = [];
  const dropped: Record<string, unknown>[] = [];
  const open = (routingKey: string, dedupKey: string) =>
    alerts.find(
      (alert) =>
        alert.routingKey === routingKey &&
        alert.dedupKey === dedupKey &&
        alert.status !== 'resolved',
    );
  const apply = (event: Record<string, unknown>) => {
    const routingKey = String(event.routing_key);
    const dedupKey = String(event.dedup_key);
    const action = String(event.event_action);
    const alert = open(routingKey, dedupKey);
    if (action !== 'trigger') {
      if (!alert) return dropped.push(event);
      alert.log.push(action);
      alert.status = action === 'acknowledge' ? 'acknowledged' : 'resolved';
      return;
    }
    const payload = event.payload as Record<string, unknown>;
    if (alert) {
      alert.log.push('trigger');
      return;
    }
    alerts.push({
      routingKey,
      dedupKey,
      status: 'triggered',
      log: ['trigger'],
      severity: String(payload.severity),
      summary: String(payload.summary),
      payload,
      links: (event.links as unknown[] | undefined) ?? [],
    });
  };
  const standIn = await startStandIn(
    (request) => {
      if (request.path !== '/v2/enqueue') return { status: 404, body: '{"status":"not found"}' };
      const errors = pagerdutyEventErrors(request.body);
      if (errors.length > 0)
        return {
          status: 400,
          body: JSON.stringify({
            status: 'invalid event',
            message: 'Event object is invalid',
            errors,
          }),
        };
      const event = JSON.parse(request.body) as Record<string, unknown>;
      const dedupKey = typeof event.dedup_key === 'string' ? event.dedup_key : randomKey();
      return {
        status: 202,
        body: JSON.stringify({
          status: 'success',
          message: 'Event processed',
          dedup_key: dedupKey,
        }),
      };
    },
    (request, reply) => {
      let event: Record<string, unknown> = {};
      try {
        event = JSON.parse(request.body) as Record<string, unknown>;
      } catch {
        // recorded as received; the reply said why
      }
      const errors = reply.status === 400 ? pagerdutyEventErrors(request.body) : [];
      events.push({ ...request, event, status: reply.status, errors });
      if (reply.status === 202) apply(event);
    },
  );
  return Object.assign(standIn, {
    enqueueUrl: `${standIn.url}/v2/enqueue`,
    events,
    alerts,
    dropped,
  });
}

function randomKey(): string {
  return Math.random().toString(16).slice(2).padEnd(32, '0');
}

// Microsoft Teams, a Workflows webhook ("When a Teams webhook request is received", then
// "Post card in a chat or channel"): a message whose attachments hold an Adaptive Card. The
// card is parsed and validated with Microsoft's own `adaptivecards` library; Workflows
// answers 202 Accepted.

export interface TeamsPost extends JsonRequest {
  status: number;
  problems: string[];
  card: Record<string, unknown> | null;
}

export interface TeamsStub extends StandIn {
  posts: TeamsPost[];
  /** The cards the channel shows (accepted posts): Teams has no key to drop a resent one by. */
  cards: Record<string, unknown>[];
}

interface AdaptiveCardsModule {
  AdaptiveCard: new () => {
    parse(json: unknown, context: unknown): void;
    validateProperties(): { validationEvents: { message: string }[] };
  };
  SerializationContext: new () => {
    eventCount: number;
    getEventAt(index: number): { message: string };
  };
}

const adaptiveCards = createRequire(import.meta.url)(
  'adaptivecards/dist/adaptivecards.js',
) as AdaptiveCardsModule;

/** What Microsoft's parser and validator find wrong with a card (nothing: []). */
export function adaptiveCardProblems(card: unknown): string[] {
  const problems: string[] = [];
  const content = card as { type?: unknown; version?: unknown };
  if (content?.type !== 'AdaptiveCard') problems.push('content.type must be AdaptiveCard');
  if (typeof content?.version !== 'string') problems.push('content.version is required');
  const parsed = new adaptiveCards.AdaptiveCard();
  const context = new adaptiveCards.SerializationContext();
  parsed.parse(card, context);
  for (let i = 0; i < context.eventCount; i += 1) problems.push(context.getEventAt(i).message);
  for (const event of parsed.validateProperties().validationEvents) problems.push(event.message);
  return problems;
}

export function teamsMessageProblems(body: string): {
  problems: string[];
  card: Record<string, unknown> | null;
} {
  let message: { type?: unknown; attachments?: unknown };
  try {
    message = JSON.parse(body) as typeof message;
  } catch {
    return { problems: ['the body is not JSON'], card: null };
  }
  if (message.type !== 'message') return { problems: ['type must be "message"'], card: null };
  const attachments = message.attachments;
  if (!Array.isArray(attachments) || attachments.length === 0)
    return { problems: ['attachments must hold the card'], card: null };
  const first = attachments[0] as { contentType?: unknown; content?: unknown };
  if (first.contentType !== 'application/vnd.microsoft.card.adaptive')
    return {
      problems: ['attachments[0].contentType must be application/vnd.microsoft.card.adaptive'],
      card: null,
    };
  const card = first.content as Record<string, unknown>;
  const problems = adaptiveCardProblems(card);
  if (Buffer.byteLength(body) > 28 * 1024) problems.push('the message is over 28 KB');
  return { problems, card };
}

export async function startTeamsStub(): Promise<TeamsStub> {
  const posts: TeamsPost[] = [];
  const cards: Record<string, unknown>[] = [];
  const standIn = await startStandIn(
    (request) => {
      const { problems } = teamsMessageProblems(request.body);
      return problems.length > 0
        ? {
            status: 400,
            body: JSON.stringify({
              error: { code: 'InvalidRequestContent', message: problems.join('; ') },
            }),
          }
        : { status: 202, body: '' };
    },
    (request, reply) => {
      const { problems, card } = teamsMessageProblems(request.body);
      posts.push({ ...request, status: reply.status, problems, card });
      if (reply.status === 202 && card) cards.push(card);
    },
  );
  return Object.assign(standIn, { posts, cards });
}

// Prometheus Alertmanager, POST /api/v2/alerts: postableAlerts of api/v2/openapi.yaml
// (an array; each alert: labels, a labelSet of strings, required; annotations a labelSet;
// startsAt and endsAt date-time; generatorURL a URI), then Alertmanager's own checks
// (model.Alert.Validate: labels not empty, names [a-zA-Z_][a-zA-Z0-9_]*, endsAt not before
// startsAt). 200 when accepted; 400 with the reason as a plain string. Alerts are identified
// by their label set (the fingerprint): a repost updates the same alert.

const POSTABLE_ALERTS_SCHEMA = {
  type: 'array',
  items: {
    type: 'object',
    required: ['labels'],
    properties: {
      labels: { type: 'object', additionalProperties: { type: 'string' } },
      annotations: { type: 'object', additionalProperties: { type: 'string' } },
      startsAt: { type: 'string', format: 'date-time' },
      endsAt: { type: 'string', format: 'date-time' },
      generatorURL: { type: 'string', format: 'uri' },
    },
  },
} as const;

const ajv = new Ajv2020({ allErrors: true, strict: false });
addFormats.default(ajv);
const validatePostableAlerts = ajv.compile(POSTABLE_ALERTS_SCHEMA);
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export interface PostedAlert {
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  startsAt?: string;
  endsAt?: string;
  generatorURL?: string;
}

export function postableAlertsProblems(body: string): string[] {
  let alerts: unknown;
  try {
    alerts = JSON.parse(body);
  } catch {
    return ['parsing alerts body: not JSON'];
  }
  if (!validatePostableAlerts(alerts))
    return (validatePostableAlerts.errors ?? []).map(
      (error) => `${error.instancePath || 'body'} ${error.message ?? 'is invalid'}`,
    );
  return (alerts as PostedAlert[]).flatMap((alert, index) => {
    const problems: string[] = [];
    const names = Object.keys(alert.labels);
    if (names.length === 0) problems.push(`[${index}]: at least one label pair required`);
    for (const name of names)
      if (!LABEL_NAME.test(name)) problems.push(`[${index}]: invalid label name "${name}"`);
    if (alert.startsAt && alert.endsAt && Date.parse(alert.endsAt) < Date.parse(alert.startsAt))
      problems.push(`[${index}]: start time must be before end time`);
    return problems;
  });
}

export interface AlertmanagerAlertState {
  fingerprint: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string | undefined;
  /** How many posts carried it. */
  updates: number;
}

export interface AlertmanagerPost extends JsonRequest {
  status: number;
  problems: string[];
  alerts: PostedAlert[];
}

export interface AlertmanagerStub extends StandIn {
  posts: AlertmanagerPost[];
  /** Alertmanager's alerts by fingerprint (the sorted label set). */
  alerts: Map<string, AlertmanagerAlertState>;
  /** The alerts still active at `at` (endsAt after it). */
  active(at?: Date): AlertmanagerAlertState[];
}

export function fingerprintOf(labels: Record<string, string>): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)));
}

export async function startAlertmanagerStub(): Promise<AlertmanagerStub> {
  const posts: AlertmanagerPost[] = [];
  const alerts = new Map<string, AlertmanagerAlertState>();
  const standIn = await startStandIn(
    (request) => {
      if (request.path !== '/api/v2/alerts') return { status: 404, body: '"not found"' };
      const problems = postableAlertsProblems(request.body);
      return problems.length > 0
        ? { status: 400, body: JSON.stringify(problems.join('; ')) }
        : { status: 200, body: '' };
    },
    (request, reply) => {
      const problems = reply.status === 400 ? postableAlertsProblems(request.body) : [];
      let posted: PostedAlert[] = [];
      try {
        posted = JSON.parse(request.body) as PostedAlert[];
      } catch {
        // recorded; the reply said why
      }
      posts.push({ ...request, status: reply.status, problems, alerts: posted });
      if (reply.status !== 200) return;
      for (const alert of posted) {
        const fingerprint = fingerprintOf(alert.labels);
        const before = alerts.get(fingerprint);
        // Alertmanager merges a repost: the earlier start, the newer end and annotations.
        alerts.set(fingerprint, {
          fingerprint,
          labels: alert.labels,
          annotations: alert.annotations ?? {},
          startsAt:
            before && before.startsAt < (alert.startsAt ?? '')
              ? before.startsAt
              : (alert.startsAt ?? ''),
          endsAt: alert.endsAt ?? '',
          generatorURL: alert.generatorURL,
          updates: (before?.updates ?? 0) + 1,
        });
      }
    },
  );
  return Object.assign(standIn, {
    posts,
    alerts,
    active: (at = new Date()) =>
      [...alerts.values()].filter((alert) => Date.parse(alert.endsAt) > at.getTime()),
  });
}
