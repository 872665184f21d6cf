import type { AlertExplanation } from '../api/explanation.js';
import { movedMost, type BinContribution } from '../drift/binContributions.js';
import type { WindowExplanation } from '../drift/explainWindow.js';
import { DriftwatchError, errorMessage } from '../errors.js';
import { explainStoredResult } from '../monitors/explainResult.js';
import type { MonitorPlan } from '../monitors/plan.js';
import { getAlert, listSilences, type AlertDetail } from '../store/alerts.js';
import type { Store } from '../store/clickhouse.js';
import { queryResultsPage, type StoredResult } from '../store/results.js';
import type { AlertEventRecord, Silence } from './alert.js';
import { sliceLabel } from './identity.js';
import { AlertLookupError, resolveAlertId } from './operatorActions.js';
import { isSilenceActive, silenceMatches } from './silences.js';

export const EXPLANATION_BASIS =
  'the window summaries (cells) and the reference profile of the baseline version the check was judged on; a bracket [lower, upper] contains the exact value';

/**
 * Every alert explains itself: what fired and when (its transitions), the breached window's
 * stored result, its distribution beside the baseline's, and which slices and features
 * explain the shift (monitors/explainResult.ts, drift/explainWindow.ts), and the silences
 * muting it now (who, why, until). The API, the CLI and the dashboard's alert page show this
 * one answer. The id may be a unique prefix (an AlertLookupError otherwise).
 */
export async function explainAlert(
  store: Store,
  plans: readonly MonitorPlan[],
  alertId: string,
  options: { windowEnd?: Date; now?: Date } = {},
): Promise<AlertExplanation> {
  const detail = await getAlert(store, await resolveAlertId(store, alertId));
  if (!detail) throw new AlertLookupError('not_found', `no alert "${alertId}"`);
  const { alert } = detail;
  const now = options.now ?? new Date();
  const silences = (await listSilences(store, { model: alert.model, activeAt: now })).filter(
    (silence) => isSilenceActive(silence, now) && silenceMatches(silence, alert),
  );
  const notes: string[] = [];
  const chosen = chooseWindow(detail, options.windowEnd);
  const result = chosen ? await resultOf(store, detail, chosen.end) : null;
  if (chosen && !result)
    notes.push(`no stored result of this check for the window ending ${chosen.end.toISOString()}`);
  const plan = plans.find((candidate) => candidate.monitor === alert.monitor);
  if (!plan) notes.push(`monitor ${alert.monitor} is not loaded: its window cannot be read again`);
  let explained: WindowExplanation | null = null;
  if (plan && result) {
    if (result.status === 'no_data') notes.push('no events in the window: nothing to compare');
    else {
      try {
        explained = await explainStoredResult(store, plan, {
          checkId: result.check_id,
          metric: result.metric,
          feature: result.feature,
          sliceKey: result.slice_key,
          sliceValue: result.slice_value,
          windowStart: new Date(result.window_start),
          windowEnd: new Date(result.window_end),
          baseline: result.baseline,
          baselineVersion: result.baseline_version,
        });
      } catch (error) {
        // A window past retention, a baseline no longer computed: said, not a failure.
        if (!(error instanceof DriftwatchError) || error.code === 'DW_INTERNAL') throw error;
        notes.push(`the window cannot be read again: ${errorMessage(error)}`);
      }
    }
  }
  const slice = sliceLabel(alert);
  return {
    alert: {
      alert_id: alert.alertId,
      model: alert.model,
      monitor: alert.monitor,
      check_id: alert.checkId,
      metric: alert.metric,
      feature: alert.feature,
      slice,
      state: alert.state === 'inactive' ? 'resolved' : alert.state,
      severity: alert.severity,
      episode: alert.episode,
      since: iso(alert.since),
      fired_at: iso(alert.firedAt),
      resolved_at: iso(alert.resolvedAt),
      last_window_end: iso(alert.lastWindowEnd),
    },
    transitions: detail.events.map(transitionOf),
    silences: silences.map(silenceOf),
    window: chosen
      ? {
          start: (result ? new Date(result.window_start) : chosen.start).toISOString(),
          end: chosen.end.toISOString(),
          chosen: chosen.reason,
        }
      : null,
    result,
    distribution: explained?.distribution ? distributionJson(explained.distribution, slice) : null,
    attribution: explained?.attribution ? attributionJson(explained.attribution, slice) : null,
    features: (explained?.features ?? []).map((rank) => ({
      feature: rank.feature,
      kind: rank.kind,
      psi: rank.psi,
      share: rank.share,
      drift: rank.drift,
    })),
    basis: EXPLANATION_BASIS,
    notes: [...notes, ...(explained?.notes ?? [])],
  };
}

interface ChosenWindow {
  start: Date;
  end: Date;
  reason: 'requested' | 'fired' | 'escalated' | 'pending' | 'latest';
}

