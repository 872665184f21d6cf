import { renderOf } from '../../monitors/checks/registry.js';
import { sliceLabel } from '../identity.js';
import type { NoticeKind } from '../lifecycle.js';
import type { NotificationItem, NotificationMessage } from '../notification.js';

/**
 * The words every renderer shares, so Slack, email and a webhook say the same thing: a
 * headline, one line per breach (value against threshold, p-value and effect size where they
 * apply), and the links. Pure: plain objects in, strings out.
 */
export interface NotificationLinks {
  /** The model's page on the dashboard: drift over time, histograms, open alerts. */
  history: string;
  /** Only its breaches, as JSON from the API. */
  breaches: string;
  /** One alert's page on the dashboard: what fired and when, and why (its explanation). */
  alert: (alertId: string) => string;
}

export function linksFor(publicUrl: string, model: string): NotificationLinks {
  const base = publicUrl.replace(/\/+$/, '');
  const name = encodeURIComponent(model);
  return {
    history: `${base}/dashboard/models/${name}`,
    breaches: `${base}/v1/results?model=${name}&status=warn,critical`,
    alert: (alertId) => `${base}/dashboard/alerts/${encodeURIComponent(alertId)}`,
  };
}

export type NotificationTone = 'critical' | 'warn' | 'resolved' | 'test';

export function toneOf(message: NotificationMessage): NotificationTone {
  if (message.type === 'test') return 'test';
  if (message.items.length > 0 && message.items.every((item) => item.event === 'resolved'))
    return 'resolved';
  return message.severity ?? 'warn';
}

const TONE_WORD: Record<NotificationTone, string> = {
  critical: 'CRITICAL',
  warn: 'WARNING',
  resolved: 'RESOLVED',
  test: 'TEST',
};

export function toneWord(tone: NotificationTone): string {
  return TONE_WORD[tone];
}

const EVENT_ORDER: NoticeKind[] = ['escalated', 'firing', 'repeated', 'resolved'];
const EVENT_WORDS: Record<NoticeKind, string> = {
  escalated: 'escalated',
  firing: 'firing',
  repeated: 'still firing',
  resolved: 'resolved',
};

export function eventWord(kind: NoticeKind): string {
  return EVENT_WORDS[kind];
}

/** "3 firing, 1 escalated, 2 resolved" */
export function countsPhrase(items: readonly NotificationItem[]): string {
  return EVENT_ORDER.flatMap((kind) => {
    const n = items.filter((item) => item.event === kind).length;
    return n > 0 ? [`${n} ${EVENT_WORDS[kind]}`] : [];
  }).join(', ');
}

/** "CRITICAL fraud-detector: 12 firing, 2 resolved" */
export function headline(message: NotificationMessage): string {
  const tone = toneOf(message);
  if (tone === 'test') return `TEST ${message.model}: a test notification from driftwatch`;
  const n = message.items.length;
  const what =
    tone === 'resolved' ? `${n} alert${n === 1 ? '' : 's'} resolved` : countsPhrase(message.items);
  return `${toneWord(tone)} ${message.model}: ${what}`;
}

export function windowText(message: NotificationMessage): string {
  return `${message.window.start} .. ${message.window.end}`;
}

/** "psi · amount · channel=web" */
export function subjectOf(item: NotificationItem): string {
  return [
    item.check,
    item.feature || '(model)', // a model-level check (auroc, no data) says so
    sliceLabel({ sliceKey: item.slice.key, sliceValue: item.slice.value }),
  ]
    .filter(Boolean)
    .join(' · ');
}

export function formatNumber(value: number | null): string {
  if (value === null || !Number.isFinite(value)) return '-';
  if (value === 0) return '0';
  const magnitude = Math.abs(value);
  if (magnitude < 1e-3 || magnitude >= 1e6) return value.toExponential(2);
  return String(Number(value.toPrecision(4)));
}

function signed(value: number | null): string {
  return value !== null && value > 0 ? `+${formatNumber(value)}` : formatNumber(value);
}

/** The threshold that applies at the item's severity. */
export function thresholdOf(item: NotificationItem): number | null {
  if (item.severity === 'critical' && item.critical_threshold !== null)
    return item.critical_threshold;
  return item.warn_threshold ?? item.critical_threshold;
}

