import { randomUUID } from 'node:crypto';
import type { Store } from '../store/clickhouse.js';
import { recordLedger, scopeKey, type SummaryScope } from '../store/summaryLedger.js';

/**
 * An event writer's side of the summary ledger (src/store/summaryLedger.ts): which hours it
 * has recorded `open`, when it last wrote into each, and which a failed insert touched.
 * An hour is recorded `open` before the first insert into it and again every `refreshMs`
 * while inserts keep coming (so another process can tell a live writer from one that is
 * gone), and `closed` once no insert has touched it for `closeAfterMs` and none that did
 * failed. A crash leaves the hours it was writing `open`: the reconciler checks them.
 */
export interface WriterLedger {
  readonly writerId: string;
  /** Before inserting events of these hours: durable once it resolves. */
  open(scopes: readonly SummaryScope[]): Promise<void>;
  /** An insert into these hours failed or was refused in part: its events may be stored and not summarized. */
  markDirty(scopes: readonly SummaryScope[]): void;
  /** Hours a failed insert touched that no check has cleared since. */
  dirty(): SummaryScope[];
  /** A check found the hour's summaries equal to its stored events (or repaired them). */
  clean(scope: SummaryScope): void;
  /** Records `closed` for the clean hours idle for `closeAfterMs`. */
  closeIdle(): Promise<void>;
  /** Records `closed` for every clean hour (a stop, after the last insert). */
  closeAll(): Promise<void>;
}

export interface WriterLedgerOptions {
  writerId?: string;
  refreshMs?: number;
  closeAfterMs?: number;
  now?: () => number;
}

/** Another process takes an hour whose `open` entry is older than this as abandoned (server stores). */
export const ABANDONED_AFTER_MS = 10 * 60_000;
const DEFAULT_REFRESH_MS = ABANDONED_AFTER_MS / 4;
const DEFAULT_CLOSE_AFTER_MS = 5 * 60_000;

interface Held {
  scope: SummaryScope;
  writtenMs: number;
  touchedMs: number;
  dirty: boolean;
}

export function createWriterLedger(store: Store, options: WriterLedgerOptions = {}): WriterLedger {
  const writerId = options.writerId ?? randomUUID();
  const refreshMs = options.refreshMs ?? DEFAULT_REFRESH_MS;
  const closeAfterMs = options.closeAfterMs ?? DEFAULT_CLOSE_AFTER_MS;
  const now = options.now ?? Date.now;
  const held = new Map<string, Held>();

  async function close(which: (entry: Held) => boolean): Promise<void> {
    const closing = [...held.values()].filter((entry) => !entry.dirty && which(entry));
    if (closing.length === 0) return;
    await recordLedger(
      store,
      writerId,
      closing.map((entry) => entry.scope),
      'closed',
    );
    for (const entry of closing) held.delete(scopeKey(entry.scope));
  }

  return {
    writerId,
    async open(scopes) {
      const at = now();
      const stale = scopes.filter((scope) => {
        const entry = held.get(scopeKey(scope));
        return !entry || at - entry.writtenMs >= refreshMs;
      });
      if (stale.length > 0) await recordLedger(store, writerId, stale, 'open');
      for (const scope of stale) {
        const entry = held.get(scopeKey(scope));
        if (entry) entry.writtenMs = at;
        else held.set(scopeKey(scope), { scope, writtenMs: at, touchedMs: at, dirty: false });
      }
      for (const scope of scopes) held.get(scopeKey(scope))!.touchedMs = at;
    },
    markDirty(scopes) {
      for (const scope of scopes) {
        const entry = held.get(scopeKey(scope));
        // an insert is only ever made into hours recorded open first
        if (entry) entry.dirty = true;
      }
    },
    dirty() {
      return [...held.values()].filter((entry) => entry.dirty).map((entry) => entry.scope);
    },
    clean(scope) {
      const entry = held.get(scopeKey(scope));
      if (entry) entry.dirty = false;
    },
    closeIdle: () => close((entry) => now() - entry.touchedMs >= closeAfterMs),
    closeAll: () => close(() => true),
  };
}
