import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestStore } from '../../test/helpers/store.js';
import type { Store } from './clickhouse.js';
import { migrate, readMigrations, replicateEngines, splitStatements } from './migrate.js';

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

describe('replicateEngines (migrations on a cluster)', () => {
  it('turns every MergeTree-family table of the migrations into its Replicated twin', () => {
    const statements = readMigrations().flatMap((migration) => migration.statements);
    const tables = statements.filter((statement) => /\bENGINE\s*=/.test(statement));
    expect(tables.length).toBeGreaterThan(0);
    for (const statement of tables) {
      const replicated = replicateEngines(statement);
      expect(replicated).toMatch(/\bENGINE = Replicated\w*MergeTree\b/);
      expect(replicated.replace(/Replicated(\w*MergeTree)/, '$1')).toBe(
        statement.replace(/ENGINE\s*=\s*/, 'ENGINE = '),
      );
    }
  });

  it('keeps engine arguments and leaves other engines and replicated tables alone', () => {
    expect(
      replicateEngines('CREATE TABLE t (x UInt8) ENGINE = ReplacingMergeTree(v) ORDER BY x'),
    ).toBe('CREATE TABLE t (x UInt8) ENGINE = ReplicatedReplacingMergeTree(v) ORDER BY x');
    expect(replicateEngines('CREATE TABLE t (x UInt8) ENGINE=MergeTree ORDER BY x')).toBe(
      'CREATE TABLE t (x UInt8) ENGINE = ReplicatedMergeTree ORDER BY x',
    );
    for (const untouched of [
      'CREATE TABLE t (x UInt8) ENGINE = ReplicatedMergeTree ORDER BY x',
      'CREATE TABLE t (x UInt8) ENGINE = Memory',
    ]) {
      expect(replicateEngines(untouched)).toBe(untouched);
    }
  });
});
