import { StoreError, type Store } from '../store/clickhouse.js';
import {
  eventKeyString,
  findStoredDeadLetters,
  findStoredEvents,
  findStoredLabels,
  insertDeadLetters,
  insertEncodedEvents,
  insertLabels,
  labelKeyString,
  type DeadLetterRow,
  type LabelRow,
} from '../store/events.js';
import type { SummaryScope } from '../store/summaryLedger.js';
import type { Logger } from '../observability/logger.js';
import type { IngestMetrics } from './metrics.js';
import { DUPLICATE, type PreparedBatch, type PreparedEvent } from './pipeline.js';
import { hourOf } from './summaryCheck.js';
import { createWriterLedger, type WriterLedger } from './writerLedger.js';

export interface WriterOptions {
  metrics: IngestMetrics;
  logger?: Pick<Logger, 'warn' | 'error'>;
  /** ClickHouse refuses an insert touching more partitions (months) than this. */
  maxPartitionsPerInsert?: number;
  /** Batches waiting together are written as one flush up to this many messages. */
  maxMessagesPerFlush?: number;
  /** Lingering batches are flushed once this many messages wait (see `linger`). */
  lingerMessages?: number;
  /** ... or once the oldest lingering batch has waited this long (ms). */
  lingerMs?: number;
  /** Time and timers: the process's own unless a test drives them. */
  clock?: WriterClock;
  /** Which hours this writer records as being written (its own, in the store, when absent). */
  ledger?: WriterLedger;
}

export interface WriterClock {
  now(): number;
  /** Calls `fire` after `ms`; the returned function cancels it. */
  setTimer(fire: () => void, ms: number): () => void;
}

export interface WriteOptions {
  /**
   * Wait for company before the flush: until `lingerMessages` messages wait or the oldest
   * lingering batch has waited `lingerMs`. The summaries' cost per event falls steeply
   * with the insert's size (70 µs at 2,000 events, 15 at 20,000), so a consumer that does
   * not wait for the write trades a bounded delay for a fraction of the CPU. Without it,
   * the batch is written as soon as no flush runs, with whatever waits beside it.
   */
  linger?: boolean;
  /**
   * Wait for company at most this long (ms) instead of the writer's `lingerMs` (0: never
   * waits), counted from the end of the flush running when it arrived, if any; the count
   * bound (`lingerMessages`) still flushes earlier. HTTP posts use a short one, so that
   * concurrent posts' chunks share one insert rather than one insert a post.
   */
  lingerMs?: number;
  /**
   * The batch's place in an ordered series (an HTTP post's chunks, one object per post):
   * when a flush holding a batch of the series fails, the series' batches still queued
   * behind it are refused with the same error, unwritten. Their caller retries them after
   * the failed one, so a later batch repeating an event never stores its copy first.
   */
  series?: object;
}

export interface EventWriter {
  /**
   * Resolves once every message of the batch is in `events`, `labels` or `dead_letters`
   * (so a Kafka consumer may commit): stored, found already stored (a duplicate), or
   * dead-lettered — including rows ClickHouse refused for their content, which are found
   * by bisection. Rejects with the store's error when it is not about content (the store
   * is down, a table is detached): the caller retries the same batch, which is safe —
   * what was written already is recognised as duplicate.
   */
  write(batch: PreparedBatch, options?: WriteOptions): Promise<void>;
  /**
   * Stops every batch waiting now from lingering (shutdown, drain); resolves once they
   * are written or refused (their own `write` promises say which).
   */
  flush(): Promise<void>;
  /**
   * Runs `task` between two flushes, none running meanwhile (a check and repair of the
   * summaries reads and writes what no insert of this process may change under it).
   */
  exclusive<T>(task: () => Promise<T>): Promise<T>;
  /** The hours this writer records as being written (see writerLedger.ts). */
  readonly ledger: WriterLedger;
  /** A stop: flushes, then records every hour it wrote (and whose inserts all succeeded) closed. */
  close(): Promise<void>;
}

