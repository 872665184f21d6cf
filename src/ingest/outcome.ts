/**
 * Bad data is not an exception: a step returns ok, or a dead letter with a reason code and
 * a detail that names the field. One runner does the counting and the dead-lettering.
 */
export type DeadLetterReason = 'too_large' | 'not_json' | 'invalid' | 'unknown_type';

export type StepOutcome<T> =
  { ok: true; value: T } | { ok: false; reason: DeadLetterReason; detail: string };

export const ok = <T>(value: T): StepOutcome<T> => ({ ok: true, value });

export const deadLetter = <T>(reason: DeadLetterReason, detail: string): StepOutcome<T> => ({
  ok: false,
  reason,
  detail,
});

export type EventKind = 'prediction' | 'feature' | 'label';

export const EVENT_KINDS: readonly EventKind[] = ['prediction', 'feature', 'label'];
