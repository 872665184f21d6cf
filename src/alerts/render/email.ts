import type { NotificationMessage } from '../notification.js';
import {
  eventWord,
  formatNumber,
  headline,
  itemLine,
  measureText,
  subjectOf,
  toneOf,
  windowText,
  type NotificationLinks,
} from './text.js';

/**
 * An email: a subject with severity, model and count, and a plain-text and an HTML body
 * carrying the same facts (every alert, worst first: email has room for all of them).
 */
export interface EmailMessage {
  subject: string;
  text: string;
  html: string;
}

const COLOURS = { critical: '#b3261e', warn: '#a15c00', resolved: '#1e7d32', test: '#555555' };

export function renderEmail(message: NotificationMessage, links: NotificationLinks): EmailMessage {
  const tone = toneOf(message);
  const subject = `[driftwatch] ${headline(message)}`;
  const facts: [string, string][] = [
    ['Model', message.model],
    ['Monitor', message.monitor],
    ['Window', windowText(message)],
    ['Baseline', message.baseline.name],
    ['Version', String(message.baseline.version)],
  ];
  const intro =
    message.type === 'test'
      ? 'This is a test: the route to this address works. Nothing has breached.'
      : headline(message);
  const text = [
    intro,
    '',
    ...facts.map(([label, value]) => `${label}: ${value}`),
    '',
    ...message.items.map((item) => `- ${itemLine(item)}\n  why: ${links.alert(item.alert_id)}`),
    ...(message.items.length > 0 ? [''] : []),
    `Drift history: ${links.history}`,
    `Breaches: ${links.breaches}`,
    '',
  ].join('\n');
  const rows = message.items
    .map(
      (item) =>
        `<tr><td>${escapeHtml(eventWord(item.event))}</td><td>${escapeHtml(item.severity)}</td>` +
        `<td>${escapeHtml(subjectOf(item))}</td><td>${escapeHtml(measureText(item))}</td>` +
        `<td style="text-align:right">${escapeHtml(formatNumber(item.n_current))}</td>` +
        `<td><a href="${escapeHtml(links.alert(item.alert_id))}">why</a></td></tr>`,
    )
    .join('\n');
  const html = `<!doctype html>
<html><body style="font-family:sans-serif;font-size:14px;color:#222">
<h2 style="color:${COLOURS[tone]}">${escapeHtml(intro)}</h2>
<table style="border-collapse:collapse;margin-bottom:12px">
${facts.map(([label, value]) => `<tr><th style="text-align:left;padding-right:12px">${escapeHtml(label)}</th><td>${escapeHtml(value)}</td></tr>`).join('\n')}
</table>
${
  rows
    ? `<table border="1" cellpadding="4" style="border-collapse:collapse">
<tr><th>event</th><th>severity</th><th>check · feature · slice</th><th>value</th><th>n</th><th></th></tr>
${rows}
</table>`
    : ''
}
<p><a href="${escapeHtml(links.history)}">Drift history</a> · <a href="${escapeHtml(links.breaches)}">Breaches</a></p>
</body></html>
`;
  return { subject, text, html };
}

export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}