/** config.ingest's defaults, measured in docs/BENCHMARKS.md ("A writer that lingers"). */
export const DEFAULT_LINGER = { messages: 20_000, ms: 200 } as const;

interface Pending {
  batch: PreparedBatch;
  since: number;
  /** How long it may wait for company; 0: it starts the next flush as soon as one may run. */
  lingerMs: number;
  /** Its wait counts from the end of the flush it queued behind (a write's own `lingerMs`). */
  afterFlush: boolean;
  series: object | undefined;
  resolve(): void;
  reject(error: unknown): void;
  written: Promise<void>;
}

const processClock: WriterClock = {
  now: () => performance.now(),
  setTimer(fire, ms) {
    const timer = setTimeout(fire, ms);
    return () => clearTimeout(timer);
  },
};

/**
 * One writer per process. Batches that arrive while a flush is running wait and are
 * written together by the next one (group commit): larger inserts, and JavaScript parsing
 * the next batches while the engine inserts on another core. A lingering batch also waits
 * for company when no flush runs (bounded by count and time). Flushes run one at a time,
 * in arrival order, which also makes the existence check and the insert atomic within
 * this process. The queue is bounded by its callers: the consumer stops fetching past its
 * pending bound, HTTP posts wait for their writes.
 */
export function createEventWriter(store: Store, options: WriterOptions): EventWriter {
  const { metrics } = options;
  const maxPartitions = options.maxPartitionsPerInsert ?? 100;
  const maxMessages = options.maxMessagesPerFlush ?? 50_000;
  const lingerMessages = options.lingerMessages ?? DEFAULT_LINGER.messages;
  const lingerMs = options.lingerMs ?? DEFAULT_LINGER.ms;
  const clock = options.clock ?? processClock;
  const ledger = options.ledger ?? createWriterLedger(store);
  const queue: Pending[] = [];
  /** Work run between flushes (exclusive), ahead of the next flush. */
  const tasks: (() => Promise<void>)[] = [];
  let queuedMessages = 0;
  let flushing = false;
  /** The batches of the flush running now. */
  let inFlight: Pending[] = [];
  let cancelTimer: (() => void) | undefined;
  let lastFlushEnd = -Infinity;

  /** Flushes when the queue is due; otherwise makes sure a timer fires when it will be. */
  function schedule(): void {
    if (flushing) return;
    if (tasks.length > 0) {
      void runTask(tasks.shift()!);
      return;
    }
    if (queue.length === 0) return;
    // the batch whose wait ends first decides when the flush starts
    const dueIn = Math.min(...queue.map(dueAt)) - clock.now();
    if (dueIn <= 0 || queuedMessages >= lingerMessages) {
      void drain();
      return;
    }
    cancelTimer?.();
    cancelTimer = clock.setTimer(() => {
      cancelTimer = undefined;
      schedule();
    }, dueIn);
  }

  /**
   * Whether a write of `series` has others to share an insert with: a batch of another
   * series (another post, a Kafka batch) in the flush running now or waiting in the queue.
   */
  function hasCompany(series: object | undefined): boolean {
    const other = (pending: Pending) => series === undefined || pending.series !== series;
    return inFlight.some(other) || queue.some(other);
  }

  /**
   * When a batch stops waiting. An HTTP chunk queued behind a flush waits from that flush's
   * end: the posts that flush answers are the company it waits for (their clients' next
   * posts), so concurrent posts fall into step and share inserts instead of alternating.
   */
  function dueAt(pending: Pending): number {
    const from = pending.afterFlush ? Math.max(pending.since, lastFlushEnd) : pending.since;
    return from + pending.lingerMs;
  }

  async function runTask(task: () => Promise<void>): Promise<void> {
    flushing = true;
    await task();
    flushing = false;
    schedule();
  }

  async function drain(): Promise<void> {
    flushing = true;
    cancelTimer?.();
    cancelTimer = undefined;
    const taken: Pending[] = [];
    let messages = 0;
    while (
      queue.length > 0 &&
      (taken.length === 0 || messages + queue[0]!.batch.messages.length <= maxMessages)
    ) {
      const next = queue.shift()!;
      messages += next.batch.messages.length;
      taken.push(next);
    }
    queuedMessages -= messages;
    inFlight = taken;
    try {
      await flush(taken.map((pending) => pending.batch));
      for (const pending of taken) pending.resolve();
    } catch (error) {
      for (const pending of taken) pending.reject(error);
      refuseQueuedBehind(taken, error);
    }
    inFlight = [];
    flushing = false;
    lastFlushEnd = clock.now();
    schedule();
  }

  /** The queued batches of a series one of `failed` belongs to: refused, unwritten. */
  function refuseQueuedBehind(failed: readonly Pending[], error: unknown): void {
    const series = new Set(failed.flatMap((pending) => (pending.series ? [pending.series] : [])));
    if (series.size === 0) return;
    for (let i = queue.length - 1; i >= 0; i -= 1) {
      const pending = queue[i]!;
      if (!pending.series || !series.has(pending.series)) continue;
      queue.splice(i, 1);
      queuedMessages -= pending.batch.messages.length;
      pending.reject(error);
    }
  }

  async function flush(batches: PreparedBatch[]): Promise<void> {
    await writeEvents(batches);
    await writeLabels(batches);
    await writeDeadLetters(batches);
  }

  async function writeEvents(batches: PreparedBatch[]): Promise<void> {
    type Owned = PreparedEvent;
    const unique = new Map<string, Owned>();
    for (const batch of batches) {
      for (const event of batch.events) {
        const key = eventKeyString(event);
        if (unique.has(key)) markDuplicate(batch, event.index);
        else unique.set(key, event);
      }
    }
    const fresh = await checking('events', () => withoutStored([...unique.values()]));
    if (fresh.length === 0) return;
    // before any of them can be stored: the hours they go into, so a crash is followed by a check
    await checking('summary_ledger', () => ledger.open(scopesOf(fresh)));
    for (const group of byPartitions(fresh, maxPartitions)) {
      await insertIsolating('events', group, {
        async insert(rows) {
          try {
            await insertEncodedEvents(store, concatRows(rows));
          } catch (error) {
            // `events` may hold them now while a view does not: the reconciler checks
            ledger.markDirty(scopesOf(rows));
            throw error;
          }
        },
        written: async (rows) => {
          const stored = await findStoredEvents(store, rows);
          return rows.map((row) => stored.has(eventKeyString(row)));
        },
        refuse: (row, error) => refuse(row.batch, row.index, error),
      });
    }

    async function withoutStored(rows: Owned[]): Promise<Owned[]> {
      if (rows.length === 0) return rows;
      const stored = await findStoredEvents(store, rows);
      if (stored.size === 0) return rows;
      return rows.filter((row) => {
        if (!stored.has(eventKeyString(row))) return true;
        markDuplicate(row.batch, row.index);
        return false;
      });
    }
  }

  async function writeLabels(batches: PreparedBatch[]): Promise<void> {
    type Owned = { row: LabelRow; index: number; batch: PreparedBatch };
    const unique = new Map<string, Owned>();
    for (const batch of batches) {
      for (const label of batch.labels) {
        const key = labelKeyString(label.row);
        if (unique.has(key)) markDuplicate(batch, label.index);
        else unique.set(key, { ...label, batch });
      }
    }
    const all = [...unique.values()];
    const stored = await checking('labels', () => storedLabels(all.map((label) => label.row)));
    const fresh = all.filter((label, i) => {
      if (!stored[i]) return true;
      markDuplicate(label.batch, label.index);
      return false;
    });
    await insertIsolating('labels', fresh, {
      insert: (rows) =>
        insertLabels(
          store,
          rows.map((label) => label.row),
        ),
      written: (rows) => storedLabels(rows.map((label) => label.row)),
      refuse: (label, error) => refuse(label.batch, label.index, error),
    });
  }

  async function storedLabels(rows: LabelRow[]): Promise<boolean[]> {
    const stored = await findStoredLabels(store, rows);
    return rows.map((row) => stored.has(labelKeyString(row)));
  }

  async function writeDeadLetters(batches: PreparedBatch[]): Promise<void> {
    const unique = new Map<string, DeadLetterRow>();
    for (const batch of batches) {
      for (const letter of batch.deadLetters) unique.set(deadLetterKey(letter.row), letter.row);
    }
    const all = [...unique.values()];
    const stored = await checking('dead_letters', () => storedDeadLetters(all));
    const fresh = all.filter((_, i) => !stored[i]);
    await insertIsolating('dead_letters', fresh, {
      insert: (rows) => insertDeadLetters(store, rows),
      written: storedDeadLetters,
      refuse: (row, error) => {
        metrics.recordLostDeadLetter();
        options.logger?.error(
          { dead_letter_id: row.dead_letter_id, reason: row.reason, err: error.message },
          'the store refused a dead letter: it is not stored',
        );
      },
    });
  }

  async function storedDeadLetters(rows: DeadLetterRow[]): Promise<boolean[]> {
    const stored = await findStoredDeadLetters(store, rows);
    return rows.map((row) => stored.has(deadLetterKey(row)));
  }

  /** A failed existence check counts as a failed write of its table. */
  async function checking<T>(table: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      metrics.recordInsertFailure(
        table,
        error instanceof StoreError ? error.failure : 'unexpected',
      );
      throw error;
    }
  }

  /**
   * Inserts rows; when the store refuses them for their content, finds the offending rows
   * by bisection and refuses only them. A table's part is committed before its views run:
   * when a view refuses a block, the table already holds its rows. Those rows are stored
   * (inserting them again would count them twice in the views that did take them); the
   * failure is logged and counted, and only rows the table does not hold are bisected.
   */
  async function insertIsolating<T>(
    table: string,
    rows: T[],
    steps: {
      insert(rows: T[]): Promise<void>;
      written(rows: T[]): Promise<boolean[]>;
      refuse(row: T, error: StoreError): void;
    },
  ): Promise<void> {
    if (rows.length === 0) return;
    const started = performance.now();
    try {
      await steps.insert(rows);
      metrics.recordInsert(table, (performance.now() - started) / 1000, rows.length);
      return;
    } catch (error) {
      const failure = error instanceof StoreError ? error.failure : 'unexpected';
      metrics.recordInsertFailure(table, failure);
      if (!(error instanceof StoreError) || error.failure !== 'content') throw error;
      const written = await checking(table, () => steps.written(rows));
      const absent = rows.filter((_, i) => !written[i]);
      if (absent.length < rows.length) {
        options.logger?.error(
          { table, rows: rows.length - absent.length, err: firstLine(error.message) },
          'a view refused rows the table had stored: they stay stored; views may lack them',
        );
      }
      if (absent.length === 0) return;
      // Some rows were taken: the refusal may have been theirs; try the others again.
      if (absent.length < rows.length) return insertIsolating(table, absent, steps);
      if (rows.length === 1) {
        steps.refuse(rows[0]!, error);
        return;
      }
      const half = Math.ceil(rows.length / 2);
      await insertIsolating(table, rows.slice(0, half), steps);
      await insertIsolating(table, rows.slice(half), steps);
    }
  }

  const writer: EventWriter = {
    write(batch, writeOptions) {
      let resolve!: () => void;
      let reject!: (error: unknown) => void;
      const written = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      const series = writeOptions?.series;
      const afterFlush = writeOptions?.lingerMs !== undefined;
      // a write's own bound (an HTTP chunk) waits only where there is company to wait for:
      // a lone client's post, or its next chunk behind its own first, is written at once
      const own = afterFlush && hasCompany(series) ? (writeOptions?.lingerMs ?? 0) : 0;
      const waits = afterFlush ? own : writeOptions?.linger === true ? lingerMs : 0;
      const since = clock.now();
      queue.push({ batch, since, lingerMs: waits, afterFlush, series, resolve, reject, written });
      queuedMessages += batch.messages.length;
      schedule();
      return written;
    },
    async flush() {
      const all = [...inFlight, ...queue];
      for (const pending of queue) pending.lingerMs = 0;
      schedule();
      // each write's own promise says how it went; this one only waits for them
      await Promise.all(all.map((pending) => pending.written.catch(() => undefined)));
    },
    exclusive<T>(task: () => Promise<T>): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        tasks.push(() => task().then(resolve, reject));
        schedule();
      });
    },
    ledger,
    async close() {
      await writer.flush();
      await writer.exclusive(() => ledger.closeAll());
    },
  };
  return writer;
}

