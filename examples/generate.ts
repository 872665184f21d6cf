// Regenerates the shipped example files: npx tsx examples/generate.ts
// The Parquet and Arrow IPC copies are written by embedded ClickHouse from the CSV files.
import { writeExampleCsv, writeExampleEvents } from '../src/demo/exampleFiles.js';
import { openStore } from '../src/store/clickhouse.js';

writeExampleCsv('examples/baseline.csv', 20_000, false, 1);
writeExampleCsv('examples/current.csv', 8_000, true, 2);
writeExampleEvents('examples/events.ndjson');

const structure =
  'amount Nullable(Float64), account_age_days Nullable(Float64), device_score Nullable(Float64), tiny_rate Nullable(Float64), ' +
  'merchant_category Nullable(String), channel Nullable(String), country Nullable(String), score Nullable(Float64), label Nullable(Float64)';
const store = await openStore({ kind: 'embedded', dataDir: ':memory:', database: 'examples' });
for (const [source, target, format] of [
  ['baseline.csv', 'baseline.parquet', 'Parquet'],
  ['current.csv', 'current.parquet', 'Parquet'],
  ['current.csv', 'current.arrow', 'Arrow'],
]) {
  await store.command(
    `INSERT INTO FUNCTION file({target:String}, {format:String})
     SELECT * FROM file({source:String}, 'CSVWithNames', {structure:String})`,
    {
      target: `${process.cwd()}/examples/${target}`,
      format,
      source: `${process.cwd()}/examples/${source}`,
      structure,
    },
    {
      engine_file_truncate_on_insert: 1,
      input_format_csv_empty_as_default: 1,
      input_format_null_as_default: 0,
    },
  );
}
await store.close();
