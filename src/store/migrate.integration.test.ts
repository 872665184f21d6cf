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
        'feature_logs',
        'labels',
        'monitor_results',
        'monitor_runs',
        'predictions',
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

describe('splitStatements', () => {
  it('drops comments and splits on statement ends', () => {
    expect(splitStatements('-- a\nSELECT 1;\n\n-- b\nSELECT 2;\n')).toEqual([
      'SELECT 1',
      'SELECT 2',
    ]);
  });
});
