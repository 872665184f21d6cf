import type { TimeWindow } from '../timeWindow.js';
import type { ColumnInfo, TabularFormat } from '../baselines/tabularFile.js';
import { toClickHouseTime, type Store } from './clickhouse.js';
import {
  createFileTable,
  dropTable,
  loadFileIntoTable,
  quoteIdentifier,
  wideStatementSettings,
} from './fileTables.js';
import { isoFromClickHouse } from './results.js';

export type BaselineKind = 'file' | 'range';

export interface BaselineRecord {
  model: string;
  name: string;
  version: number;
  kind: BaselineKind;
  source: string;
  columns: ColumnInfo[];
  rowCount: number;
  /** RFC 3339. */
  createdAt: string;
}

/** Which file columns become what in a baseline row, which has the shape of an event. */
export interface BaselineColumnRoles {
  features: readonly ColumnInfo[];
  attributes: readonly string[];
  score?: string;
  label?: string;
  /** The predicted class (a multiclass model's): compared with the windows' predictions. */
  prediction?: string;
  /** A multiclass model's class-score columns, each with its class: the rows' `scores`. */
  classScores?: readonly { className: string; column: string }[];
}

export async function getLatestBaseline(
  store: Store,
  model: string,
  name: string,
): Promise<BaselineRecord | undefined> {
  const rows = await store.query<RawBaseline>(
    `SELECT model, name, version, kind, source, columns, row_count, toString(created_at) AS created_at
     FROM baselines FINAL
     WHERE model = {model:String} AND name = {name:String}
     ORDER BY version DESC LIMIT 1`,
    { model, name },
  );
  return rows[0] && toRecord(rows[0]);
}

export async function listBaselines(store: Store, model: string): Promise<BaselineRecord[]> {
  const rows = await store.query<RawBaseline>(
    `SELECT model, name, version, kind, source, columns, row_count, toString(created_at) AS created_at
     FROM baselines FINAL WHERE model = {model:String} ORDER BY name, version`,
    { model },
  );
  return rows.map(toRecord);
}

interface RawBaseline {
  model: string;
  name: string;
  version: number;
  kind: BaselineKind;
  source: string;
  columns: string;
  row_count: string;
  created_at: string;
}

function toRecord(row: RawBaseline): BaselineRecord {
  return {
    model: row.model,
    name: row.name,
    version: Number(row.version),
    kind: row.kind,
    source: row.source,
    columns: JSON.parse(row.columns) as ColumnInfo[],
    rowCount: Number(row.row_count),
    createdAt: isoFromClickHouse(row.created_at),
  };
}

async function nextVersion(store: Store, model: string, name: string): Promise<number> {
  const latest = await getLatestBaseline(store, model, name);
  return (latest?.version ?? 0) + 1;
}

/** Counts the rows just written and records the version: the last step of every load. */
async function recordBaseline(
  store: Store,
  record: Omit<BaselineRecord, 'createdAt' | 'rowCount'>,
): Promise<BaselineRecord> {
  const [count] = await store.query<{ n: string }>(
    `SELECT count() AS n FROM reference_rows
     WHERE model = {model:String} AND baseline = {name:String} AND version = {version:UInt32}`,
    { model: record.model, name: record.name, version: record.version },
  );
  const rowCount = Number(count?.n ?? 0);
  await store.insert('baselines', [
    {
      model: record.model,
      name: record.name,
      version: record.version,
      kind: record.kind,
      source: record.source,
      columns: JSON.stringify(record.columns),
      row_count: rowCount,
    },
  ]);
  return { ...record, rowCount, createdAt: new Date().toISOString() };
}

/**
 * Loads a training file as the next version of a named baseline: the file goes into a
 * scratch table inside the engine, then into reference_rows with features in typed maps and slice
 * columns as attributes, so baselines and event windows share one shape and one query.
 */
export async function insertBaselineFromFile(
  store: Store,
  input: {
    model: string;
    name: string;
    file: string;
    format: TabularFormat;
    columns: ColumnInfo[];
    roles: BaselineColumnRoles;
    /** What identifies these bytes (path and digest); defaults to the path. */
    source?: string;
  },
): Promise<BaselineRecord> {
  const version = await nextVersion(store, input.model, input.name);
  const scratch = `baseline_load_${Date.now()}_${Math.floor(Math.random() * 1e6)}`;
  // Only the columns the baseline keeps: a training file may be far wider than its monitor.
  const kept = keptColumns(input.columns, input.roles);
  await createFileTable(store, scratch, kept);
  try {
    await loadFileIntoTable(store, input.file, input.format, scratch, kept, input.columns);
    const features = featureMaps(input.roles.features);
    const prediction = input.roles.prediction && quoteIdentifier(input.roles.prediction);
    const classScores = input.roles.classScores ?? [];
    // class name -> score, the scores that are not a finite number left out
    const scores = `mapFilter((k, v) -> isFinite(v), mapFromArrays({dw_classes:Array(String)}, [${classScores
      .map((c) => `ifNull(toFloat64OrNull(toString(${quoteIdentifier(c.column)})), nan)`)
      .join(', ')}]::Array(Float64)))`;
    const sql = `INSERT INTO reference_rows (model, baseline, version, row_id, score, prediction, scores, label, feature_numbers, feature_strings, feature_nulls, attributes)
       SELECT {model:String}, {name:String}, {version:UInt32}, rowNumberInAllBlocks(),
              ${input.roles.score ? `toFloat64OrNull(toString(${quoteIdentifier(input.roles.score)}))` : 'NULL'},
              ${prediction ? `if(isNull(${prediction}) OR trim(toString(${prediction})) = '', NULL, toString(${prediction}))` : 'NULL'},
              ${classScores.length > 0 ? scores : 'map()'},
              ${input.roles.label ? `toString(${quoteIdentifier(input.roles.label)})` : 'NULL'},
              ${features.numbers}, ${features.strings}, ${features.nulls},
              ${attributesMap(input.roles.attributes)}
       FROM ${quoteIdentifier(scratch)}`;
    await store.command(
      sql,
      {
        model: input.model,
        name: input.name,
        version,
        dw_attribute_names: [...input.roles.attributes],
        dw_classes: classScores.map((c) => c.className),
        ...features.params,
      },
      wideStatementSettings(sql, kept.length),
    );
  } finally {
    await dropTable(store, scratch);
  }
  return recordBaseline(store, {
    model: input.model,
    name: input.name,
    version,
    kind: 'file',
    source: input.source ?? input.file,
    columns: [...input.roles.features],
  });
}

