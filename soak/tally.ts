import type { Injection } from './protocol.js';

/**
 * The soak's arithmetic, apart from all I/O: what was injected against what was
 * dead-lettered or stored, what was lost or counted twice, and the longest stall.
 */

export interface DeadLetterGroup {
  sha256: string;
  reason: string;
  /** Dead-letter rows with this payload and reason (a payload sent twice is two rows). */
  rows: number;
}

export interface ClassTally {
  cls: string;
  expect: string;
  injected: number;
  /** Dead-lettered with the expected reason, or (for `stored`) found in `events`. */
  asExpected: number;
  /** Dead-lettered with another reason: reason → count. */
  otherReasons: Record<string, number>;
  /** Neither dead-lettered nor stored. */
  missing: number;
}

export interface InjectionTally {
  classes: ClassTally[];
  /** Dead letters of payloads the soak did not inject as hostile: good events refused. */
  unexpected: Record<string, number>;
  /** Whether every class came out as expected and nothing good was dead-lettered. */
  ok: boolean;
}

/**
 * Each injected message against the dead letters (matched by the payload's SHA-256, which
 * a dead letter keeps whatever was cut from its payload) and the stored event ids.
 */
export function tallyInjections(
  injected: readonly Injection[],
  deadLetters: readonly DeadLetterGroup[],
  isStored: (eventId: string) => boolean,
): InjectionTally {
  const reasonsBySha = new Map<string, Set<string>>();
  for (const letter of deadLetters) {
    let reasons = reasonsBySha.get(letter.sha256);
    if (!reasons) reasonsBySha.set(letter.sha256, (reasons = new Set()));
    reasons.add(letter.reason);
  }
  const byClass = new Map<string, ClassTally>();
  const injectedShas = new Set<string>();
  for (const injection of injected) {
    injectedShas.add(injection.sha256);
    let tally = byClass.get(injection.cls);
    if (!tally) {
      tally = {
        cls: injection.cls,
        expect: injection.expect,
        injected: 0,
        asExpected: 0,
        otherReasons: {},
        missing: 0,
      };
      byClass.set(injection.cls, tally);
    }
    tally.injected += 1;
    const reasons = reasonsBySha.get(injection.sha256);
    const stored = injection.eventIds.length > 0 && injection.eventIds.every(isStored);
    if (injection.expect === 'stored' ? stored && !reasons : reasons?.has(injection.expect)) {
      tally.asExpected += 1;
    } else if (reasons) {
      for (const reason of reasons) {
        if (reason !== injection.expect)
          tally.otherReasons[reason] = (tally.otherReasons[reason] ?? 0) + 1;
      }
    } else {
      tally.missing += 1;
    }
  }
  const unexpected: Record<string, number> = {};
  for (const letter of deadLetters) {
    if (!injectedShas.has(letter.sha256))
      unexpected[letter.reason] = (unexpected[letter.reason] ?? 0) + letter.rows;
  }
  const classes = [...byClass.values()];
  return {
    classes,
    unexpected,
    ok: classes.every((c) => c.asExpected === c.injected) && Object.keys(unexpected).length === 0,
  };
}

export interface TableCounts {
  /** Rows in the table as it is now (no FINAL: merges may have collapsed some copies). */
  rows: number;
  /** Distinct keys. */
  distinct: number;
  /**
   * Rows ever inserted, counted by a materialized view as each insert happens; absent where
   * no such view counts (the HTTP service's store, where a SIGKILL loses the view's part too).
   */
  inserted?: number;
}

export interface Ledger {
  /** Acknowledged by the broker. */
  produced: number;
  /** Of those, found in the table. */
  stored: number;
  /** Acknowledged and not stored: must be 0. */
  lost: number;
  /** Copies beyond one per key, in the table or in the view's count: must be 0. */
  doubleCounted: number;
  doubleCountedInTable: number;
  /** Absent without a counting view. */
  doubleCountedInView?: number;
}

