import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DriftwatchError } from '../errors.js';
import type { Store } from './clickhouse.js';

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

/**
 * Applies the migrations not yet recorded in `schema_migrations`, in order. Statements are
 * `IF NOT EXISTS`, so a process that died half-way simply re-runs the migration.
 */
export async function migrate(store: Store, migrations = readMigrations()): Promise<number[]> {
  const adapt = (await isReplicatedDatabase(store)) ? replicateEngines : (sql: string) => sql;
  await store.command(
    adapt(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version UInt32, name String, checksum String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3)
  ) ENGINE = ReplacingMergeTree(applied_at) ORDER BY version`),
  );
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
    for (const statement of migration.statements) await store.command(adapt(statement));
    await store.insert('schema_migrations', [
      { version: migration.version, name: migration.name, checksum: migration.checksum },
    ]);
    newlyApplied.push(migration.version);
  }
  return newlyApplied;
}

/**
 * On a cluster, driftwatch's database uses the `Replicated` engine: every replica runs the
 * same DDL, and each MergeTree-family table becomes its Replicated twin, with the
 * database's default Keeper path and replica name (engine arguments such as a version
 * column are kept). Migration files stay written for one server; the checksum guards
 * the file as written.
 */
export function replicateEngines(statement: string): string {
  return statement.replace(
    /\bENGINE\s*=\s*((?:Replacing|Summing|Aggregating|Collapsing|VersionedCollapsing|Coalescing|Graphite)?MergeTree)\b/g,
    'ENGINE = Replicated$1',
  );
}

async function isReplicatedDatabase(store: Store): Promise<boolean> {
  if (store.kind !== 'server') return false;
  const [database] = await store.query<{ engine: string }>(
    'SELECT engine FROM system.databases WHERE name = currentDatabase()',
  );
  return database?.engine === 'Replicated';
}
