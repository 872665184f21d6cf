import type { AlertIdentity, Silence } from './alert.js';

/**
 * A silence mutes matching alerts for a while: they change state as usual (and the audit
 * trail says so) but no notice is sent. Empty fields match anything.
 */
export type { Silence };

export function isSilenceActive(silence: Silence, now: Date): boolean {
  const end =
    silence.expiredAt && silence.expiredAt < silence.endsAt ? silence.expiredAt : silence.endsAt;
  return silence.startsAt.getTime() <= now.getTime() && now.getTime() < end.getTime();
}

export function silenceMatches(silence: Silence, alert: AlertIdentity): boolean {
  if (silence.model !== alert.model) return false;
  if (silence.feature !== '' && silence.feature !== alert.feature) return false;
  if (silence.checkId !== '' && silence.checkId !== alert.checkId) return false;
  if (silence.slice === '') return true;
  return (
    silence.slice === alert.sliceValue ||
    (alert.sliceKey !== '' && silence.slice === `${alert.sliceKey}=${alert.sliceValue}`)
  );
}

/** Every active silence matching the alert, oldest first so the order is stable. */
export function findSilences(
  silences: readonly Silence[],
  alert: AlertIdentity,
  now: Date,
): Silence[] {
  return [...silences]
    .sort(
      (a, b) =>
        a.createdAt.getTime() - b.createdAt.getTime() || a.silenceId.localeCompare(b.silenceId),
    )
    .filter((silence) => isSilenceActive(silence, now) && silenceMatches(silence, alert));
}

/** The first active silence matching the alert (the oldest), or null. */
export function findSilence(
  silences: readonly Silence[],
  alert: AlertIdentity,
  now: Date,
): Silence | null {
  return findSilences(silences, alert, now)[0] ?? null;
}
