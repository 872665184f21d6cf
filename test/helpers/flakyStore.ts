import { storeError, type Store } from '../../src/store/clickhouse.js';

/**
 * The real store, but for its first insert into `table`: that one waits for `until` (so
 * the test can line up what must be queued behind it), then fails as a lost connection does
 * (retriable). Every other call is the real store's.
 */
export function storeFailingFirstInsert(
  store: Store,
  table: string,
  until: Promise<unknown>,
): { store: Store; failed: () => boolean } {
  let failed = false;
  return {
    failed: () => failed,
    store: {
      ...store,
      async insertRowBinary(target, columns, structure, data, settings) {
        if (target === table && !failed) {
          failed = true;
          await until;
          throw storeError(`insert into ${table}`, new Error('socket hang up (test)'));
        }
        return store.insertRowBinary(target, columns, structure, data, settings);
      },
    },
  };
}
