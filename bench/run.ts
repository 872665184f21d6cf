// npm run bench            runs every benchmark
// npm run bench -- report  runs one by name
import { loadLine, machineLine } from './measure.js';

interface Benchmark {
  name: string;
  run(): Promise<void>;
}

const benchmarks: Benchmark[] = [
  { name: 'report', run: async () => (await import('./report.js')).runReportBenchmark(['stats']) },
  // the whole report from two 1M-row CSV files, then from two 10M-row files
  {
    name: 'report-csv',
    run: async () => (await import('./report.js')).runReportBenchmark(['csv'], [1_000_000]),
  },
  // the same with ~1M distinct scores a file (the performance section sorts them), from CSV
  // and from Parquet (read by ClickHouse without a text parse)
  {
    name: 'report-csv-scores',
    run: async () =>
      (await import('./report.js')).runReportBenchmark(['csv'], [1_000_000], {
        format: 'csv',
        scores: 'distinct',
      }),
  },
  {
    name: 'report-parquet',
    run: async () =>
      (await import('./report.js')).runReportBenchmark(['csv'], [1_000_000], {
        format: 'parquet',
        scores: 'distinct',
      }),
  },
  // issue 22: where the exact feature statistics' CPU goes, step by step (Parquet files)
  {
    name: 'report-breakdown',
    run: async () => (await import('./reportBreakdown.js')).runReportBreakdownBenchmark(),
  },
  {
    name: 'report-csv-10m',
    run: async () => (await import('./report.js')).runReportBenchmark(['csv'], [10_000_000]),
  },
  { name: 'ingest', run: async () => (await import('./ingest.js')).runKafkaIngestBenchmark() },
  // a backlog twice as deep (24 partitions of 4,000 events): what a consumer catching up sees
  {
    name: 'ingest-backlog',
    run: async () =>
      (await import('./ingest.js')).runKafkaIngestBenchmark(
        600_000,
        24,
        {},
        { events: 100_000, rate: 5_000 },
        undefined,
        96_000,
      ),
  },
  // the writer's linger: none, the defaults, larger and longer
  { name: 'ingest-linger', run: async () => (await import('./ingest.js')).runLingerBenchmark() },
  { name: 'ingest-http', run: async () => (await import('./ingest.js')).runHttpIngestBenchmark() },
  {
    // issue 22's figure: 5,000-event posts, 2 in flight
    name: 'ingest-http-5k',
    run: async () => (await import('./ingest.js')).runHttpIngestBenchmark(300_000, 5_000, 2),
  },
  // the engine's share without Kafka: existence check, insert, summary views, insert sizes
  { name: 'ingest-writer', run: async () => (await import('./ingest.js')).runWriterBenchmark() },
  // issue 22.3: the writer's duplicate lookup at 1M and 10M stored events
  { name: 'ingest-dedup', run: async () => (await import('./dedup.js')).runDedupBenchmark() },
  // the same with Bloom-filter skip indexes on event_id (measured, not adopted)
  {
    name: 'ingest-dedup-index',
    run: async () => {
      const { runDedupBenchmark, DEDUP_INDEX_VARIANTS } = await import('./dedup.js');
      await runDedupBenchmark([1_000_000, 10_000_000], DEDUP_INDEX_VARIANTS);
    },
  },
  {
    name: 'ingest-breakdown',
    run: async () => (await import('./ingest.js')).runIngestBreakdownBenchmark(),
  },
  { name: 'ingest-layout', run: async () => (await import('./ingest.js')).runLayoutBenchmark() },
  {
    name: 'monitor',
    run: async () => (await import('./monitor.js')).runMonitorBenchmark(['hour', 'month']),
  },
  // the month alone (issue 22.3: the day grain read from days or from hours)
  {
    name: 'monitor-month',
    run: async () => (await import('./monitor.js')).runMonitorBenchmark(['month']),
  },
  {
    name: 'backtest',
    run: async () => (await import('./monitor.js')).runMonitorBenchmark(['backtest']),
  },
  // issue 19: each task's monitor run at 1M and 10M events, and CBPE over a month of 5-minute windows
  { name: 'tasks', run: async () => (await import('./tasks.js')).runTasksBenchmark() },
  // issue 22: 1,000 models × 100 features × 10 slices of generated summaries
  {
    name: 'many-models',
    run: async () => (await import('./manyModels.js')).runManyModelsBenchmark(),
  },
  // issue 22.1: straddling verdicts narrowed from stored finer cells, 1M and 10M events, whole CLI
  {
    name: 'straddling',
    run: async () => (await import('./straddling.js')).runStraddlingBenchmark(),
  },
  // issue 22.1: where that run's CPU goes, phase by phase and query by query (a filled store)
  {
    name: 'straddling-phases',
    run: async () => (await import('./straddlingPhases.js')).runStraddlingPhases(),
  },
  { name: 'export', run: async () => (await import('./export.js')).runExportBenchmark() },
  { name: 'alerts', run: async () => (await import('./alerts.js')).runAlertsBenchmark() },
  { name: 'cli', run: async () => (await import('./cli.js')).runCliBenchmark() },
];

const wanted = process.argv.slice(2);
console.log(`machine: ${machineLine()}; ${loadLine()}`);
for (const benchmark of benchmarks) {
  if (wanted.length > 0 && !wanted.includes(benchmark.name)) continue;
  console.log(`\n== ${benchmark.name} (npm run bench -- ${benchmark.name}); ${loadLine()}`);
  await benchmark.run();
}
