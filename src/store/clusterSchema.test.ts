import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  TABLE_PLACEMENTS,
  createClusterSchema,
  localTable,
  storageTable,
  type ClusterLayout,
} from './clusterSchema.js';
import { readMigrations, storeForm } from './migrate.js';

const layout: ClusterLayout = { cluster: 'dw', database: 'driftwatch' };
const migrations = readMigrations();
const form = storeForm(layout, migrations);
const generated = [...form.bootstrap, ...migrations.flatMap((m) => form.statementsOf(m))];

/** The cluster form of statements written for one server, fed in order. */
function clusterForm(...statements: string[]): string[] {
  const schema = createClusterSchema(layout);
  return statements.flatMap((statement) => schema.statementsFor(statement));
}

const createdTables = (statements: readonly string[]) =>
  statements.flatMap((s) => /^CREATE TABLE IF NOT EXISTS (\w+)/.exec(s)?.[1] ?? []);

describe('the cluster form of a statement', () => {
  it('shards a per-model table: a replicated table per shard, a Distributed table by model', () => {
    expect(
      clusterForm(
        'CREATE TABLE IF NOT EXISTS labels (model String, label String, ingested_at DateTime64(3)) ENGINE = ReplacingMergeTree(ingested_at) ORDER BY (model, label)',
      ),
    ).toEqual([
      "CREATE TABLE IF NOT EXISTS labels_local ON CLUSTER dw (model String, label String, ingested_at DateTime64(3)) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{database}/{table}/{shard}', '{replica}', ingested_at) ORDER BY (model, label)",
      'CREATE TABLE IF NOT EXISTS labels ON CLUSTER dw AS labels_local ENGINE = Distributed(dw, driftwatch, labels_local, cityHash64(model))',
    ]);
  });

  it('replicates a table every node holds on one Keeper path, replicas named by shard too', () => {
    expect(
      clusterForm(
        'CREATE TABLE IF NOT EXISTS alert_progress (monitor String, window_end DateTime) ENGINE = ReplacingMergeTree(window_end) ORDER BY monitor',
      ),
    ).toEqual([
      "CREATE TABLE IF NOT EXISTS alert_progress ON CLUSTER dw (monitor String, window_end DateTime) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{database}/{table}/all', '{shard}-{replica}', window_end) ORDER BY monitor",
    ]);
  });

  it('spells out `CREATE TABLE a AS b`, which would copy b`s Keeper path', () => {
    const [, , local, distributed] = clusterForm(
      'CREATE TABLE IF NOT EXISTS summary_1h (model String, n UInt64) ENGINE = AggregatingMergeTree ORDER BY model',
      'CREATE TABLE IF NOT EXISTS summary_1d AS summary_1h',
    );
    expect(local).toBe(
      "CREATE TABLE IF NOT EXISTS summary_1d_local ON CLUSTER dw (model String, n UInt64) ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{database}/{table}/{shard}', '{replica}') ORDER BY model",
    );
    expect(distributed).toBe(
      'CREATE TABLE IF NOT EXISTS summary_1d ON CLUSTER dw AS summary_1d_local ENGINE = Distributed(dw, driftwatch, summary_1d_local, cityHash64(model))',
    );
  });

  it('keeps Null pipes unreplicated: the input to the views is sharded, the views` own pipe is per node', () => {
    expect(
      clusterForm(
        'CREATE TABLE IF NOT EXISTS summary_input (model String) ENGINE = Null',
        'CREATE TABLE IF NOT EXISTS summary_fine (model String) ENGINE = Null',
      ),
    ).toEqual([
      'CREATE TABLE IF NOT EXISTS summary_input_local ON CLUSTER dw (model String) ENGINE = Null',
      'CREATE TABLE IF NOT EXISTS summary_input ON CLUSTER dw AS summary_input_local ENGINE = Distributed(dw, driftwatch, summary_input_local, cityHash64(model))',
      'CREATE TABLE IF NOT EXISTS summary_fine ON CLUSTER dw (model String) ENGINE = Null',
    ]);
  });

  it('puts a view on the local tables: it reads, joins and writes what its node holds', () => {
    expect(
      clusterForm(
        `CREATE MATERIALIZED VIEW IF NOT EXISTS v TO summary_fine AS
SELECT i.model AS model FROM summary_input AS i
  LEFT JOIN (SELECT model FROM feature_frames) AS f ON i.model = f.model
  ARRAY JOIN mapKeys(i.features) AS name`,
      ),
    ).toEqual([
      `CREATE MATERIALIZED VIEW IF NOT EXISTS v ON CLUSTER dw TO summary_fine AS SELECT i.model AS model FROM summary_input_local AS i
  LEFT JOIN (SELECT model FROM feature_frames_local) AS f ON i.model = f.model
  ARRAY JOIN mapKeys(i.features) AS name`,
    ]);
  });

  it('alters every shard`s table, and the Distributed tables when columns change', () => {
    expect(
      clusterForm(
        'ALTER TABLE dead_letters ADD COLUMN IF NOT EXISTS payload_bytes UInt64 AFTER payload',
        'ALTER TABLE events MODIFY SETTING ttl_only_drop_parts = 1',
        'ALTER TABLE monitor_results ADD COLUMN IF NOT EXISTS value_lower Nullable(Float64)',
      ),
    ).toEqual([
      'ALTER TABLE dead_letters_local ON CLUSTER dw ADD COLUMN IF NOT EXISTS payload_bytes UInt64 AFTER payload',
      'ALTER TABLE dead_letters ON CLUSTER dw ADD COLUMN IF NOT EXISTS payload_bytes UInt64 AFTER payload',
      'ALTER TABLE events_local ON CLUSTER dw MODIFY SETTING ttl_only_drop_parts = 1',
      // a replicated table spreads its own ALTER to every replica
      'ALTER TABLE monitor_results ADD COLUMN IF NOT EXISTS value_lower Nullable(Float64)',
    ]);
  });

  it('drops views on every node and moves data between tables by their application names', () => {
    const insert = 'INSERT INTO events (model) SELECT model FROM predictions FINAL';
    expect(clusterForm('DROP VIEW IF EXISTS old_mv', insert)).toEqual([
      'DROP VIEW IF EXISTS old_mv ON CLUSTER dw',
      insert,
    ]);
  });

  it('refuses what it cannot place, naming it', () => {
    expect(() =>
      clusterForm('CREATE TABLE IF NOT EXISTS novel (x UInt8) ENGINE = MergeTree ORDER BY x'),
    ).toThrow(
      'table novel has no cluster placement: declare it in TABLE_PLACEMENTS (src/store/clusterSchema.ts)',
    );
    expect(() =>
      clusterForm(
        'CREATE MATERIALIZED VIEW IF NOT EXISTS v TO summary_1h AS SELECT model FROM alert_states',
      ),
    ).toThrow(
      'view v reads alert_states, which every node holds: a view on it would fire on one node only',
    );
    expect(() =>
      clusterForm(
        'CREATE MATERIALIZED VIEW IF NOT EXISTS v TO summary_1h AS SELECT model FROM dead_letters',
      ),
    ).toThrow('view v reads dead_letters and writes summary_1h, which are not sharded alike');
    expect(() =>
      clusterForm(
        'CREATE TABLE IF NOT EXISTS summary_fine (x UInt8) ENGINE = MergeTree ORDER BY x',
      ),
    ).toThrow(
      'table summary_fine is placed per node, which only a Null table can be (it is MergeTree)',
    );
    expect(() =>
      clusterForm(
        'CREATE TABLE IF NOT EXISTS summary_1h (model String) ENGINE = AggregatingMergeTree ORDER BY model',
        'ALTER TABLE summary_1h ADD COLUMN IF NOT EXISTS n UInt64',
        'CREATE TABLE IF NOT EXISTS summary_1d AS summary_1h',
      ),
    ).toThrow(
      "CREATE TABLE summary_1d AS summary_1h: summary_1h's columns changed after it was created; write summary_1d's columns out",
    );
    expect(() => clusterForm('RENAME TABLE a TO b')).toThrow(
      'no cluster form for the statement "RENAME TABLE a TO b"',
    );
  });

  it("names a table's storage: the local table of a sharded one, the table itself otherwise", () => {
    expect(storageTable('events', layout)).toBe('events_local');
    expect(storageTable('alert_states', layout)).toBe('alert_states');
    expect(storageTable('events', undefined)).toBe('events');
  });
});

