/**
 * An ordered queue: work submitted one item after another, run at once and side by side,
 * its results taken strictly in the order it was submitted. HTTP ingest writes a post's
 * chunks through one (src/api/routes/events.ts); the rules it keeps are why a post's answer
 * stays true when a write fails halfway:
 *
 * 1. **Handed over in order.** An item's first attempt starts only once the item before it
 *    started its own (or ended without one). An attempt that queues a write before it
 *    returns (the writer's `write`) thus queues the items in their order, and the writer
 *    keeps the first of two copies of an event, as if they were written one by one.
 * 2. **Taken as a prefix.** An item's result is taken only after every earlier item's was,
 *    and nothing is taken after an item that failed: what was taken is always the first
 *    items submitted (a post's `processed` is a prefix of its body).
 * 3. **Never past a failure.** While an item is failing (an attempt failed and none has
 *    succeeded since, or it waits on a failing one before it), no attempt of a later item
 *    starts: it waits until every item before it is taken, and is given up unstarted
 *    (`GivenUpBehindFailure`) when one of them is given up. So a later copy of an event is
 *    never stored before the first copy's retry.
 *
 * Pure logic: no timers, no I/O. Waiting between attempts is the work's own `retry`.
 */

/** One item of work, as the queue runs it. */
export interface OrderedWork<P> {
  /** Runs at once, beside the other items' preparations (parsing a chunk). */
  prepare(): Promise<P>;
  /**
   * One attempt (a write), called in order (rule 1). Return the write's own promise: the
   * queue marks the item failing from its rejection before any later item's code runs.
   */
  attempt(prepared: P): Promise<unknown>;
  /** After a failed attempt: resolves true to try again (once it has waited), false to give up. */
  retry(error: unknown, failures: number): Promise<boolean>;
  /** The item's result, taken in submission order (rule 2). */
  take(prepared: P): void;
}

export interface OrderedQueue {
  /** Starts `work` now; it is taken after every item submitted before it. */
  submit<P>(work: OrderedWork<P>): void;
  /** Items submitted and not yet settled: a caller bounds its memory by this. */
  readonly unsettled: number;
  /** Waits for the oldest unsettled item to be taken; rejects with why it was not. */
  settleOldest(): Promise<void>;
  /** Settles every item, oldest first; rejects at the first one that was not taken. */
  settleAll(): Promise<void>;
  /**
   * Waits until every item is taken or given up, whatever failed, and forgets them: after a
   * failure, so an answer counts everything that could be taken.
   */
  finishAll(): Promise<void>;
}

/** Why an item was not taken: an earlier one failed (its error is the `cause`). */
export class GivenUpBehindFailure extends Error {
  readonly reason = 'behind_a_failure';
  constructor(
    /** The failed item's place in the queue (0: the first submitted). */
    readonly failedAt: number,
    cause: unknown,
  ) {
    super(`given up: item ${failedAt} before it failed`, { cause });
    this.name = 'GivenUpBehindFailure';
  }
}

/** An item as the one after it sees it. */
interface Item {
  readonly place: number;
  /** Resolves once its first attempt started, or once it ended without one (rule 1). */
  readonly handedOver: Promise<void>;
  /** Resolves once taken; rejects with why it was not (its failure, or an earlier one's). */
  readonly taken: Promise<void>;
  /**
   * Rule 3: the nearest item not yet taken, this one or one before it, that is failing (an
   * attempt failed, or it waits on a failing one, and no attempt succeeded since).
   */
  readonly blocker: Item | undefined;
}

export function createOrderedQueue(): OrderedQueue {
  let last: Item | undefined;
  let submitted = 0;
  /** The items' `taken`, oldest first, not yet settled. */
  const unsettled: Promise<void>[] = [];
  const queue: OrderedQueue = {
    submit(work) {
      last = startItem(work, submitted, last);
      submitted += 1;
      unsettled.push(last.taken);
    },
    get unsettled() {
      return unsettled.length;
    },
    async settleOldest() {
      await unsettled.shift();
    },
    async settleAll() {
      while (unsettled.length > 0) await queue.settleOldest();
    },
    async finishAll() {
      await Promise.allSettled(unsettled.splice(0));
    },
  };
  return queue;
}

function startItem<P>(work: OrderedWork<P>, place: number, earlier: Item | undefined): Item {
  /** The item before; forgotten once this one is taken (it holds a prepared chunk). */
  let before = earlier;
  let handOver: () => void = () => undefined;
  const handedOver = new Promise<void>((resolve) => (handOver = resolve));
  let failing = false;

  /**
   * Rule 3: while an item before this one is failing, waits for every earlier item to be
   * taken (the failing one's retry succeeded), and gives up when one of them is given up.
   */
  const clearOfEarlierFailures = async () => {
    const waitedOn = before;
    if (!waitedOn?.blocker) return;
    failing = true; // the items after this one wait too
    await waitedOn.taken.catch((error: unknown) => {
      throw givenUpBehind(waitedOn, error);
    });
  };

  const run = async (): Promise<P> => {
    try {
      const prepared = await work.prepare();
      await before?.handedOver; // rule 1
      for (let failures = 0; ;) {
        await clearOfEarlierFailures();
        const attempt = work.attempt(prepared);
        // marked before any later item can start an attempt: this reaction runs first
        attempt.catch(() => (failing = true));
        handOver();
        try {
          await attempt;
          failing = false;
          return prepared;
        } catch (error) {
          failures += 1;
          if (!(await work.retry(error, failures))) throw error;
        }
      }
    } catch (error) {
      failing = true; // given up: the items after it give up too, unstarted
      throw error;
    } finally {
      handOver(); // an item that ended before its attempt never holds up the next
    }
  };

  /** Rule 2: taken after its own success and after the item before it was taken. */
  const takeInOrder = async (prepared: P) => {
    const waitedOn = before;
    await waitedOn?.taken.catch((error: unknown) => {
      throw givenUpBehind(waitedOn, error);
    });
    work.take(prepared);
  };

  const done = run();
  const taken = done.then(takeInOrder);
  // seen by whoever settles the item, and by the next one; never unhandled
  done.catch(() => undefined);
  // once taken, every item before it was: none of them can block a later one
  taken.then(() => (before = undefined)).catch(() => undefined);
  const item: Item = {
    place,
    handedOver,
    taken,
    get blocker() {
      return failing ? item : before?.blocker;
    },
  };
  return item;
}

/** The reason to give up behind `item`: the first failure, named once down the line. */
function givenUpBehind(item: Item, error: unknown): GivenUpBehindFailure {
  return error instanceof GivenUpBehindFailure
    ? error
    : new GivenUpBehindFailure(item.place, error);
}
