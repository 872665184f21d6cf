import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createOrderedQueue, GivenUpBehindFailure, type OrderedWork } from './orderedQueue.js';

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets every pending reaction run (the queue's steps are promise reactions). */
const settleReactions = () => new Promise((resolve) => setImmediate(resolve));

/**
 * An item whose preparation, attempts and retry decisions the test settles by hand; what
 * the queue does with it is written to `log` ("attempt b", "take b").
 */
function handDriven(name: string, log: string[]) {
  const prepared = deferred<string>();
  const attempts: Deferred<void>[] = [];
  const retries: Deferred<boolean>[] = [];
  const work: OrderedWork<string> = {
    prepare: () => prepared.promise,
    attempt: () => {
      log.push(`attempt ${name}`);
      const attempt = deferred();
      attempts.push(attempt);
      return attempt.promise;
    },
    retry: () => {
      const retry = deferred<boolean>();
      retries.push(retry);
      return retry.promise;
    },
    take: (value) => log.push(`take ${value}`),
  };
  return {
    work,
    prepare: () => prepared.resolve(name),
    /** The latest attempt's outcome. */
    succeed: () => attempts.at(-1)!.resolve(),
    fail: (error: unknown) => attempts.at(-1)!.reject(error),
    /** The latest retry's decision. */
    retry: (again: boolean) => retries.at(-1)!.resolve(again),
  };
}

function queueOf(names: string[]) {
  const log: string[] = [];
  const queue = createOrderedQueue();
  const items = names.map((name) => handDriven(name, log));
  for (const item of items) queue.submit(item.work);
  return { queue, log, items };
}

describe('createOrderedQueue', () => {
  it('takes results in submission order when later items finish first', async () => {
    const { queue, log, items } = queueOf(['a', 'b', 'c']);
    for (const item of items) item.prepare();
    await settleReactions();
    items[2]!.succeed();
    items[1]!.succeed();
    await settleReactions();
    expect(log).toEqual(['attempt a', 'attempt b', 'attempt c']); // nothing taken before a
    items[0]!.succeed();
    await queue.settleAll();
    expect(log).toEqual(['attempt a', 'attempt b', 'attempt c', 'take a', 'take b', 'take c']);
    expect(queue.unsettled).toBe(0);
  });

  it('hands items over in order: one prepared first waits for the one before it', async () => {
    const { queue, log, items } = queueOf(['a', 'b']);
    items[1]!.prepare();
    await settleReactions();
    expect(log).toEqual([]);
    items[0]!.prepare();
    await settleReactions();
    expect(log).toEqual(['attempt a', 'attempt b']);
    items[0]!.succeed();
    items[1]!.succeed();
    await queue.settleAll();
  });

  it('takes a prefix: nothing after an item given up, even what succeeded, each with why', async () => {
    const { queue, log, items } = queueOf(['a', 'b', 'c']);
    for (const item of items) item.prepare();
    await settleReactions();
    items[0]!.succeed();
    items[2]!.succeed(); // c was handed over before b failed: it may be written, never taken
    const storeDown = new Error('store down');
    items[1]!.fail(storeDown);
    await settleReactions();
    items[1]!.retry(false);
    const outcomes = await Promise.allSettled([
      queue.settleOldest(),
      queue.settleOldest(),
      queue.settleOldest(),
    ]);
    expect(log.filter((line) => line.startsWith('take'))).toEqual(['take a']);
    expect(outcomes[0]).toEqual({ status: 'fulfilled', value: undefined });
    expect(outcomes[1]).toEqual({ status: 'rejected', reason: storeDown });
    const behind = (outcomes[2] as PromiseRejectedResult).reason as GivenUpBehindFailure;
    expect(behind).toBeInstanceOf(GivenUpBehindFailure);
    expect({ reason: behind.reason, failedAt: behind.failedAt, cause: behind.cause }).toEqual({
      reason: 'behind_a_failure',
      failedAt: 1,
      cause: storeDown,
    });
  });

  it('starts no attempt of a later item while an earlier one is failing, and goes on once its retry succeeds', async () => {
    const { queue, log, items } = queueOf(['a', 'b', 'c']);
    items[0]!.prepare();
    await settleReactions();
    items[0]!.fail(new Error('store down'));
    await settleReactions();
    // b and c are ready while a waits for its retry: neither may be written before a is
    items[1]!.prepare();
    items[2]!.prepare();
    await settleReactions();
    expect(log).toEqual(['attempt a']);
    items[0]!.retry(true);
    await settleReactions();
    expect(log).toEqual(['attempt a', 'attempt a']);
    items[0]!.succeed();
    await settleReactions();
    // b waited on a failing item: until b is written, c waits on b in turn
    expect(log).toEqual(['attempt a', 'attempt a', 'take a', 'attempt b']);
    items[1]!.succeed();
    await settleReactions();
    expect(log.slice(-2)).toEqual(['take b', 'attempt c']);
    items[2]!.succeed();
    await queue.settleAll();
    expect(log.at(-1)).toEqual('take c');
  });

  it('retries a handed-over item refused behind a failing one only after that one is written', async () => {
    const { queue, log, items } = queueOf(['a', 'b']);
    items[0]!.prepare();
    items[1]!.prepare();
    await settleReactions();
    // the writer refuses b with a's failure (both in its queue): both retry
    items[0]!.fail(new Error('store down'));
    items[1]!.fail(new Error('store down'));
    await settleReactions();
    items[1]!.retry(true);
    await settleReactions();
    expect(log).toEqual(['attempt a', 'attempt b']); // b waits for a's retry
    items[0]!.retry(true);
    await settleReactions();
    items[0]!.succeed();
    await settleReactions();
    expect(log).toEqual(['attempt a', 'attempt b', 'attempt a', 'take a', 'attempt b']);
    items[1]!.succeed();
    await queue.settleAll();
  });

  it('gives up the items behind one given up, unstarted, naming the one that failed', async () => {
    const { queue, log, items } = queueOf(['a', 'b', 'c']);
    items[0]!.prepare();
    await settleReactions();
    const storeDown = new Error('store down');
    items[0]!.fail(storeDown);
    items[1]!.prepare();
    items[2]!.prepare();
    await settleReactions();
    items[0]!.retry(false);
    await expect(queue.settleOldest()).rejects.toBe(storeDown);
    for (let behind = 1; behind <= 2; behind += 1) {
      await expect(queue.settleOldest()).rejects.toMatchObject({
        name: 'GivenUpBehindFailure',
        reason: 'behind_a_failure',
        failedAt: 0,
        cause: storeDown,
      });
    }
    expect(log).toEqual(['attempt a']);
  });

  it('gives up an item whose preparation failed, and those behind it, unstarted', async () => {
    const log: string[] = [];
    const queue = createOrderedQueue();
    const unparsable = new Error('unparsable');
    queue.submit({ ...handDriven('a', log).work, prepare: () => Promise.reject(unparsable) });
    const b = handDriven('b', log);
    queue.submit(b.work);
    b.prepare();
    await expect(queue.settleOldest()).rejects.toBe(unparsable);
    await expect(queue.settleOldest()).rejects.toBeInstanceOf(GivenUpBehindFailure);
    expect(log).toEqual([]);
  });

  it('finishAll waits for every item whatever failed, and forgets them; settleAll stops at the first failure', async () => {
    const { queue, log, items } = queueOf(['a', 'b', 'c']);
    for (const item of items) item.prepare();
    await settleReactions();
    items[0]!.fail(new Error('store down'));
    await settleReactions();
    items[0]!.retry(false);
    await expect(queue.settleAll()).rejects.toThrow('store down');
    expect(queue.unsettled).toBe(2); // b and c still running: settleAll stopped at a
    let finished = false;
    const finishing = queue.finishAll().then(() => (finished = true));
    expect(queue.unsettled).toBe(0);
    items[1]!.succeed();
    await settleReactions();
    expect(finished).toBe(false); // c's write is still out
    items[2]!.fail(new Error('refused behind a'));
    await settleReactions();
    items[2]!.retry(false);
    await finishing;
    expect(log.filter((line) => line.startsWith('take'))).toEqual([]);
  });

  it('in any order of preparations, attempts, failures and retries: hands over in order, takes a prefix, never starts an attempt past a failure', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        // per item, its attempts' outcomes (true: written); all false: given up
        fc.array(fc.array(fc.boolean(), { minLength: 1, maxLength: 3 }), {
          minLength: 1,
          maxLength: 6,
        }),
        async (s, plans) => {
          const log: { what: 'attempt' | 'ok' | 'fail' | 'take'; item: number }[] = [];
          const queue = createOrderedQueue();
          plans.forEach((outcomes, item) => {
            let attempts = 0;
            queue.submit<number>({
              prepare: () => s.schedule(Promise.resolve(item), `prepare ${item}`),
              attempt: () => {
                const written = outcomes[attempts]!;
                attempts += 1;
                log.push({ what: 'attempt', item });
                return s.schedule(Promise.resolve(), `attempt ${item}`).then(() => {
                  log.push({ what: written ? 'ok' : 'fail', item });
                  if (!written) throw new Error(`store down at ${item}`);
                });
              },
              retry: () => s.schedule(Promise.resolve(attempts < outcomes.length)),
              take: (value) => log.push({ what: 'take', item: value }),
            });
          });
          const settling = Promise.allSettled(plans.map(() => queue.settleOldest()));
          const outcomes = await s.waitFor(settling);

          // rule 1: first attempts in submission order
          const firstAttempts = [
            ...new Set(log.filter((e) => e.what === 'attempt').map((e) => e.item)),
          ];
          expect(firstAttempts).toEqual([...firstAttempts].sort((a, b) => a - b));
          // rule 2: taken are the items before the first one given up, in order
          const givenUp = plans.findIndex((attempts) => !attempts.includes(true));
          const takenCount = givenUp === -1 ? plans.length : givenUp;
          const taken = log.filter((e) => e.what === 'take').map((e) => e.item);
          expect(taken).toEqual(Array.from({ length: takenCount }, (_, i) => i));
          outcomes.forEach((outcome, item) => {
            if (item < takenCount) expect(outcome.status).toBe('fulfilled');
            else if (item === givenUp) {
              expect(outcome).toMatchObject({ reason: { message: `store down at ${item}` } });
            } else if (outcome.status === 'fulfilled') {
              expect.fail(`item ${item} taken behind item ${givenUp}, given up`);
            } else if (outcome.reason instanceof GivenUpBehindFailure) {
              expect(outcome.reason.failedAt).toBeGreaterThanOrEqual(givenUp);
              expect(outcome.reason.failedAt).toBeLessThan(item);
            } else {
              expect(outcome.reason).toMatchObject({ message: `store down at ${item}` });
            }
          });
          // rule 3: from an attempt's failure until one of that item succeeds, no attempt
          // of a later item starts (an item given up stays failing)
          const failing = new Set<number>();
          for (const event of log) {
            if (event.what === 'fail') failing.add(event.item);
            if (event.what === 'ok') failing.delete(event.item);
            if (event.what === 'attempt') {
              const earlier = [...failing].filter((item) => item < event.item);
              expect(earlier, `attempt of ${event.item} past a failing item`).toEqual([]);
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