describe('the cluster form of the migrations', () => {
  it('places exactly the tables the migrations create', () => {
    const onOneServer = createdTables([
      'CREATE TABLE IF NOT EXISTS schema_migrations (',
      ...migrations.flatMap((m) => m.statements),
    ]);
    expect(new Set(onOneServer)).toEqual(new Set(Object.keys(TABLE_PLACEMENTS)));
  });

  it('keeps each sharded table`s sharding key in its sorting key: FINAL and merges per shard are global', () => {
    // ReplacingMergeTree collapses, and AggregatingMergeTree merges, rows of equal sorting
    // key. Every such group shares the sharding key's column, so its rows share a shard:
    // what one shard collapses is all there is to collapse.
    for (const [table, placement] of Object.entries(TABLE_PLACEMENTS)) {
      if (placement.kind !== 'sharded') continue;
      const create = generated.find((s) =>
        s.startsWith(`CREATE TABLE IF NOT EXISTS ${localTable(table)} `),
      );
      if (!create) throw new Error(`no local table for ${table}`);
      const engine = /ENGINE = (\w+)/.exec(create)?.[1];
      if (engine === 'Null') continue; // stores nothing
      const sortingKey = /\bORDER BY \(?([^)\n]*)\)?/.exec(create)?.[1]?.split(/,\s*/) ?? [];
      expect({ table, sortingKey }).toEqual({
        table,
        sortingKey: expect.arrayContaining([placement.key]),
      });
    }
  });

  it('has no view read or write a Distributed table', () => {
    const views = generated.filter((s) => s.startsWith('CREATE MATERIALIZED VIEW'));
    expect(views.length).toBeGreaterThan(5);
    const named = views.flatMap((view) =>
      [...view.matchAll(/\b(?:FROM|JOIN|TO)\s+([a-z_][a-z0-9_]*)\b(?!\s*\()/g)].map((m) => m[1]!),
    );
    const distributed = Object.entries(TABLE_PLACEMENTS)
      .filter(([, placement]) => placement.kind === 'sharded')
      .map(([table]) => table);
    expect(named.filter((table) => distributed.includes(table))).toEqual([]);
    expect(named).toContain('events_local');
  });

  it('gives every applied migration the cluster form it was applied with', () => {
    // A cluster applied these statements: a change to the generator that alters them must
    // come as a new migration, as a change to a file must (its checksum guards the file).
    const pinned: Record<string, string> = {
      bootstrap: 'cf2d6484e15cb92b',
      1: '0b9e298a66218f26',
      2: '3541f1112436d248',
      3: 'f6cbd3e4a95573ea',
      4: 'f686574d4de1e5f1',
      5: 'e20bddb591c44166',
      6: '3726c80171fdc593',
      7: 'e94de11cbe56b063',
      8: '1597b5abe4d14cd4',
      9: 'ff221211549cb813',
      10: 'bb4fd9f9f4745f94',
      11: '4437f1cd8c571a93',
    };
    const digest = (statements: string[]) =>
      createHash('sha256').update(statements.join(';\n')).digest('hex').slice(0, 16);
    const actual: Record<string, string> = { bootstrap: digest(form.bootstrap) };
    for (const migration of migrations) {
      if (String(migration.version) in pinned)
        actual[migration.version] = digest(form.statementsOf(migration));
    }
    expect(actual).toEqual(pinned);
  });
});