/** The value against its threshold, with p-value and effect size where they apply. */
export function measureText(item: NotificationItem): string {
  // no value against a threshold: since when it has been silent, and what was expected
  if (item.status === 'no_data') return item.note ? `no data: ${item.note}` : 'no data';
  const value = item.value;
  const resolved = item.event === 'resolved';
  const pValue = item.adjusted_p_value ?? item.p_value;
  const pLabel = item.adjusted_p_value !== null ? 'adjusted p' : 'p';
  const parts: string[] = [];
  // how the metric is stated is its registry entry's (checks/registry.ts)
  const render = renderOf(item.metric);
  switch (render.kind) {
    case 'test': {
      const limit = item.critical_threshold;
      parts.push(`${render.statistic} ${formatNumber(value)}`);
      if (pValue !== null)
        parts.push(
          `${pLabel} ${formatNumber(pValue)}${resolved || limit === null ? '' : ` < ${formatNumber(limit)}`}`,
        );
      if (item.effect !== null)
        parts.push(
          `effect ${formatNumber(item.effect)}${resolved || item.min_effect === null ? '' : ` ≥ ${formatNumber(item.min_effect)}`}`,
        );
      break;
    }
    case 'below': {
      const floor = thresholdOf(item);
      parts.push(
        `${formatNumber(value)}${resolved || floor === null ? '' : ` < ${formatNumber(floor)}`}`,
      );
      break;
    }
    case 'signed': {
      const limit = thresholdOf(item);
      parts.push(
        `${signed(value)}${resolved || limit === null ? '' : ` (limit ±${formatNumber(limit)})`}`,
      );
      if (pValue !== null) parts.push(`${pLabel} ${formatNumber(pValue)}`);
      break;
    }
    case 'count':
      parts.push(String(value ?? 0));
      break;
    case 'estimate': {
      // the realized value against the band CBPE estimated for it, both named
      const band = `[${formatNumber(item.band_lower)}, ${formatNumber(item.band_upper)}]`;
      const tolerance = item.critical_threshold;
      const inside =
        value !== null &&
        item.band_lower !== null &&
        item.band_upper !== null &&
        value >= item.band_lower - (tolerance ?? 0) &&
        value <= item.band_upper + (tolerance ?? 0);
      parts.push(
        `realized ${formatNumber(value)} ${inside ? 'within' : 'outside'} the estimate ${formatNumber(item.estimated_value)}'s band ${band}${tolerance ? ` (tolerance ${formatNumber(tolerance)})` : ''}`,
      );
      break;
    }
    case 'at_or_above':
    case 'above': {
      const limit = thresholdOf(item);
      const sign = render.kind === 'at_or_above' ? '≥' : '>';
      parts.push(
        `${formatNumber(value)}${resolved || limit === null ? '' : ` ${sign} ${formatNumber(limit)}`}`,
      );
    }
  }
  // An approximate value carries the bracket that contains the exact one (the exactness contract).
  if (item.value_lower !== null && item.value_upper !== null)
    parts.push(
      `exact value in [${formatNumber(item.value_lower)}, ${formatNumber(item.value_upper)}]`,
    );
  // An estimated value carries its sampling-error band (CBPE), as a bracket is carried.
  if (render.kind !== 'estimate' && item.band_lower !== null && item.band_upper !== null)
    parts.push(`band [${formatNumber(item.band_lower)}, ${formatNumber(item.band_upper)}]`);
  if (item.note) parts.push(item.note);
  return parts.join(', ');
}

/** One line per alert: "[firing] psi · amount · channel=web: 0.8039 ≥ 0.25". */
export function itemLine(item: NotificationItem): string {
  const windows =
    item.event === 'resolved'
      ? ` (clear ${item.consecutive_windows} window${item.consecutive_windows === 1 ? '' : 's'})`
      : item.consecutive_windows > 1
        ? ` (${item.consecutive_windows} windows)`
        : '';
  return `[${eventWord(item.event)}] ${subjectOf(item)}: ${measureText(item)}${windows}`;
}

/** At most `cap` items, and how many were left out. */
export function capped<T>(items: readonly T[], cap: number): { shown: T[]; more: number } {
  return { shown: items.slice(0, cap), more: Math.max(0, items.length - cap) };
}
