import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Session } from 'chdb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TABLE_PLACEMENTS, localTable } from './clusterSchema.js';
import { readMigrations, storeForm } from './migrate.js';

/**
 * The generated cluster DDL as ClickHouse 26 (the embedded engine) takes it: run as written,
 * ON CLUSTER aside, on an engine configured as a cluster's node (macros `{shard}` = 01,
 * `{replica}` = 01; the cluster `dw` in `remote_servers`; a Keeper it cannot reach). So the
 * engine parses and checks every table, Keeper path, Distributed table and view, and reports
 * what it made of them. Not run here: ON CLUSTER itself (Keeper's DDL queue), the ALTERs of
 * replicated tables (a replica without Keeper is read-only) and the data migrations (a
 * read-only replica cannot be read or written).
 */
describe('the generated cluster DDL, run by ClickHouse', () => {
  let dir: string;
  let session: Session;
  const database = 'dw_ddl';
  const migrations = readMigrations();
  const form = storeForm({ cluster: 'dw', database }, migrations);
  const statements = [...form.bootstrap, ...migrations.flatMap((m) => form.statementsOf(m))];
  const ran = statements.filter((s) => /^(CREATE|DROP) /.test(s));

  const tables = () =>
    JSON.parse(
      session.query(
        `SELECT name, engine, engine_full, sorting_key, dependencies_table FROM system.tables
         WHERE database = '${database}' ORDER BY name FORMAT JSON`,
        'JSON',
      ),
    ) as {
      data: {
        name: string;
        engine: string;
        engine_full: string;
        sorting_key: string;
        dependencies_table: string[];
      }[];
    };

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'driftwatch-cluster-ddl-'));
    const config = path.join(dir, 'node.xml');
    fs.writeFileSync(
      config,
      '<clickhouse><zookeeper><implementation>testkeeper</implementation></zookeeper>' +
        '<tcp_port>9000</tcp_port><macros><shard>01</shard><replica>01</replica></macros>' +
        '<remote_servers><dw><shard><internal_replication>true</internal_replication>' +
        '<replica><host>127.0.0.1</host><port>9000</port></replica></shard></dw></remote_servers></clickhouse>\n',
    );
    session = new Session(path.join(dir, 'data'), { connectionArgs: [`--config-file=${config}`] });
    session.query(`CREATE DATABASE ${database}`);
    for (const statement of ran) {
      session.query(`USE ${database}; ${statement.replace(/ ON CLUSTER dw\b/g, '')}`);
    }
  });
  afterAll(() => {
    // a replicated table's background work keeps the engine from closing until it is dropped
    session?.query(`DROP DATABASE IF EXISTS ${database} SYNC`);
    session?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('runs every CREATE and DROP of the migrations, as generated', () => {
    expect(ran.length).toBeGreaterThan(60);
    // the statements not run here: data migrations and ALTERs of replicated tables
    expect(statements.filter((s) => !ran.includes(s)).map((s) => /^\w+/.exec(s)?.[0])).toEqual(
      expect.arrayContaining(['INSERT', 'ALTER']),
    );
  });

  it('makes each table what its placement says, with its own Keeper path', () => {
    const byName = new Map(tables().data.map((table) => [table.name, table]));
    for (const [table, placement] of Object.entries(TABLE_PLACEMENTS)) {
      if (placement.kind === 'node') {
        expect(byName.get(table)?.engine).toBe('Null');
        continue;
      }
      if (placement.kind === 'everywhere') {
        expect(byName.get(table)?.engine_full).toContain(
          `('/clickhouse/tables/${database}/${table}/all', '{shard}-{replica}'`,
        );
        continue;
      }
      const local = byName.get(localTable(table));
      expect(byName.get(table)?.engine_full).toBe(
        `Distributed('dw', '${database}', '${localTable(table)}', cityHash64(${placement.key}))`,
      );
      if (local?.engine === 'Null') continue;
      expect(local?.engine_full).toContain(
        `('/clickhouse/tables/${database}/${localTable(table)}/{shard}', '{replica}'`,
      );
      // ClickHouse's own reading of the sorting key holds the sharding key's column
      expect(local?.sorting_key.split(', ')).toContain(placement.key);
    }
  });

  it('hangs every view on a local table or a node pipe, none on a Distributed table', () => {
    const withViews = Object.fromEntries(
      tables()
        .data.filter((table) => table.dependencies_table.length > 0)
        .map((table) => [table.name, [...table.dependencies_table].sort()]),
    );
    expect(withViews).toEqual({
      events_local: ['events_summary_input_mv'],
      summary_input_local: ['slice_combos_mv', 'summary_fine_numbers_mv', 'summary_fine_others_mv'],
      // the day grain rolled up from the fine cells too (0011), not from the hour grain's blocks
      summary_fine: ['summary_1d_fine_mv', 'summary_1h_rollup_mv', 'summary_5m_rollup_mv'],
    });
  });
});
