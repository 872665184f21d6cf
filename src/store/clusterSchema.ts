import { DriftwatchError } from '../errors.js';

/**
 * The clustered form of driftwatch's schema (docs/CLUSTER.md), generated from the migration
 * files as written for one server. A cluster is ClickHouse's own: shards of replicas named in
 * the servers' `remote_servers`, Keeper, and the `{shard}` and `{replica}` macros on every
 * node. Every table is placed one of three ways:
 *
 * - **sharded**: a `Replicated…MergeTree` table `<name>_local` on every node, holding its
 *   shard's rows (Keeper path per `{shard}`), and under the table's own name a `Distributed`
 *   table over them sharded by `cityHash64(<key>)`. Everything per model is sharded by model,
 *   so one model's events, labels, baselines, frames and summaries live on one shard.
 * - **everywhere**: one `Replicated…MergeTree` table whose Keeper path has no `{shard}`: every
 *   node holds every row. For what is small, written by one process and read whole (monitor
 *   results, alert state and audit, the migration history).
 * - **node**: a table per node that stores nothing (a `Null` pipe between views).
 *
 * The application's SQL names tables as on one server; on a cluster those names are the
 * Distributed tables (sharded) or the replicated tables themselves (everywhere), so no query
 * changes. Only the materialized views name the local tables: a view fires on the node that
 * receives a block, so it must read the block's local table and write its shard's summaries.
 *
 * The generated form of a migration is as fixed as its file once applied: a change here
 * that alters it must come as a new migration instead (clusterSchema.test.ts pins it).
 */

/** Where a table's rows live on a cluster. */
export type TablePlacement =
  { kind: 'sharded'; key: string } | { kind: 'everywhere' } | { kind: 'node' };

const BY_MODEL: TablePlacement = { kind: 'sharded', key: 'model' };
const EVERYWHERE: TablePlacement = { kind: 'everywhere' };

/**
 * Every table the migrations create, with why it is placed so (docs/CLUSTER.md has the same
 * table for operators). A migration creating a table missing here fails to generate its
 * cluster form, naming the table: placing a table is a decision, not a default.
 */
export const TABLE_PLACEMENTS: Readonly<Record<string, TablePlacement>> = {
  // the history every process reads before anything else: the same on every node
  schema_migrations: EVERYWHERE,
  // per model: events and labels (the bulk of all writes), the legacy tables of 0001/0002
  events: BY_MODEL,
  labels: BY_MODEL,
  predictions: BY_MODEL,
  feature_logs: BY_MODEL,
  // per model, and read by the summary views on the model's shard (frames, threshold)
  feature_frames: BY_MODEL,
  summary_settings: BY_MODEL,
  summary_input: BY_MODEL,
  summary_1h: BY_MODEL,
  summary_1d: BY_MODEL,
  summary_5m: BY_MODEL,
  // closed hours' finer cells of numbers and their builds (0015): built from a model's
  // events and read with its hour grain, on its shard
  summary_1h_k10: BY_MODEL,
  summary_finer_builds: BY_MODEL,
  slice_combos: BY_MODEL,
  summary_rebuilds: BY_MODEL,
  // the summary ledger (0011): which hours of a model each writer may be writing. Written
  // before every insert into those hours, so on the model's shard its open entry fails or
  // lands with them (a shard down stops both, another shard's models go on); the checks of
  // one model read its shard only. A writer's entries spread over its models' shards, and
  // the list of open hours reads every shard (a small table).
  summary_ledger: BY_MODEL,
  // a repair's staged cells (0011): one model's, read by model and repair id on its shard
  // and inserted into its summaries there
  summary_repairs: BY_MODEL,
  summary_fine: { kind: 'node' },
  // per model: baselines, their rows and profiles
  baselines: BY_MODEL,
  baseline_rows: BY_MODEL,
  reference_rows: BY_MODEL,
  reference_profiles: BY_MODEL,
  reference_profile_features: BY_MODEL,
  // no model (the payload did not parse): spread by id, so bad input scales with the shards;
  // the existence check asks by id, which names the shard
  dead_letters: { kind: 'sharded', key: 'dead_letter_id' },
  // dashboard sessions, looked up by id: a logout must be seen at once by every API process,
  // and every process reads a shard through the same first replica (clusterSettings); a
  // table every node held would be read on each process's own node, which may lag
  sessions: { kind: 'sharded', key: 'session_sha256' },
  // written by the one scheduler, a few rows per check and window, read whole by the API
  // and the exports, joined with each other: every node holds them
  monitor_results: EVERYWHERE,
  monitor_runs: EVERYWHERE,
  monitor_files: EVERYWHERE,
  alert_states: EVERYWHERE,
  alert_events: EVERYWHERE,
  alert_silences: EVERYWHERE,
  alert_acknowledgements: EVERYWHERE,
  alert_outbox: EVERYWHERE,
  alert_delivery_attempts: EVERYWHERE,
  alert_progress: EVERYWHERE,
};

