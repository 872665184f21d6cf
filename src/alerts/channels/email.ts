import type { Transporter } from 'nodemailer';
import type { SmtpConfig } from '../../config/config.js';
import { errorMessage } from '../../errors.js';
import { renderEmail } from '../render/email.js';
import type { NotificationLinks } from '../render/text.js';
import { failure, unconfiguredChannel, withTimeout, type NotificationChannel } from './channel.js';

export interface EmailChannelOptions {
  /** SMTP_URL or SMTP_HOST/PORT/USER/PASSWORD; null: email routes fail, saying so. */
  smtp: SmtpConfig | null;
  from: string;
  timeoutMs: number;
  links: (model: string) => NotificationLinks;
}

interface SmtpError {
  code?: string;
  responseCode?: number;
}

/**
 * Email through nodemailer over SMTP. The Message-ID is derived from the notification's id,
 * so a mail resent after a crash carries the same id as the first (mail clients thread or
 * drop it). SMTP 5xx answers and refused credentials are final; 4xx answers and connection
 * problems are retried.
 */
export function createEmailChannel(options: EmailChannelOptions): NotificationChannel {
  if (!options.smtp) return unconfiguredChannel('email (SMTP_URL or SMTP_HOST)');
  const timeouts = {
    connectionTimeout: options.timeoutMs,
    greetingTimeout: options.timeoutMs,
    socketTimeout: options.timeoutMs,
  };
  const smtp = options.smtp;
  // nodemailer is loaded at the first mail (~0.05 s of CPU that a command sending nothing,
  // such as `driftwatch run`, skips)
  let opened: Promise<Transporter> | undefined;
  const transportOf = async (): Promise<Transporter> => {
    const { default: nodemailer } = await import('nodemailer');
    return smtp.kind === 'url'
      ? nodemailer.createTransport({ url: smtp.url, ...timeouts })
      : nodemailer.createTransport({
          host: smtp.host,
          port: smtp.port,
          secure: smtp.secure,
          ...(smtp.user ? { auth: { user: smtp.user, pass: smtp.password ?? '' } } : {}),
          ...timeouts,
        });
  };
  return {
    async send(delivery) {
      const { subject, text, html } = renderEmail(delivery.message, options.links(delivery.model));
      try {
        opened ??= transportOf();
        const transport = await opened;
        await withTimeout(
          transport.sendMail({
            from: options.from,
            to: delivery.target,
            subject,
            text,
            html,
            messageId: `<${delivery.id}@driftwatch>`,
            headers: { 'X-Driftwatch-Notification': delivery.id },
          }),
          options.timeoutMs * 3,
          'SMTP delivery',
        );
        return { ok: true, responseStatus: 250 };
      } catch (error) {
        const smtpError = error as SmtpError;
        const status = smtpError.responseCode ?? null;
        const permanent =
          (status !== null && status >= 500) ||
          smtpError.code === 'EAUTH' ||
          smtpError.code === 'EENVELOPE';
        return failure(`SMTP: ${errorMessage(error)}`, !permanent, { responseStatus: status });
      }
    },
    async close() {
      (await opened?.catch(() => undefined))?.close();
    },
  };
}
