import fs from 'node:fs';
import { Option, type Command } from 'commander';
import { DEFAULT_DRIFT_CRITERIA, type FeatureDrift } from '../../drift/featureDrift.js';
import { InputError } from '../../errors.js';
import { compareFiles, type DriftReport } from '../../report/compareFiles.js';
import { renderReportHtml } from '../../report/render/html.js';
import { performanceRequest } from '../../report/performance.js';
import { renderReportTable } from '../../report/render/table.js';
import { defaultsOf } from '../../monitors/checks/registry.js';
import type { CommandContext } from '../program.js';

interface ReportFlags {
  baseline: string;
  current: string;
  slice?: string;
  score?: string;
  label?: string;
  task?: string;
  prediction?: string;
  classScores?: string;
  calibrationBins: string;
  threshold: string;
  format: 'table' | 'json' | 'html';
  out?: string;
  bins: string;
  maxNullIncrease: string;
  failOn: 'drift' | 'warn' | 'never';
  ignore?: string;
  features?: string;
  exact?: boolean;
}

/** The exit status of a report that --fail-on finds failing (1 and 2 mean errors). */
export const EXIT_DRIFT = 3;

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
    .addOption(
      new Option(
        '--task <task>',
        "the model's task, for the performance section (binary when --score is given)",
      ).choices(['binary', 'multiclass', 'regression']),
    )
    .option('--score <column>', 'binary: model score column (0..1)')
    .option('--prediction <column>', 'multiclass and regression: the predicted class or value')
    .option(
      '--class-scores <prefix>',
      'multiclass: one score column per class, named <prefix><class> (p_ for p_cat, p_dog)',
    )
    .option(
      '--label <column>',
      'label column (0/1 for binary); absent or empty in the current file: performance is estimated (CBPE)',
    )
    .option('--threshold <t>', 'score at or above which a prediction is positive', '0.5')
    .option(
      '--calibration-bins <n>',
      'binary: equal-width bins of the expected calibration error and the reliability curve',
      '16',
    )
    .option('--bins <n>', 'quantile bins for PSI and Jensen-Shannon', '10')
    .option(
      '--max-null-increase <rate>',
      'a null rate rising by more than this (e.g. 0.05 = 5 points) marks the feature drifted',
      String(DEFAULT_DRIFT_CRITERIA.maxNullIncrease),
    )
    .addOption(
      new Option(
        '--fail-on <level>',
        `exit with status ${EXIT_DRIFT} when any entry drifted (drift), also on warnings (warn), or never`,
      )
        .choices(['drift', 'warn', 'never'])
        .default('never'),
    )
    .option('--ignore <columns>', 'comma-separated columns never compared (ids, timestamps)')
    .option('--features <columns>', 'comma-separated columns to compare; the others are left out')
    .option(
      '--exact',
      'exact KS and Wasserstein at any size (by default files over 2M rows get proven brackets)',
    )
    .addOption(
      new Option('--format <format>', 'output format')
        .choices(['table', 'json', 'html'])
        .default('table'),
    )
    .option('--out <file>', 'write the report to a file instead of standard output')
    .action(async (flags: ReportFlags) => {
      const threshold = parseNumberFlag('--threshold', flags.threshold);
      const bins = parseNumberFlag('--bins', flags.bins);
      const maxNullIncrease = parseNumberFlag('--max-null-increase', flags.maxNullIncrease);
      if (!(maxNullIncrease >= 0 && maxNullIncrease <= 1))
        throw new InputError({ file: '--max-null-increase' }, 'expected a rate between 0 and 1');
      const performance = performanceRequest({
        task: flags.task,
        score: flags.score,
        prediction: flags.prediction,
        label: flags.label,
        classScores: flags.classScores,
        threshold,
        calibrationBins: parseNumberFlag('--calibration-bins', flags.calibrationBins),
      });
      // A store of its own: files need no lock on the service's store, and leave nothing in it.
      const report = await compareFiles(await context.temporaryStore(), {
        baseline: flags.baseline,
        current: flags.current,
        slice: flags.slice,
        score: flags.score,
        label: flags.label,
        threshold,
        ...(performance ? { performance } : {}),
        bins,
        criteria: { ...DEFAULT_DRIFT_CRITERIA, maxNullIncrease },
        ignore: columnList(flags.ignore),
        features: columnList(flags.features),
        distances: flags.exact ? 'exact' : 'auto',
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
      const failing = failingEntries(report, flags.failOn);
      if (failing > 0) {
        process.stderr.write(
          `driftwatch: --fail-on ${flags.failOn}: ${failing} ${flags.failOn === 'drift' ? 'drifted' : 'drifted or warning'} entr${failing === 1 ? 'y' : 'ies'}\n`,
        );
        process.exitCode = EXIT_DRIFT;
      }
    });
}

/**
 * What --fail-on counts: drifted entries; with `warn` also entries at PSI's warning level,
 * with non-finite values in the current file, or whose bracket straddles a criterion, and
 * classification entries that left non-finite scores of the current file out.
 */
export function failingEntries(report: DriftReport, level: ReportFlags['failOn']): number {
  if (level === 'never') return 0;
  const warnAt = defaultsOf('psi', 'distance').warn ?? Infinity;
  const warns = (entry: FeatureDrift) =>
    (entry.psi ?? 0) >= warnAt || entry.quality.current.non_finite > 0 || entry.undecided === true;
  const features = report.features.filter(
    (entry) => entry.drift || (level === 'warn' && warns(entry)),
  ).length;
  const scores =
    level === 'warn'
      ? (report.classification ?? []).filter((entry) => entry.excluded_scores.non_finite > 0).length
      : 0;
  return features + scores;
}

function columnList(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  return value
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
}

function parseNumberFlag(flag: string, value: string): number {
  const number = Number(value);
  if (!Number.isFinite(number))
    throw new InputError({ file: flag }, `expected a number, got "${value}"`);
  return number;
}
