import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import type { NotificationChannel } from '../alerts/channels/channel.js';
import { renderSlackMessage } from '../alerts/render/slack.js';
import type { NotificationLinks } from '../alerts/render/text.js';
import { verifyWebhookSignature } from '../alerts/signature.js';

/**
 * What the demo's notifications reach when nobody configured real channels: an SMTP server
 * and a webhook receiver on loopback (the real protocols, end to end: nodemailer's mail,
 * signed POSTs verified as a receiver would), and Slack messages printed instead of posted.
 */
export interface ReceivedNotice {
  channel: 'email' | 'webhook' | 'slack';
  to: string;
  what: string;
}

export interface DemoReceivers {
  smtpUrl: string;
  webhookUrl: string;
  /** The whsec_ secret the demo's webhooks are signed with and verified against. */
  secret: string;
  received: ReceivedNotice[];
  /** Slack without a token: prints the message's fallback text instead of posting it. */
  slackPrinter(links: (model: string) => NotificationLinks): NotificationChannel;
  close(): Promise<void>;
}

export async function startDemoReceivers(): Promise<DemoReceivers> {
  const received: ReceivedNotice[] = [];
  const secret = `whsec_${randomBytes(24).toString('base64')}`;
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      simpleParser(stream)
        .then((mail) => {
          const to = session.envelope.rcptTo.map((rcpt) => rcpt.address).join(', ');
          received.push({ channel: 'email', to, what: mail.subject ?? '(no subject)' });
          callback();
        })
        .catch((error: Error) => callback(error));
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  const seen = new Set<string>();
  const hooks = http.createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (body += chunk));
    request.on('end', () => {
      const header = (name: string) => String(request.headers[name] ?? '');
      const verdict = verifyWebhookSignature(
        {
          'webhook-id': header('webhook-id'),
          'webhook-timestamp': header('webhook-timestamp'),
          'webhook-signature': header('webhook-signature'),
        },
        body,
        [secret],
      );
      // A receiver deduplicates by webhook-id: a retry of something processed is only acknowledged.
      const id = header('webhook-id');
      if (verdict.ok && !seen.has(id)) {
        seen.add(id);
        const payload = JSON.parse(body) as {
          type: string;
          data: { model: string; breaches: unknown[] };
        };
        received.push({
          channel: 'webhook',
          to: request.url ?? '/',
          what: `${payload.type} ${payload.data.model}: ${payload.data.breaches.length} breach(es), signature verified`,
        });
      }
      response.writeHead(verdict.ok ? 200 : 401, { 'content-type': 'application/json' });
      response.end(verdict.ok ? '{}' : JSON.stringify({ error: verdict.reason }));
    });
  });
  await new Promise<void>((resolve) => hooks.listen(0, '127.0.0.1', resolve));
  return {
    smtpUrl: `smtp://127.0.0.1:${(smtp.server.address() as AddressInfo).port}`,
    webhookUrl: `http://127.0.0.1:${(hooks.address() as AddressInfo).port}`,
    secret,
    received,
    slackPrinter(links) {
      return {
        async send(delivery) {
          const { text } = renderSlackMessage(delivery.message, links(delivery.model));
          received.push({ channel: 'slack', to: delivery.target, what: text.split('\n')[0] ?? '' });
          return { ok: true, responseStatus: null };
        },
      };
    },
    async close() {
      hooks.closeAllConnections();
      await new Promise<void>((resolve) => hooks.close(() => resolve()));
      await new Promise<void>((resolve) => smtp.close(() => resolve()));
    },
  };
}
