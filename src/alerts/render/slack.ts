import type { NotificationMessage } from '../notification.js';
import {
  capped,
  headline,
  itemLine,
  toneOf,
  toneWord,
  windowText,
  type NotificationLinks,
  type NotificationTone,
} from './text.js';

/**
 * A Slack message in Block Kit: a header with severity and model; fields for monitor,
 * window, baseline and version; one line per breach, worst first, capped with "and N more";
 * buttons to the model's history. `text` is the plain fallback (notifications, old clients).
 */
export interface SlackMessage {
  text: string;
  blocks: SlackBlock[];
}

export type SlackBlock =
  | { type: 'header'; text: { type: 'plain_text'; text: string; emoji: true } }
  | { type: 'section'; text?: SlackText; fields?: SlackText[] }
  | { type: 'context'; elements: SlackText[] }
  | { type: 'divider' }
  | {
      type: 'actions';
      elements: {
        type: 'button';
        text: { type: 'plain_text'; text: string };
        url: string;
        action_id: string;
      }[];
    };

interface SlackText {
  type: 'mrkdwn';
  text: string;
}

export const SLACK_LINE_CAP = 15;
// Slack refuses a section text over 3000 characters and a header over 150.
const SECTION_LIMIT = 3000;
const HEADER_LIMIT = 150;

const EMOJI: Record<NotificationTone, string> = {
  critical: ':red_circle:',
  warn: ':large_orange_circle:',
  resolved: ':white_check_mark:',
  test: ':test_tube:',
};

export function renderSlackMessage(
  message: NotificationMessage,
  links: NotificationLinks,
): SlackMessage {
  const tone = toneOf(message);
  const { shown, more } = capped(message.items, SLACK_LINE_CAP);
  const header = `${EMOJI[tone]} ${toneWord(tone)} · ${message.model}`.slice(0, HEADER_LIMIT);
  const blocks: SlackBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: header, emoji: true } },
    {
      type: 'section',
      fields: [
        mrkdwn(`*Monitor*\n${escapeMrkdwn(message.monitor)}`),
        mrkdwn(`*Window*\n${windowText(message)}`),
        mrkdwn(`*Baseline*\n${escapeMrkdwn(message.baseline.name)}`),
        mrkdwn(`*Version*\n${message.baseline.version}`),
      ],
    },
  ];
  if (message.type === 'test') {
    blocks.push({
      type: 'section',
      text: mrkdwn('This is a test: the route to this channel works. Nothing has breached.'),
    });
  } else {
    blocks.push({
      type: 'section',
      // each line links to its alert's page, where the alert explains itself
      text: mrkdwn(
        sectionText(
          shown.map(
            (item) => `• ${escapeMrkdwn(itemLine(item))} <${links.alert(item.alert_id)}|why>`,
          ),
        ),
      ),
    });
    if (more > 0) blocks.push({ type: 'context', elements: [mrkdwn(`and ${more} more`)] });
  }
  blocks.push({
    type: 'actions',
    elements: [
      {
        type: 'button',
        text: { type: 'plain_text', text: 'Drift history' },
        url: links.history,
        action_id: 'history',
      },
      {
        type: 'button',
        text: { type: 'plain_text', text: 'Breaches' },
        url: links.breaches,
        action_id: 'breaches',
      },
    ],
  });
  const fallback = [
    headline(message),
    `monitor ${message.monitor}, window ${windowText(message)}, baseline ${message.baseline.name} v${message.baseline.version}`,
    ...shown.map((item) => `- ${itemLine(item)} (why: ${links.alert(item.alert_id)})`),
    ...(more > 0 ? [`and ${more} more`] : []),
    links.history,
  ].join('\n');
  return { text: fallback, blocks };
}

function sectionText(lines: string[]): string {
  let text = '';
  for (const line of lines) {
    const next = text ? `${text}\n${line}` : line;
    if (next.length > SECTION_LIMIT - 20) return `${text}\n…`;
    text = next;
  }
  return text;
}

function mrkdwn(text: string): SlackText {
  return { type: 'mrkdwn', text };
}

/** Slack's mrkdwn needs &, < and > escaped; everything else is literal. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
