import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DriftwatchError } from '../errors.js';
import type { Store } from './clickhouse.js';
import { createClusterSchema, type ClusterLayout } from './clusterSchema.js';

const MIGRATIONS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');

export interface Migration {
  version: number;
  name: string;
  statements: string[];
  checksum: string;
}

/** Numbered SQL files (`0001_events.sql`), each split into statements on `;` line ends. */
export function readMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return fs
    .readdirSync(dir)
    .filter((file) => /^\d{4}_[a-z0-9_]+\.sql$/.test(file))
    .sort()
    .map((file) => {
      const sql = fs.readFileSync(path.join(dir, file), 'utf8');
      return {
        version: Number(file.slice(0, 4)),
        name: file.replace(/\.sql$/, ''),
        statements: splitStatements(sql),
        checksum: createHash('sha256').update(sql).digest('hex'),
      };
    });
}

export function splitStatements(sql: string): string[] {
  return sql
    .split(/;\s*(?:\n|$)/)
    .map((statement) =>
      statement
        .split('\n')
        .filter((line) => !line.trim().startsWith('--'))
        .join('\n')
        .trim(),
    )
    .filter(Boolean);
}

/** The migration history; on a cluster every node holds it (src/store/clusterSchema.ts). */
const SCHEMA_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS schema_migrations (
    version UInt32, name String, checksum String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3)
  ) ENGINE = ReplacingMergeTree(applied_at) ORDER BY version`;

/**
 * Applies the migrations not yet recorded in `schema_migrations`, in order. Statements are
 * `IF NOT EXISTS`, so a process that died half-way simply re-runs the migration. On a
 * cluster each statement runs in its cluster form (sharded tables, views on the local
 * tables, ON CLUSTER); the history records the files, so a single server and a cluster
 * share one history and one checksum per migration.
 */
export async function migrate(store: Store, migrations = readMigrations()): Promise<number[]> {
  await assertStoreForm(store);
  const form = storeForm(store.cluster, migrations);
  for (const statement of form.bootstrap) await store.command(statement);
  const applied = await store.query<{ version: number; checksum: string }>(
    'SELECT version, argMax(checksum, applied_at) AS checksum FROM schema_migrations GROUP BY version',
  );
  const appliedByVersion = new Map(applied.map((row) => [Number(row.version), row.checksum]));
  const newlyApplied: number[] = [];
  for (const migration of migrations) {
    const recorded = appliedByVersion.get(migration.version);
    if (recorded !== undefined) {
      if (recorded !== migration.checksum) {
        throw new DriftwatchError(
          'DW_MIGRATION',
          `migration ${migration.name} was changed after it was applied: add a new migration instead`,
        );
      }
      continue;
    }
    for (const statement of form.statementsOf(migration)) await store.command(statement);
    await store.insert('schema_migrations', [
      { version: migration.version, name: migration.name, checksum: migration.checksum },
    ]);
    newlyApplied.push(migration.version);
  }
  return newlyApplied;
}

/** The statements a store runs: the files' on one server, their generated form on a cluster. */
export interface StoreForm {
  bootstrap: string[];
  statementsOf(migration: Migration): string[];
}

/**
 * The cluster form of every migration, generated from all of them in order (an applied
 * migration's definitions are what a later `CREATE TABLE a AS b` copies), so the same files
 * always give the same statements.
 */
export function storeForm(cluster: ClusterLayout | undefined, migrations: Migration[]): StoreForm {
  if (!cluster) {
    return {
      bootstrap: [SCHEMA_MIGRATIONS_TABLE],
      statementsOf: (migration) => migration.statements,
    };
  }
  const schema = createClusterSchema(cluster);
  const bootstrap = schema.statementsFor(SCHEMA_MIGRATIONS_TABLE);
  const byVersion = new Map(
    migrations.map((migration) => [
      migration.version,
      migration.statements.flatMap((statement) => schema.statementsFor(statement)),
    ]),
  );
  return { bootstrap, statementsOf: (migration) => byVersion.get(migration.version) ?? [] };
}

/**
 * A server's database must be in the form this configuration expects: a cluster form read
 * as one server's (or the reverse) would split one model's data between the two forms, and
 * the Replicated-database form of earlier versions holds every model on every node.
 */
async function assertStoreForm(store: Store): Promise<void> {
  if (store.kind !== 'server') return;
  const [row] = await store.query<{ engine: string; single: string; sharded: string }>(
    `SELECT (SELECT any(engine) FROM system.databases WHERE name = currentDatabase()) AS engine,
            (SELECT count() FROM system.tables WHERE database = currentDatabase() AND name = 'events') AS single,
            (SELECT count() FROM system.tables WHERE database = currentDatabase() AND name = 'events_local') AS sharded`,
  );
  const guide = 'see docs/CLUSTER.md';
  if (row?.engine === 'Replicated') {
    throw new DriftwatchError(
      'DW_MIGRATION',
      `the database uses the Replicated engine (an earlier driftwatch's cluster form, which keeps every model on every node): move it to the sharded form, ${guide}`,
    );
  }
  const sharded = Number(row?.sharded ?? 0) > 0;
  const single = Number(row?.single ?? 0) > 0;
  if (store.cluster && single && !sharded) {
    throw new DriftwatchError(
      'DW_MIGRATION',
      `CLICKHOUSE_CLUSTER is ${store.cluster.cluster}, but the database holds one server's tables (events is not sharded): move them to the cluster, ${guide}`,
    );
  }
  if (!store.cluster && sharded) {
    throw new DriftwatchError(
      'DW_MIGRATION',
      `the database holds driftwatch's cluster form (events_local): set CLICKHOUSE_CLUSTER to its cluster's name, ${guide}`,
    );
  }
}
