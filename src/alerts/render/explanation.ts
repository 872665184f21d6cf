import type { AlertExplanation } from '../../api/explanation.js';
import { alignColumns } from '../../report/render/table.js';
import { formatNumber } from './text.js';

/**
 * An alert's explanation as text for the terminal (driftwatch alerts explain): what fired
 * and when, the window's bins that moved most beside the baseline's, where the CDFs differ
 * most, new and vanished categories, the slices that explain the shift, and the features
 * ranked by PSI. Pure: the explanation in, text out.
 */
type Bracket = { value: number; lower: number; upper: number };

/** The bins shown in the terminal: the ones that moved most. */
const TOP_BINS = 5;

export function renderExplanationText(explanation: AlertExplanation): string {
  const sections = [
    headline(explanation),
    silences(explanation),
    transitions(explanation),
    windowLine(explanation),
    distribution(explanation),
    attribution(explanation),
    features(explanation),
    notes(explanation),
  ].filter((section) => section.length > 0);
  return `${sections.join('\n\n')}\n`;
}

/** "0.1822" or "0.1822 [0.1725, 0.1920]". */
export function bracketText(bracket: Bracket): string {
  return bracket.lower === bracket.upper
    ? formatNumber(bracket.value)
    : `${formatNumber(bracket.value)} [${formatNumber(bracket.lower)}, ${formatNumber(bracket.upper)}]`;
}

function percent(value: number): string {
  return `${(value * 100).toFixed(1)}%`;
}

function shareText(bracket: Bracket): string {
  return bracket.lower === bracket.upper
    ? percent(bracket.value)
    : `${percent(bracket.value)} [${percent(bracket.lower)}, ${percent(bracket.upper)}]`;
}

/** A time to the minute, as the dashboard writes it: 2026-12-06 19:10Z. */
function minute(iso: string | null): string {
  return iso ? iso.replace('T', ' ').replace(/:\d\d(\.\d+)?Z$/, 'Z') : '-';
}

function subject(alert: AlertExplanation['alert']): string {
  return [alert.check_id, alert.feature || '(model)', alert.slice].join(' · ');
}

function headline({ alert }: AlertExplanation): string {
  const since = alert.since ? ` since ${minute(alert.since)}` : '';
  return `alert ${alert.alert_id}: ${subject(alert)} (${alert.model})\n${alert.state}${since}, severity ${alert.severity ?? '-'}, episode ${alert.episode}`;
}

/** "silenced until 2026-12-07 04:00Z by oncall: retraining tonight (psi · amount)". */
function silences({ silences }: AlertExplanation): string {
  return silences
    .map((silence) => {
      const scope = [silence.matches.check_id, silence.matches.feature, silence.matches.slice]
        .filter((part) => part !== null)
        .join(' · ');
      return `silenced until ${minute(silence.until)} by ${silence.by}: ${silence.reason} (silence ${silence.silence_id}, ${scope || 'the whole model'}): no notices, state still changes`;
    })
    .join('\n');
}

function transitions({ transitions }: AlertExplanation): string {
  if (transitions.length === 0) return 'no transitions yet';
  return [
    'what happened, oldest first:',
    ...alignColumns([
      ['window end', 'event', 'severity', 'verdict', 'value', 'notified'],
      ...transitions.map((t) => [
        minute(t.window_end),
        t.event,
        t.severity ?? '-',
        t.verdict_status,
        formatNumber(t.value),
        t.notified ? 'yes' : t.suppressed_by ? `no (${t.suppressed_by})` : 'no',
      ]),
    ]).map((line) => `  ${line}`),
  ].join('\n');
}

const CHOSEN: Record<string, string> = {
  fired: 'the window that fired it',
  escalated: 'the window that escalated it',
  pending: 'its latest pending window',
  requested: 'the window asked for',
  latest: 'the last window it saw',
};

function windowLine({ window, result }: AlertExplanation): string {
  if (!window) return '';
  const head = `window ${minute(window.start)} .. ${minute(window.end)} (${CHOSEN[window.chosen] ?? window.chosen})`;
  if (!result) return head;
  const value =
    result.value_lower !== null && result.value_upper !== null && result.value !== null
      ? bracketText({ value: result.value, lower: result.value_lower, upper: result.value_upper })
      : formatNumber(result.value);
  const thresholds = [
    result.warn_threshold !== null ? `warn ${formatNumber(result.warn_threshold)}` : '',
    result.critical_threshold !== null ? `critical ${formatNumber(result.critical_threshold)}` : '',
  ].filter(Boolean);
  const pValue = result.p_value !== null ? `, p ${formatNumber(result.p_value)}` : '';
  return `${head}\n${result.status}: ${result.metric} ${value}${pValue}${thresholds.length > 0 ? ` (${thresholds.join(', ')})` : ''}; baseline ${result.baseline} v${result.baseline_version}, ${result.n_reference} against ${result.n_current}`;
}