/** A fixed time range of the model's own prediction events, frozen as a baseline version. */
export async function insertBaselineFromRange(
  store: Store,
  input: { model: string; name: string; window: TimeWindow; features: ColumnInfo[] },
): Promise<BaselineRecord> {
  const version = await nextVersion(store, input.model, input.name);
  await store.command(
    `INSERT INTO reference_rows (model, baseline, version, row_id, score, prediction, scores, label, feature_numbers, feature_strings, feature_nulls, attributes)
     SELECT p.model, {name:String}, {version:UInt32}, rowNumberInAllBlocks(), p.score, p.prediction, p.scores,
            if(l.prediction_id = '', NULL, l.label), p.feature_numbers, p.feature_strings, p.feature_nulls, p.attributes
     FROM (SELECT * FROM events FINAL
           WHERE model = {model:String} AND kind = 'prediction'
             AND ts >= {from:DateTime64(3)} AND ts < {to:DateTime64(3)}) AS p
     LEFT JOIN (SELECT prediction_id, label FROM labels FINAL WHERE model = {model:String}) AS l
       ON p.prediction_id = l.prediction_id`,
    {
      model: input.model,
      name: input.name,
      version,
      from: toClickHouseTime(input.window.start),
      to: toClickHouseTime(input.window.end),
    },
  );
  return recordBaseline(store, {
    model: input.model,
    name: input.name,
    version,
    kind: 'range',
    source: `${input.window.start.toISOString()}..${input.window.end.toISOString()}`,
    columns: input.features,
  });
}

/** The file's columns a baseline keeps: its features, slice attributes, score, label, prediction. */
function keptColumns(columns: readonly ColumnInfo[], roles: BaselineColumnRoles): ColumnInfo[] {
  const wanted = new Set([
    ...roles.features.map((feature) => feature.name),
    ...roles.attributes,
    ...(roles.score ? [roles.score] : []),
    ...(roles.label ? [roles.label] : []),
    ...(roles.prediction ? [roles.prediction] : []),
    ...(roles.classScores ?? []).map((c) => c.column),
  ]);
  return columns.filter((column) => wanted.has(column.name));
}

/**
 * A file row's features in the layout of events (migration 0004): numeric columns into
 * feature_numbers, text columns into feature_strings, empty fields into feature_nulls.
 * Feature names travel as parameters, each once; only the column identifiers are in the
 * SQL, each once (the scratch table's columns already have the feature's type), so the
 * statement grows by a name's length per feature and no more.
 */
function featureMaps(features: readonly ColumnInfo[]): {
  numbers: string;
  strings: string;
  nulls: string;
  params: Record<string, string[]>;
} {
  const numeric = features.filter((f) => f.kind === 'numeric');
  const text = features.filter((f) => f.kind === 'categorical');
  const values = (columns: readonly ColumnInfo[]) =>
    `[${columns.map((c) => quoteIdentifier(c.name)).join(', ')}]`;
  // The non-null (name, value) pairs of one row, as a map; the values array is named once.
  const presentMap = (names: string, vals: string, alias: string, type: string) =>
    `mapFromArrays(arrayFilter((k, v) -> isNotNull(v), ${names}, ${vals} AS ${alias}),
       arrayMap(v -> assumeNotNull(v), arrayFilter(v -> isNotNull(v), ${alias})))::Map(LowCardinality(String), ${type})`;
  const nullNames = (names: string, alias: string) =>
    `arrayFilter((k, v) -> isNull(v), ${names}, ${alias})`;
  const nulls = [
    ...(numeric.length > 0 ? [nullNames('{dw_num_names:Array(String)}', '__dw_numbers')] : []),
    ...(text.length > 0 ? [nullNames('{dw_str_names:Array(String)}', '__dw_strings')] : []),
  ];
  return {
    numbers:
      numeric.length === 0
        ? 'map()::Map(LowCardinality(String), Float64)'
        : presentMap('{dw_num_names:Array(String)}', values(numeric), '__dw_numbers', 'Float64'),
    strings:
      text.length === 0
        ? 'map()::Map(LowCardinality(String), String)'
        : presentMap('{dw_str_names:Array(String)}', values(text), '__dw_strings', 'String'),
    nulls:
      nulls.length === 0
        ? '[]::Array(LowCardinality(String))'
        : `arrayConcat(${nulls.join(', ')})::Array(LowCardinality(String))`,
    params: {
      dw_num_names: numeric.map((f) => f.name),
      dw_str_names: text.map((f) => f.name),
    },
  };
}

/** Keys travel as a parameter (`dw_attribute_names`); only the column identifiers are in the SQL. */
function attributesMap(attributes: readonly string[]): string {
  if (attributes.length === 0) return 'map()::Map(LowCardinality(String), String)';
  const values = attributes.map((name) => `ifNull(toString(${quoteIdentifier(name)}), '')`);
  return `mapFromArrays({dw_attribute_names:Array(String)}, [${values.join(', ')}])`;
}