/** The hours (per model and kind) of these events: what the summary ledger records. */
function scopesOf(events: readonly PreparedEvent[]): SummaryScope[] {
  // no string built per event: a flush holds tens of thousands of events and few hours
  const hours = new Map<string, Map<PreparedEvent['kind'], Set<number>>>();
  for (const event of events) {
    let kinds = hours.get(event.model);
    if (!kinds) hours.set(event.model, (kinds = new Map()));
    let set = kinds.get(event.kind);
    if (!set) kinds.set(event.kind, (set = new Set()));
    set.add(hourOf(event.tsMs));
  }
  const scopes: SummaryScope[] = [];
  for (const [model, kinds] of hours) {
    for (const [kind, set] of kinds) {
      for (const hourMs of set) scopes.push({ model, kind, hourMs });
    }
  }
  return scopes;
}

/** A row ClickHouse refused for its content, found alone by bisection: its message is dead-lettered. */
function refuse(batch: PreparedBatch, index: number, error: StoreError): void {
  const detail = `ClickHouse refused the row: ${firstLine(error.message)}`;
  batch.outcomes[index] = { status: 'dead_letter', reason: 'store_refused', detail };
  batch.deadLetters.push({ index, row: batch.deadLetterFor(index, 'store_refused', detail) });
}

