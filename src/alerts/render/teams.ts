import { sliceLabel } from '../identity.js';
import type { NotificationItem, NotificationMessage } from '../notification.js';
import {
  capped,
  countsPhrase,
  eventWord,
  measureText,
  toneOf,
  toneWord,
  windowText,
  type NotificationLinks,
  type NotificationTone,
} from './text.js';

/**
 * A Microsoft Teams message for a Workflows webhook ("post to a channel when a webhook
 * request is received"): one Adaptive Card 1.4 attachment. A header with severity and model,
 * the monitor, window and baseline, then per alert what fired and where (check, feature,
 * slice), its value against its threshold and how long it has breached, worst first and
 * capped; buttons to the alert's trail and the model's history when the service's public
 * URL is known. Pure: plain objects in, the request body out.
 */
export interface TeamsMessage {
  type: 'message';
  attachments: {
    contentType: 'application/vnd.microsoft.card.adaptive';
    contentUrl: null;
    content: AdaptiveCard;
  }[];
}

type TextColor = 'Default' | 'Attention' | 'Warning' | 'Good' | 'Accent';

type CardElement =
  | {
      type: 'TextBlock';
      text: string;
      wrap: true;
      weight?: 'Bolder';
      size?: 'Medium' | 'Large';
      color?: TextColor;
      isSubtle?: true;
      spacing?: 'None' | 'Medium';
    }
  | { type: 'FactSet'; facts: { title: string; value: string }[] }
  | { type: 'Container'; items: CardElement[]; separator?: true; spacing?: 'Medium' };

export interface AdaptiveCard {
  $schema: 'http://adaptivecards.io/schemas/adaptive-card.json';
  type: 'AdaptiveCard';
  version: '1.4';
  msteams: { width: 'Full' };
  body: CardElement[];
  actions?: { type: 'Action.OpenUrl'; title: string; url: string }[];
}

/** Teams refuses messages over about 28 KB: ten alerts in detail, then "and N more". */
export const TEAMS_ITEM_CAP = 10;

const COLOR: Record<NotificationTone, TextColor> = {
  critical: 'Attention',
  warn: 'Warning',
  resolved: 'Good',
  test: 'Accent',
};

export function renderTeamsMessage(
  message: NotificationMessage,
  links: NotificationLinks | null,
): TeamsMessage {
  const tone = toneOf(message);
  const { shown, more } = capped(message.items, TEAMS_ITEM_CAP);
  const body: CardElement[] = [
    {
      type: 'TextBlock',
      text: escapeMarkdown(`${toneWord(tone)} · ${message.model}`),
      wrap: true,
      weight: 'Bolder',
      size: 'Large',
      color: COLOR[tone],
    },
    {
      type: 'TextBlock',
      text:
        tone === 'test'
          ? 'A test from driftwatch: the route to this channel works. Nothing has breached.'
          : escapeMarkdown(countsPhrase(message.items)),
      wrap: true,
      isSubtle: true,
      spacing: 'None',
    },
    {
      type: 'FactSet',
      facts: [
        { title: 'Monitor', value: escapeMarkdown(message.monitor) },
        { title: 'Window', value: windowText(message) },
        ...(message.type === 'test'
          ? []
          : [
              {
                title: 'Baseline',
                value: escapeMarkdown(`${message.baseline.name} v${message.baseline.version}`),
              },
            ]),
      ],
    },
    ...shown.map(itemContainer),
  ];
  if (more > 0) body.push({ type: 'TextBlock', text: `and ${more} more`, wrap: true });
  const only = message.items.length === 1 ? message.items[0] : undefined;
  const actions = links
    ? [
        ...(only
          ? [
              {
                type: 'Action.OpenUrl' as const,
                title: 'Why it fired',
                url: links.alert(only.alert_id),
              },
            ]
          : []),
        { type: 'Action.OpenUrl' as const, title: 'Drift history', url: links.history },
        { type: 'Action.OpenUrl' as const, title: 'Breaches', url: links.breaches },
      ]
    : [];
  const card: AdaptiveCard = {
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    type: 'AdaptiveCard',
    version: '1.4',
    msteams: { width: 'Full' },
    body,
    ...(actions.length > 0 ? { actions } : {}),
  };
  return {
    type: 'message',
    attachments: [
      { contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null, content: card },
    ],
  };
}

function itemContainer(item: NotificationItem): CardElement {
  const resolved = item.event === 'resolved';
  const windows = `${item.consecutive_windows} ${resolved ? 'clear' : 'breaching'} window${item.consecutive_windows === 1 ? '' : 's'}`;
  return {
    type: 'Container',
    separator: true,
    spacing: 'Medium',
    items: [
      {
        type: 'TextBlock',
        text: escapeMarkdown(`${eventWord(item.event)}: ${item.check}`),
        wrap: true,
        weight: 'Bolder',
        color: resolved ? 'Good' : item.severity === 'critical' ? 'Attention' : 'Warning',
      },
      {
        type: 'FactSet',
        facts: [
          { title: 'Feature', value: escapeMarkdown(item.feature || '(model-level check)') },
          {
            title: 'Slice',
            value: escapeMarkdown(
              sliceLabel({ sliceKey: item.slice.key, sliceValue: item.slice.value }),
            ),
          },
          {
            title: resolved ? 'Value' : 'Value vs threshold',
            value: escapeMarkdown(measureText(item)),
          },
          {
            title: resolved ? 'Resolved' : 'Since',
            value: `${(resolved ? item.resolved_at : item.since) ?? '-'} (${windows})`,
          },
        ],
      },
    ],
  };
}

/** Card text is Markdown: names with * _ [ ] ` keep their characters instead of formatting. */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\*_[\]`]/g, (character) => `\\${character}`);
}
