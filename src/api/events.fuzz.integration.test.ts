import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mixedBatch, type FuzzItem } from '../../test/helpers/eventArbitraries.js';
import { openTestStore } from '../../test/helpers/store.js';
import { loadIngestConfig } from '../config/config.js';
import { createIngestMetrics } from '../ingest/metrics.js';
import { DEAD_LETTER_REASONS } from '../ingest/outcome.js';
import type { Store } from '../store/clickhouse.js';
import { buildApp } from './app.js';

const SEED = 20_261_123;
const RUNS = 120;

/**
 * Property: whatever a batch mixes — valid events of every kind with awkward content, and
 * hostile payloads — POST /v1/events answers 200 or 207 (never a 5xx), names a known reason
 * for each refused event, stores every good event exactly once, and stores nothing more
 * when the client sends the same body again. fast-check prints the seed and the shrunk
 * counterexample on failure (replay with `{ seed, path }`).
 */
describe('HTTP ingest under random and malicious payloads (fast-check)', () => {
  let store: Store;
  let app: ReturnType<typeof buildApp>;
  beforeAll(async () => {
    store = await openTestStore();
    await store.command(
      `CREATE TABLE inserted_rows (tbl LowCardinality(String), model String, n UInt64)
       ENGINE = SummingMergeTree ORDER BY (tbl, model)`,
    );
    for (const table of ['events', 'labels']) {
      await store.command(
        `CREATE MATERIALIZED VIEW count_${table} TO inserted_rows AS
         SELECT '${table}' AS tbl, model, count() AS n FROM ${table} GROUP BY model`,
      );
    }
    app = buildApp({
      store,
      metrics: createIngestMetrics(),
      monitors: () => [],
      ingest: { ...loadIngestConfig({}), maxEventBytes: 16 * 1024 },
    });
  });
  afterAll(async () => {
    await app.close();
    await store.close();
  });

  async function inserted(model: string): Promise<number> {
    const [row] = await store.query<{ n: string }>(
      'SELECT sum(n) AS n FROM inserted_rows WHERE model = {model:String}',
      { model },
    );
    return Number(row?.n ?? 0);
  }

  /** NDJSON framing: one line per item, whatever bytes a hostile payload holds. */
  function line(item: FuzzItem): Buffer {
    const bytes = Buffer.from(item.payload.map((b) => (b === 0x0a || b === 0x0d ? 0x20 : b)));
    return bytes.toString().trim() === '' ? Buffer.from('-') : bytes;
  }

  it('answers every event, stores the good ones exactly once, and stays up', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.integer().chain(() => {
          run += 1;
          const prefix = `h${run}`;
          return mixedBatch(
            prefix,
            ['prediction', 'feature', 'label'],
            {
              good: `fuzz-good-${run}`,
              bad: `fuzz-bad-${run}`,
            },
            { typed: true },
          ).map((items) => ({ items, run }));
        }),
        async ({ items, run: caseRun }) => {
          const body = Buffer.concat(items.flatMap((item) => [line(item), Buffer.from('\n')]));
          const post = () =>
            app.inject({
              method: 'POST',
              url: '/v1/events',
              headers: { 'content-type': 'application/x-ndjson' },
              payload: body,
            });
          const response = await post();
          expect([200, 207]).toContain(response.statusCode);
          const answer = response.json() as {
            accepted: number;
            rejected: number;
            errors: { index: number; reason: string; detail: string }[];
          };
          expect(answer.accepted + answer.rejected).toBe(items.length);
          for (const error of answer.errors) {
            expect(DEAD_LETTER_REASONS).toContain(error.reason);
            expect(error.detail.length).toBeGreaterThan(0);
            expect(items[error.index]?.good, `good event refused: ${error.detail}`).toBe(false);
          }
          const good = items.filter((item) => item.good).length;
          const goodModel = `fuzz-good-${caseRun}`;
          expect(await inserted(goodModel)).toBe(good);
          // The client's retry of the same body stores nothing more.
          const retry = await post();
          expect(retry.json()).toMatchObject({
            accepted: answer.accepted,
            rejected: answer.rejected,
          });
          expect(await inserted(goodModel)).toBe(good);
          expect(await inserted(`fuzz-bad-${caseRun}`)).toBe(answer.accepted - good);
        },
      ),
      { seed: SEED, numRuns: RUNS },
    );
    const health = await app.inject({ method: 'GET', url: '/healthz' });
    expect(health.statusCode).toBe(200);
  });
});
