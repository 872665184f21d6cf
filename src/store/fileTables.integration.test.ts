import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestStore } from '../../test/helpers/store.js';
import type { Store } from './clickhouse.js';
import { queryUniqueColumns } from './fileTables.js';

describe('queryUniqueColumns on columns with no inference sample (Parquet, Arrow)', () => {
  let store: Store & { close(): Promise<void> };
  beforeAll(async () => {
    store = await openTestStore({ migrate: false });
    // 30,000 rows: an id; a code unique over the first 10,000 rows only (the pre-check's
    // rows), so the full check must still refuse it; a float; a repeated category
    await store.command(
      `CREATE TABLE t ENGINE = MergeTree ORDER BY n AS
       SELECT number AS n, toInt64(number * 7 + 3) AS id, toInt64(number % 20000) AS code,
              number / 3 AS ratio, ['a', 'b'][number % 2 + 1] AS kind, toString(number) AS tag
       FROM numbers(30000)`,
    );
  }, 60_000);
  afterAll(async () => store.close());

  it('finds the id-like columns the full check finds, and only those', async () => {
    const unique = await queryUniqueColumns(store, 't', [
      { name: 'id', kind: 'numeric' },
      { name: 'code', kind: 'numeric' },
      { name: 'ratio', kind: 'numeric' },
      { name: 'kind', kind: 'categorical' },
      { name: 'tag', kind: 'categorical' },
    ]);
    expect([...unique].sort()).toEqual(['id', 'tag']);
  });

  it('still trusts a sample that says a column repeats, and finds nothing under 100 rows', async () => {
    const sampled = await queryUniqueColumns(store, 't', [
      { name: 'id', kind: 'numeric', uniqueInSample: false },
      { name: 'tag', kind: 'categorical', uniqueInSample: true },
    ]);
    expect([...sampled]).toEqual(['tag']);
    await store.command(
      'CREATE TABLE small ENGINE = Memory AS SELECT number AS id FROM numbers(50)',
    );
    expect(await queryUniqueColumns(store, 'small', [{ name: 'id', kind: 'numeric' }])).toEqual(
      new Set(),
    );
  });
});