function deadLetterKey(row: DeadLetterRow): string {
  return `${row.source}\u0000${row.dead_letter_id}`;
}

function markDuplicate(batch: PreparedBatch, index: number): void {
  const outcome = batch.outcomes[index];
  if (outcome?.status === 'stored') batch.outcomes[index] = DUPLICATE[outcome.kind];
}

/** The rows' bytes, each run of adjacent rows of one batch taken as one slice. */
function concatRows(rows: readonly PreparedEvent[]): Buffer {
  const slices: Buffer[] = [];
  let batch: PreparedBatch | undefined;
  let start = 0;
  let end = 0;
  for (const row of rows) {
    if (row.batch === batch && row.start === end) {
      end = row.end;
      continue;
    }
    if (batch) slices.push(batch.encoded.subarray(start, end));
    ({ batch, start, end } = row);
  }
  if (batch) slices.push(batch.encoded.subarray(start, end));
  return slices.length === 1 ? slices[0]! : Buffer.concat(slices);
}

/**
 * Rows grouped so that no insert touches more than `maxPartitions` months: ClickHouse
 * refuses a block spanning more (`max_partitions_per_insert_block`), and a backfill batch
 * may span years. A live batch (one or two months) stays one insert.
 */
export function byPartitions<T extends { month: number }>(rows: T[], maxPartitions: number): T[][] {
  const months = new Set(rows.map((row) => row.month));
  if (months.size <= maxPartitions) return rows.length === 0 ? [] : [rows];
  const sortedMonths = [...months].sort((a, b) => a - b);
  const groupOf = new Map(sortedMonths.map((month, i) => [month, Math.floor(i / maxPartitions)]));
  const groups: T[][] = [];
  for (const row of rows) (groups[groupOf.get(row.month)!] ??= []).push(row);
  return groups;
}

function firstLine(text: string): string {
  return text.split('\n')[0]?.slice(0, 500) ?? '';
}
