import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestStore } from '../../test/helpers/store.js';
import type { Store } from './clickhouse.js';
import { queryClassificationAggregates } from './classificationQueries.js';
import { ALL_SLICES } from './driftQueries.js';
import { queryMulticlassAggregates } from './multiclassQueries.js';

/**
 * AUROC's Mann-Whitney count over scores that are equal but stored apart: −0 and 0 compare
 * equal (a tie, counted half, as roc_auc_score does), but ClickHouse's GROUP BY keeps them
 * in two groups, and a running sum over the second would rank the first's negatives below it.
 */
describe('the classification aggregates of tied scores', () => {
  let store: Store;
  beforeAll(async () => {
    store = await openTestStore();
  });
  afterAll(async () => {
    await store.close();
  });

  it('counts −0 and 0 as one score: every pair a tie', async () => {
    // −0: two positives and a negative; 0: a positive and two negatives. Every score is
    // equal, so each of the 3 × 3 pairs counts half: 4.5, AUROC 0.5. Kept apart, the count
    // is 3 or 6 depending on which group comes first.
    const rows = [
      [-0, 1],
      [-0, 1],
      [-0, 0],
      [0, 1],
      [0, 0],
      [0, 0],
    ];
    const values = rows.map(
      ([score, label]) => `('s', ${Object.is(score, -0) ? '-0.' : '0.'}, ${label})`,
    );
    const [all] = (
      await queryClassificationAggregates(
        store,
        {
          sql: `SELECT slice, toNullable(score) AS score, toNullable(toUInt8(label)) AS label
                FROM values('slice String, score Float64, label UInt8', ${values.join(', ')})`,
          params: {},
        },
        0.5,
      )
    ).filter((group) => group.slice === ALL_SLICES);
    expect(all).toMatchObject({ n: 6, positives: 3, negatives: 3, pairsWon: 4.5 });
  });

  it('counts a class score of −0 and one of 0 as one score, one vs rest', async () => {
    // class "a"'s score is −0 for two rows labelled a and one labelled b, and 0 for one
    // labelled a and two labelled b: every pair a tie, 4.5 of 3 × 3
    const rows = [
      ['-0.', 'a'],
      ['-0.', 'a'],
      ['-0.', 'b'],
      ['0.', 'a'],
      ['0.', 'b'],
      ['0.', 'b'],
    ];
    const values = rows.map(([score, label]) => `('s', ${score}, '${label}')`);
    const [all] = await queryMulticlassAggregates(store, {
      sql: `SELECT slice, toNullable(label) AS label, toNullable(label) AS predicted,
                   map('a', score) AS scores
            FROM values('slice String, score Float64, label String', ${values.join(', ')})`,
      params: {},
    });
    expect(all?.classScores.find((c) => c.class === 'a')).toMatchObject({
      positives: 3,
      negatives: 3,
      pairsWon: 4.5,
    });
  });
});