export interface ClusterLayout {
  /** The cluster's name in the servers' `remote_servers` (CLICKHOUSE_CLUSTER). */
  cluster: string;
  /** driftwatch's database, the same on every node. */
  database: string;
}

/** The name of a sharded table's per-shard table. */
export function localTable(table: string): string {
  return `${table}_local`;
}

/** The table that holds a table's rows on this node: what TTLs and settings apply to. */
export function storageTable(table: string, layout: ClusterLayout | undefined): string {
  return layout && placementOf(table).kind === 'sharded' ? localTable(table) : table;
}

export function placementOf(table: string): TablePlacement {
  const placement = TABLE_PLACEMENTS[table];
  if (!placement) {
    throw new DriftwatchError(
      'DW_MIGRATION',
      `table ${table} has no cluster placement: declare it in TABLE_PLACEMENTS (src/store/clusterSchema.ts)`,
    );
  }
  return placement;
}

/** Keeper paths: ClickHouse's convention, one replicated table per shard or one for all. */
const SHARD_REPLICA_ARGS = `'/clickhouse/tables/{database}/{table}/{shard}', '{replica}'`;
// {replica} is unique within a shard only (ClickHouse's guide names replicas 01, 02 in each)
const EVERYWHERE_REPLICA_ARGS = `'/clickhouse/tables/{database}/{table}/all', '{shard}-{replica}'`;

const MERGE_TREE_ENGINE =
  /\bENGINE\s*=\s*((?:Replacing|Summing|Aggregating|Collapsing|VersionedCollapsing|Coalescing|Graphite)?MergeTree)\b(?:\(([^)]*)\))?/;

/**
 * Generates the cluster form of a sequence of statements (the migrations, in order). Stateful:
 * it remembers each table's definition, for `CREATE TABLE a AS b` (which on a cluster must
 * not copy b's Keeper path). Feed it every migration, applied or not, to generate any one.
 */