/**
 * The window to explain: the one asked for; else the latest that fired the alert or
 * escalated it (of its latest episode); else its latest pending window; else the last it saw.
 */
function chooseWindow(detail: AlertDetail, requested: Date | undefined): ChosenWindow | null {
  if (requested) return { start: requested, end: requested, reason: 'requested' };
  const episode = detail.events.filter((event) => event.episode === detail.alert.episode);
  for (const kinds of [['firing', 'escalated'], ['pending']] as const) {
    const event = episode
      .filter((candidate) => (kinds as readonly string[]).includes(candidate.event))
      .at(-1);
    if (event)
      return {
        start: event.windowStart,
        end: event.windowEnd,
        reason:
          event.event === 'escalated'
            ? 'escalated'
            : event.event === 'firing'
              ? 'fired'
              : 'pending',
      };
  }
  const last = detail.alert.lastWindowEnd;
  return last ? { start: last, end: last, reason: 'latest' } : null;
}

async function resultOf(
  store: Store,
  detail: AlertDetail,
  windowEnd: Date,
): Promise<StoredResult | null> {
  const { alert } = detail;
  const { items } = await queryResultsPage(
    store,
    {
      model: alert.model,
      checkId: alert.checkId,
      feature: alert.feature,
      slice: alert.sliceKey === '' ? 'all' : `${alert.sliceKey}=${alert.sliceValue}`,
      from: new Date(windowEnd.getTime() - 1),
      to: windowEnd,
    },
    { limit: 1, offset: 0 },
  );
  return items[0] ?? null;
}

function iso(date: Date | null): string | null {
  return date ? date.toISOString() : null;
}

function transitionOf(event: AlertEventRecord): AlertExplanation['transitions'][number] {
  return {
    event: event.event,
    episode: event.episode,
    from_state: event.fromState,
    to_state: event.toState,
    severity: event.severity,
    window_start: event.windowStart.toISOString(),
    window_end: event.windowEnd.toISOString(),
    verdict_status: event.verdictStatus,
    value: event.value,
    notified: event.notified,
    suppressed_by: event.suppressedBy,
  };
}

/** A silence muting the alert: what it covers, who set it, why, and until when. */
function silenceOf(silence: Silence): AlertExplanation['silences'][number] {
  const ends =
    silence.expiredAt && silence.expiredAt < silence.endsAt ? silence.expiredAt : silence.endsAt;
  return {
    silence_id: silence.silenceId,
    by: silence.createdBy,
    reason: silence.reason,
    since: silence.startsAt.toISOString(),
    until: ends.toISOString(),
    matches: {
      check_id: silence.checkId || null,
      feature: silence.feature || null,
      slice: silence.slice || null,
    },
  };
}

type DistributionJson = NonNullable<AlertExplanation['distribution']>;

function distributionJson(
  distribution: NonNullable<WindowExplanation['distribution']>,
  slice: string,
): DistributionJson {
  const edges = distribution.edges;
  const bin = (contribution: BinContribution): DistributionJson['bins'][number] => ({
    index: contribution.index,
    lower_edge: edges ? (edges[contribution.index - 1] ?? null) : null,
    upper_edge: edges ? (edges[contribution.index] ?? null) : null,
    category: distribution.categories?.[contribution.index] ?? null,
    reference_count: contribution.reference,
    current_count: contribution.current,
    reference_share: contribution.referenceShare,
    current_share: contribution.currentShare,
    psi: contribution.psi,
    psi_share: contribution.psiShare,
    jensen_shannon: contribution.jensenShannon,
    jensen_shannon_share: contribution.jensenShannonShare,
  });
  const ks = distribution.ks;
  return {
    kind: distribution.kind,
    slice,
    edges,
    categories: distribution.categories,
    bins: distribution.bins.map(bin),
    moved_most: movedMost(distribution.bins).map((contribution) => contribution.index),
    psi: distribution.psi,
    jensen_shannon: distribution.jensenShannon,
    new_categories: distribution.newCategories,
    vanished_categories: distribution.vanishedCategories,
    ks: ks
      ? {
          x: ks.x,
          reference_cdf: ks.reference,
          current_cdf: ks.current,
          gap: ks.gap,
          direction: ks.direction,
        }
      : null,
    sizes: distribution.sizes,
  };
}

function attributionJson(
  attribution: NonNullable<WindowExplanation['attribution']>,
  alertSlice: string,
): NonNullable<AlertExplanation['attribution']> {
  return {
    statistic: attribution.statistic,
    value: attribution.value,
    keys: attribution.keys.map((key) => ({
      key: key.key,
      explained: key.explained,
      slices: key.slices.map((slice) => {
        const label = `${slice.key}=${slice.value}`;
        return {
          slice: label,
          contribution: slice.contribution,
          share: slice.share,
          reference_size: slice.sizes.reference,
          current_size: slice.sizes.current,
          alert_slice: label === alertSlice,
        };
      }),
    })),
  };
}
