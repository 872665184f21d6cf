// npm run bench            runs every benchmark
// npm run bench -- report  runs one by name
import { machineLine } from './measure.js';

interface Benchmark {
  name: string;
  run(): Promise<void>;
}

const benchmarks: Benchmark[] = [
  { name: 'report', run: async () => (await import('./report.js')).runReportBenchmark() },
  // only the whole report from two 1M-row CSV files
  { name: 'report-csv', run: async () => (await import('./report.js')).runReportBenchmark([]) },
  { name: 'ingest', run: async () => (await import('./ingest.js')).runKafkaIngestBenchmark() },
  { name: 'ingest-http', run: async () => (await import('./ingest.js')).runHttpIngestBenchmark() },
  {
    name: 'ingest-breakdown',
    run: async () => (await import('./ingest.js')).runIngestBreakdownBenchmark(),
  },
  { name: 'ingest-layout', run: async () => (await import('./ingest.js')).runLayoutBenchmark() },
  { name: 'monitor', run: async () => (await import('./monitor.js')).runMonitorBenchmark() },
  { name: 'export', run: async () => (await import('./export.js')).runExportBenchmark() },
  { name: 'alerts', run: async () => (await import('./alerts.js')).runAlertsBenchmark() },
  { name: 'cli', run: async () => (await import('./cli.js')).runCliBenchmark() },
];

const wanted = process.argv.slice(2);
console.log(`machine: ${machineLine()}`);
for (const benchmark of benchmarks) {
  if (wanted.length > 0 && !wanted.includes(benchmark.name)) continue;
  console.log(`\n== ${benchmark.name} (npm run bench -- ${benchmark.name})`);
  await benchmark.run();
}