export function createClusterSchema(layout: ClusterLayout) {
  const definitions = new Map<string, { columns: string; engine: string; storage: string }>();
  // tables whose columns an ALTER changed: their definitions above are no longer theirs
  const altered = new Set<string>();
  const on = `ON CLUSTER ${layout.cluster}`;

  function createTable(name: string, columns: string, engine: string, storage: string): string[] {
    definitions.set(name, { columns, engine, storage });
    const placement = placementOf(name);
    if (placement.kind === 'node') {
      if (engine !== 'Null') {
        throw new DriftwatchError(
          'DW_MIGRATION',
          `table ${name} is placed per node, which only a Null table can be (it is ${engine})`,
        );
      }
      return [`CREATE TABLE IF NOT EXISTS ${name} ${on} (${columns}) ENGINE = Null${storage}`];
    }
    const physical = placement.kind === 'sharded' ? localTable(name) : name;
    // A sharded Null table stores nothing to replicate: the Distributed table over it hands
    // each block to its shard, whose views take it from there.
    const stored = engine === 'Null' && placement.kind === 'sharded' ? 'Null' : undefined;
    const statements = [
      `CREATE TABLE IF NOT EXISTS ${physical} ${on} (${columns}) ENGINE = ${stored ?? replicated(engine, placement, name)}${storage}`,
    ];
    if (placement.kind === 'sharded') statements.push(distributedTable(name, placement.key));
    return statements;
  }

  function distributedTable(name: string, key: string): string {
    return (
      `CREATE TABLE IF NOT EXISTS ${name} ${on} AS ${localTable(name)} ` +
      `ENGINE = Distributed(${layout.cluster}, ${layout.database}, ${localTable(name)}, cityHash64(${key}))`
    );
  }

  function createTableAs(name: string, source: string): string[] {
    const definition = definitions.get(source);
    if (!definition) {
      throw new DriftwatchError(
        'DW_MIGRATION',
        `CREATE TABLE ${name} AS ${source}: ${source} is not defined by an earlier statement`,
      );
    }
    if (altered.has(source)) {
      throw new DriftwatchError(
        'DW_MIGRATION',
        `CREATE TABLE ${name} AS ${source}: ${source}'s columns changed after it was created; write ${name}'s columns out`,
      );
    }
    return createTable(name, definition.columns, definition.engine, definition.storage);
  }

  function materializedView(name: string, target: string, select: string): string[] {
    const to = viewTarget(target);
    const sources = [...select.matchAll(TABLE_REFERENCE)].map((match) => match[2] ?? '');
    for (const source of sources.filter((s) => s in TABLE_PLACEMENTS)) {
      const kind = placementOf(source).kind;
      // A view fires on the node that receives the block: what it writes must be what that
      // node holds, and what it joins must be there too.
      if (kind === 'everywhere') {
        throw new DriftwatchError(
          'DW_MIGRATION',
          `view ${name} reads ${source}, which every node holds: a view on it would fire on one node only`,
        );
      }
      if (kind === 'sharded' && !coSharded(source, target)) {
        throw new DriftwatchError(
          'DW_MIGRATION',
          `view ${name} reads ${source} and writes ${target}, which are not sharded alike`,
        );
      }
    }
    return [
      `CREATE MATERIALIZED VIEW IF NOT EXISTS ${name} ${on} TO ${to} AS ${select.replace(TABLE_REFERENCE, localReference)}`,
    ];
  }

  function alterTable(name: string, change: string): string[] {
    const placement = placementOf(name);
    const changesColumns = /^\s*(ADD|DROP|MODIFY|RENAME|COMMENT)\s+COLUMN\b/i.test(change);
    if (changesColumns) altered.add(name);
    // A replicated table spreads its own ALTER to its replicas; every shard's table and every
    // node's Distributed table needs it ON CLUSTER.
    if (placement.kind === 'everywhere') return [`ALTER TABLE ${name} ${change}`];
    if (placement.kind === 'node') return [`ALTER TABLE ${name} ${on} ${change}`];
    const statements = [`ALTER TABLE ${localTable(name)} ${on} ${change}`];
    if (changesColumns) statements.push(`ALTER TABLE ${name} ${on} ${change}`);
    return statements;
  }

  /** The statements a cluster runs for one statement written for one server. */
  function statementsFor(statement: string): string[] {
    let match = /^CREATE TABLE IF NOT EXISTS (\w+) AS (\w+)$/.exec(statement);
    if (match) return createTableAs(match[1]!, match[2]!);
    match =
      /^CREATE TABLE IF NOT EXISTS (\w+) \(([\s\S]*)\)\s*ENGINE\s*=\s*(\w+(?:\([^)]*\))?)([\s\S]*)$/.exec(
        statement,
      );
    if (match) return createTable(match[1]!, match[2]!, match[3]!, match[4]!);
    match = /^CREATE MATERIALIZED VIEW IF NOT EXISTS (\w+) TO (\w+) AS\s+([\s\S]*)$/.exec(
      statement,
    );
    if (match) return materializedView(match[1]!, match[2]!, match[3]!);
    match = /^ALTER TABLE (\w+) ([\s\S]*)$/.exec(statement);
    if (match) return alterTable(match[1]!, match[2]!);
    match = /^DROP VIEW IF EXISTS (\w+)$/.exec(statement);
    if (match) return [`DROP VIEW IF EXISTS ${match[1]!} ${on}`];
    // Data moves between tables by their application names: through the Distributed tables,
    // each row lands on its shard.
    if (/^INSERT INTO \w+/.test(statement)) return [statement];
    throw new DriftwatchError(
      'DW_MIGRATION',
      `no cluster form for the statement "${statement.split('\n')[0]?.slice(0, 100) ?? ''}"`,
    );
  }

  return { statementsFor };
}

/** A table named after FROM, JOIN or INTO (not a function call such as `ARRAY JOIN mapKeys(`). */
const TABLE_REFERENCE = /\b(FROM|JOIN|INTO)\s+([a-z_][a-z0-9_]*)\b(?!\s*\()/gi;

function localReference(whole: string, keyword: string, table: string): string {
  const placement = TABLE_PLACEMENTS[table];
  return placement?.kind === 'sharded' ? `${keyword} ${localTable(table)}` : whole;
}

function viewTarget(table: string): string {
  return placementOf(table).kind === 'sharded' ? localTable(table) : table;
}

/** Rows of `source` and of `target` that share a model are on one shard. */
function coSharded(source: string, target: string): boolean {
  const from = placementOf(source);
  const to = placementOf(target);
  if (from.kind !== 'sharded') return false;
  return to.kind === 'node' || (to.kind === 'sharded' && to.key === from.key);
}

function replicated(engine: string, placement: TablePlacement, table: string): string {
  const match = MERGE_TREE_ENGINE.exec(`ENGINE = ${engine}`);
  if (!match) {
    throw new DriftwatchError(
      'DW_MIGRATION',
      `table ${table} uses the engine ${engine}, which has no replicated form`,
    );
  }
  const keeper = placement.kind === 'everywhere' ? EVERYWHERE_REPLICA_ARGS : SHARD_REPLICA_ARGS;
  const args = match[2]?.trim();
  return `Replicated${match[1]!}(${keeper}${args ? `, ${args}` : ''})`;
}