export function ledger(produced: number, storedOfProduced: number, counts: TableCounts): Ledger {
  const inTable = counts.rows - counts.distinct;
  if (counts.inserted === undefined)
    return {
      produced,
      stored: storedOfProduced,
      lost: produced - storedOfProduced,
      doubleCounted: inTable,
      doubleCountedInTable: inTable,
    };
  const inView = counts.inserted - counts.distinct;
  return {
    produced,
    stored: storedOfProduced,
    lost: produced - storedOfProduced,
    doubleCounted: Math.max(inTable, inView),
    doubleCountedInTable: inTable,
    doubleCountedInView: inView,
  };
}

/** One look at the consumer group, per partition; null while the broker does not answer. */
export interface ProgressSample {
  atMs: number;
  partitions: Record<string, { committed: number; high: number }> | null;
}

export interface Stall {
  partition: string;
  fromMs: number;
  toMs: number;
  /** Still stalled when the samples end: a stall that never ended. */
  open: boolean;
}

/**
 * Stalls: stretches in which a partition has lag (high watermark above the committed
 * offset) and its committed offset does not move. Per partition, so one stuck partition
 * shows even while the others flow. A stall starts at the last sample that saw progress
 * (or no lag) and ends at the first sample whose committed offset moved on or whose lag is
 * gone. Samples taken while the broker does not answer see nothing, so they neither start
 * nor end a stall.
 */
export function findStalls(samples: readonly ProgressSample[]): Stall[] {
  const stalls: Stall[] = [];
  const state = new Map<string, { committed: number; calmSince: number; stallFrom?: number }>();
  let lastMs: number | undefined;
  for (const sample of samples) {
    lastMs = sample.atMs;
    if (!sample.partitions) continue;
    for (const [partition, { committed, high }] of Object.entries(sample.partitions)) {
      const seen = state.get(partition);
      if (!seen) {
        state.set(partition, { committed, calmSince: sample.atMs });
        continue;
      }
      if (committed > seen.committed || high - committed <= 0) {
        if (seen.stallFrom !== undefined)
          stalls.push({ partition, fromMs: seen.stallFrom, toMs: sample.atMs, open: false });
        state.set(partition, { committed, calmSince: sample.atMs });
        continue;
      }
      seen.stallFrom ??= seen.calmSince;
    }
  }
  for (const [partition, { stallFrom }] of state) {
    if (stallFrom !== undefined && lastMs !== undefined)
      stalls.push({ partition, fromMs: stallFrom, toMs: lastMs, open: true });
  }
  return stalls;
}

/**
 * How long after `afterMs` every partition that had lag at the first readable sample from
 * then on has committed past where it stood (or has no lag left): the whole group
 * consuming again. Undefined when that is never seen. Samples from before `afterMs` are
 * not a base: offsets committed just before a fault would look like progress after it.
 */
export function resumedAfter(
  samples: readonly ProgressSample[],
  afterMs: number,
): number | undefined {
  let base: NonNullable<ProgressSample['partitions']> | undefined;
  for (const sample of samples) {
    if (!sample.partitions || sample.atMs < afterMs) continue;
    if (!base) {
      base = sample.partitions;
      continue;
    }
    const current = sample.partitions;
    const resumed = Object.entries(base).every(([key, then]) => {
      const now = current[key];
      if (then.committed >= then.high) return true;
      return now !== undefined && (now.committed > then.committed || now.committed >= now.high);
    });
    if (resumed) return sample.atMs - afterMs;
  }
  return undefined;
}

export function longestStall(stalls: readonly Stall[]): Stall | undefined {
  let longest: Stall | undefined;
  for (const stall of stalls) {
    if (!longest || stall.toMs - stall.fromMs > longest.toMs - longest.fromMs) longest = stall;
  }
  return longest;
}

/**
 * The minute ticks of a monitor scheduled every minute from `startMs` (whose latest tick
 * it evaluates at once, catching up) to `stopMs`, that have no stored run: silent gaps
 * in the drift history.
 */
export function missedMinuteWindows(
  startMs: number,
  stopMs: number,
  evaluatedEndsMs: readonly number[],
): number[] {
  const evaluated = new Set(evaluatedEndsMs);
  const missed: number[] = [];
  for (let tick = Math.floor(startMs / 60_000) * 60_000; tick <= stopMs; tick += 60_000) {
    if (!evaluated.has(tick)) missed.push(tick);
  }
  return missed;
}
