import fs from 'node:fs';
import { Option, type Command } from 'commander';
import { InputError } from '../../errors.js';
import { compareFiles } from '../../report/compareFiles.js';
import { DEFAULT_DRIFT_CRITERIA } from '../../drift/featureDrift.js';
import { renderReportHtml } from '../../report/render/html.js';
import { renderReportTable } from '../../report/render/table.js';
import type { CommandContext } from '../program.js';

interface ReportFlags {
  baseline: string;
  current: string;
  slice?: string;
  score?: string;
  label?: string;
  threshold: string;
  format: 'table' | 'json' | 'html';
  out?: string;
  bins: string;
}

export function registerReportCommand(program: Command, context: CommandContext): void {
  program
    .command('report')
    .description(
      'Compare a current dataset with a baseline (CSV, Parquet or Arrow files) and report drift per feature',
    )
    .requiredOption(
      '--baseline <file>',
      'reference data: the training set (CSV, Parquet or Arrow IPC)',
    )
    .requiredOption('--current <file>', 'current data: production inputs to compare')
    .option('--slice <column>', 'report every feature per value of this column, plus "all"')
    .option('--score <column>', 'model score column (0..1) in the current file')
    .option('--label <column>', 'label column (0/1) in the current file')
    .option('--threshold <t>', 'score at or above which a prediction is positive', '0.5')
    .option('--bins <n>', 'quantile bins for PSI and Jensen-Shannon', '10')
    .addOption(
      new Option('--format <format>', 'output format')
        .choices(['table', 'json', 'html'])
        .default('table'),
    )
    .option('--out <file>', 'write the report to a file instead of standard output')
    .action(async (flags: ReportFlags) => {
      const threshold = parseNumberFlag('--threshold', flags.threshold);
      const bins = parseNumberFlag('--bins', flags.bins);
      if ((flags.score === undefined) !== (flags.label === undefined)) {
        throw new InputError({ file: flags.current }, '--score and --label go together');
      }
      const report = await compareFiles(await context.store(), {
        baseline: flags.baseline,
        current: flags.current,
        slice: flags.slice,
        score: flags.score,
        label: flags.label,
        threshold,
        bins,
        criteria: DEFAULT_DRIFT_CRITERIA,
      });
      const rendered =
        flags.format === 'json'
          ? `${JSON.stringify(report, null, 2)}\n`
          : flags.format === 'html'
            ? renderReportHtml(report)
            : renderReportTable(report);
      if (flags.out) {
        fs.writeFileSync(flags.out, rendered);
        process.stderr.write(
          `driftwatch: ${report.summary.drifted} drifted entries; report written to ${flags.out}\n`,
        );
      } else {
        process.stdout.write(rendered);
      }
    });
}

function parseNumberFlag(flag: string, value: string): number {
  const number = Number(value);
  if (!Number.isFinite(number))
    throw new InputError({ file: flag }, `expected a number, got "${value}"`);
  return number;
}
