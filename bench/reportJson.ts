// npx tsx bench/reportJson.ts DIR OUT.json [exact|bracketed|auto] [SOURCE_ROOT]
//
// The whole report's JSON (without its generated_at) from two 1M-row CSV files kept in DIR
// (written there by the report benchmark's generator on the first run, reused after), so
// that two versions of the code can be compared bit for bit on the same files: run it with
// SOURCE_ROOT a checkout of the old code (`git worktree add` or `git archive`, with this
// repository's node_modules beside its src), then without, and `cmp` the two outputs.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openStore } from '../src/store/clickhouse.js';
import { loadLine } from './measure.js';
import { createSyntheticTable } from './report.js';

const [dir, out, distances = 'exact', sourceRoot] = process.argv.slice(2);
if (!dir || !out) {
  console.error(
    'usage: npx tsx bench/reportJson.ts DIR OUT.json [exact|bracketed|auto] [SOURCE_ROOT]',
  );
  process.exit(2);
}
const ROWS = 1_000_000;
fs.mkdirSync(dir, { recursive: true });
const files = { baseline: path.join(dir, 'baseline.csv'), current: path.join(dir, 'current.csv') };
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'driftwatch-report-json-'));
const store = await openStore({ kind: 'embedded', dataDir: scratch, database: 'bench' });
try {
  if (!fs.existsSync(files.current)) {
    for (const [table, file, drifted] of [
      ['json_baseline', files.baseline, false],
      ['json_current', files.current, true],
    ] as const) {
      await createSyntheticTable(store, table, ROWS, drifted);
      await store.command(
        `INSERT INTO FUNCTION file({file:String}, 'CSVWithNames') SELECT * FROM ${table}`,
        { file: path.resolve(file) },
        { engine_file_truncate_on_insert: 1 },
      );
      await store.command(`DROP TABLE ${table}`);
    }
  }
  const root = path.resolve(sourceRoot ?? path.join(import.meta.dirname, '..'));
  const { compareFiles } = (await import(
    path.join(root, 'src/report/compareFiles.ts')
  )) as typeof import('../src/report/compareFiles.js');
  const load = loadLine();
  const started = performance.now();
  const cpu = process.cpuUsage();
  const report = await compareFiles(store, {
    ...files,
    slice: 'segment',
    score: 'score',
    label: 'label',
    distances: distances as 'exact' | 'bracketed' | 'auto',
  });
  const used = process.cpuUsage(cpu);
  // everything but the time it was made
  const stable = JSON.stringify(report, (key, value: unknown) =>
    key === 'generated_at' ? undefined : value,
  );
  fs.writeFileSync(out, `${stable}\n`);
  console.log(
    `${root} (${distances}): ${((performance.now() - started) / 1000).toFixed(2)} s, ` +
      `CPU ${((used.user + used.system) / 1e6).toFixed(2)} s; ${load}; wrote ${out}`,
  );
} finally {
  await store.close();
  fs.rmSync(scratch, { recursive: true, force: true });
}
