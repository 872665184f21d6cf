import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestStore } from '../../test/helpers/store.js';
import type { Store } from './clickhouse.js';
import { migrate, readMigrations, splitStatements } from './migrate.js';

describe('migrations on embedded ClickHouse', () => {
  let store: Store;
  beforeAll(async () => {
    store = await openTestStore();
  });
  afterAll(async () => {
    await store.close();
  });

  it('records every migration once and is idempotent', async () => {
    const versions = readMigrations().map((migration) => migration.version);
    expect(await migrate(store)).toEqual([]); // openTestStore already migrated
    const rows = await store.query<{ version: number }>(
      'SELECT version FROM schema_migrations FINAL ORDER BY version',
    );
    expect(rows.map((row) => Number(row.version))).toEqual(versions);
  });

  it('creates the event, baseline and history tables', async () => {
    const tables = await store.query<{ name: string }>(
      'SELECT name FROM system.tables WHERE database = currentDatabase() ORDER BY name',
    );
    expect(tables.map((table) => table.name)).toEqual(
      expect.arrayContaining([
        'baseline_rows',
        'baselines',
        'dead_letters',
        'events',
        'feature_logs',
        'labels',
        'monitor_results',
        'monitor_runs',
        'predictions',
        'reference_rows',
      ]),
    );
  });

  it('refuses a migration whose file changed after it was applied', async () => {
    const changed = readMigrations().map((migration, index) =>
      index === 0 ? { ...migration, checksum: 'edited' } : migration,
    );
    await expect(migrate(store, changed)).rejects.toMatchObject({ code: 'DW_MIGRATION' });
  });
});

describe('migration 0004: events and baselines of earlier versions', () => {
  let store: Store & { dataDir: string };
  beforeAll(async () => {
    store = await openTestStore({ migrate: false });
    await migrate(
      store,
      readMigrations().filter((migration) => migration.version <= 3),
    );
  });
  afterAll(async () => {
    await store.close();
  });

  it('copies JSON features into the typed maps, keeping the type each value had, and copies once', async () => {
    const event = {
      model: 'm',
      ts: '2026-11-20 10:00:00.000',
      prediction_id: 'p1',
      attributes: { country: 'FR' },
      features: { amount: 12.5, count: 3, merchant: 'grocery' },
    };
    await store.insert('predictions', [{ ...event, event_id: 'e1', score: 0.25 }], {
      input_format_json_infer_incomplete_types_as_strings: 1,
    });
    await store.insert('feature_logs', [{ ...event, event_id: 'f1' }]);
    await store.insert('baseline_rows', [
      {
        model: 'm',
        baseline: 'b',
        version: 1,
        row_id: 0,
        score: 0.5,
        label: '1',
        features: { amount: 1.5, merchant: 'x' },
        attributes: {},
      },
    ]);
    // up to 0004: a later migration may add columns its positional copy does not know (0014)
    await migrate(
      store,
      readMigrations().filter((migration) => migration.version <= 4),
    );
    const events = await store.query<Record<string, unknown>>(
      `SELECT kind, event_id, score, feature_numbers, feature_strings, attributes
       FROM events FINAL ORDER BY event_id`,
    );
    expect(events).toEqual([
      {
        kind: 'prediction',
        event_id: 'e1',
        score: 0.25,
        feature_numbers: { amount: 12.5, count: 3 },
        feature_strings: { merchant: 'grocery' },
        attributes: { country: 'FR' },
      },
      {
        kind: 'feature',
        event_id: 'f1',
        score: null,
        feature_numbers: { amount: 12.5, count: 3 },
        feature_strings: { merchant: 'grocery' },
        attributes: { country: 'FR' },
      },
    ]);
    // A migration that died half-way runs again: the baseline is not copied twice.
    const [again] = readMigrations().filter((migration) => migration.version === 4);
    if (!again) throw new Error('no migration 0004');
    for (const statement of again.statements) await store.command(statement);
    const reference = await store.query<Record<string, unknown>>(
      'SELECT baseline, version, feature_numbers, feature_strings, label FROM reference_rows',
    );
    expect(reference).toEqual([
      {
        baseline: 'b',
        version: 1,
        feature_numbers: { amount: 1.5 },
        feature_strings: { merchant: 'x' },
        label: '1',
      },
    ]);
    // the later migrations apply on top: a copied baseline row has no predicted class
    await migrate(store);
    expect(
      await store.query<Record<string, unknown>>('SELECT label, prediction FROM reference_rows'),
    ).toEqual([{ label: '1', prediction: null }]);
  });
});

describe('splitStatements', () => {
  it('drops comments and splits on statement ends', () => {
    expect(splitStatements('-- a\nSELECT 1;\n\n-- b\nSELECT 2;\n')).toEqual([
      'SELECT 1',
      'SELECT 2',
    ]);
  });
});
