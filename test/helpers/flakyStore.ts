import { storeError, type Store } from '../../src/store/clickhouse.js';

/**
 * The real store, but for its first insert into `table`: that one waits for `until` (so
 * the test can line up what must be queued behind it), then fails as a lost connection does
 * (retriable), or with `fail: false` goes through. `entered` says the held insert has begun.
 * Every other call is the real store's.
 */
export function storeHoldingFirstInsert(
  store: Store,
  table: string,
  until: Promise<unknown>,
  options: { fail: boolean },
): { store: Store; entered: () => boolean; failed: () => boolean } {
  let entered = false;
  let failed = false;
  return {
    entered: () => entered,
    failed: () => failed,
    store: {
      ...store,
      async insertRowBinary(target, columns, structure, data, settings) {
        if (target === table && !entered) {
          entered = true;
          await until;
          if (options.fail) {
            failed = true;
            throw storeError(`insert into ${table}`, new Error('socket hang up (test)'));
          }
        }
        return store.insertRowBinary(target, columns, structure, data, settings);
      },
    },
  };
}

/** storeHoldingFirstInsert whose held insert fails. */
export function storeFailingFirstInsert(
  store: Store,
  table: string,
  until: Promise<unknown>,
): { store: Store; failed: () => boolean } {
  return storeHoldingFirstInsert(store, table, until, { fail: true });
}