type Distribution = NonNullable<AlertExplanation['distribution']>;

export function binLabel(bin: Distribution['bins'][number]): string {
  if (bin.category !== null) return bin.category;
  if (bin.lower_edge === null && bin.upper_edge === null) return 'all';
  if (bin.lower_edge === null) return `< ${formatNumber(bin.upper_edge)}`;
  if (bin.upper_edge === null) return `≥ ${formatNumber(bin.lower_edge)}`;
  return `${formatNumber(bin.lower_edge)} – ${formatNumber(bin.upper_edge)}`;
}

function distribution(explanation: AlertExplanation): string {
  const d = explanation.distribution;
  if (!d) return '';
  const feature = explanation.alert.feature;
  const shown = d.moved_most
    .slice(0, TOP_BINS)
    .map((index) => d.bins[index])
    .filter((bin) => bin !== undefined);
  const lines = [
    `${feature} in ${d.slice}, baseline (${d.sizes.reference} values) against the window (${d.sizes.current}): the bins' parts sum to PSI ${bracketText(d.psi)} and Jensen-Shannon ${bracketText(d.jensen_shannon)}`,
    `the ${shown.length} bins that moved most:`,
    ...alignColumns([
      ['bin', 'baseline', 'window', 'PSI part', 'of PSI', 'of JS'],
      ...shown.map((bin) => [
        binLabel(bin),
        shareText(bin.reference_share),
        shareText(bin.current_share),
        bracketText(bin.psi),
        percent(bin.psi_share),
        percent(bin.jensen_shannon_share),
      ]),
    ]).map((line) => `  ${line}`),
  ];
  if (d.ks) {
    const moved = d.ks.direction === 'less_below' ? 'values moved up' : 'values moved down';
    lines.push(
      `the CDFs differ most at ${formatNumber(d.ks.x)}: baseline ${shareText(d.ks.reference_cdf)} at or below, the window ${shareText(d.ks.current_cdf)} (gap ${bracketText(d.ks.gap)}: ${moved})`,
    );
  }
  const categories = (list: Distribution['new_categories']) =>
    list.length === 0 ? 'none' : list.map((c) => `${c.category} (${c.count})`).join(', ');
  if (d.kind === 'categorical') {
    lines.push(`new categories: ${categories(d.new_categories)}`);
    lines.push(`vanished categories: ${categories(d.vanished_categories)}`);
  }
  return lines.join('\n');
}

const STATISTIC_WORDS: Record<string, string> = {
  psi: 'PSI',
  ks: "KS's D at its location",
  null_rate: 'the null rate shift',
  positive_rate: 'the predicted positive rate shift',
};

function attribution({ attribution, alert }: AlertExplanation): string {
  if (!attribution) return '';
  const what = STATISTIC_WORDS[attribution.statistic] ?? attribution.statistic;
  const of = alert.feature ? ` of ${alert.feature}` : '';
  return [
    `which slice explains it: ${what}${of} in all (${formatNumber(attribution.value)}), split into each key's slices`,
    ...attribution.keys.map((key) => {
      const slices = key.slices
        .map(
          (slice) =>
            `${slice.slice}${slice.alert_slice ? ' (this alert)' : ''} ${bracketText(slice.contribution)} (${percent(slice.share)})`,
        )
        .join(', ');
      return `  ${key.key}: ${slices}`;
    }),
  ].join('\n');
}

function features({ features, alert }: AlertExplanation): string {
  if (features.length === 0) return '';
  return [
    `features in ${alert.slice} by PSI in the window:`,
    ...alignColumns([
      ['feature', 'PSI', 'share', ''],
      ...features.map((rank) => [
        rank.feature,
        rank.psi ? bracketText(rank.psi) : '-',
        percent(rank.share),
        rank.drift ? 'drift' : '',
      ]),
    ]).map((line) => `  ${line}`),
  ].join('\n');
}

function notes({ notes, basis }: AlertExplanation): string {
  return [`computed from ${basis}`, ...notes.map((note) => `note: ${note}`)].join('\n');
}
