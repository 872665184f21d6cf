import fs from 'node:fs';
import type { Command } from 'commander';
import { alertWarnings } from '../../alerts/secrets.js';
import { DriftwatchError, InputError } from '../../errors.js';
import { invalidTimeRange, type BacktestWindow } from '../../monitors/backtest.js';
import type { CheckResult } from '../../monitors/checkResult.js';
import {
  formatMonitorError,
  loadMonitorDirectory,
  monitorFileOptionsOf,
} from '../../monitors/monitorFile.js';
import { alertPlanToJson, describeAlertPlan } from '../../alerts/alertPlan.js';
import { alignColumns } from '../../report/render/table.js';
import type { StoredResult } from '../../store/results.js';
import { rebuildSummaries } from '../../store/summaryQueries.js';
import { localModels, type MonitorUseCases } from '../monitorUseCases.js';
import { EXIT_INPUT, NoStoreError, type CommandContext } from '../program.js';

/** validate, baseline create, run, backtest, history, runs: the monitor-facing commands. */
export function registerMonitorCommands(program: Command, context: CommandContext): void {
  program
    .command('validate [dir]')
    .description(
      'check every monitor file in DIR (default: monitors/) and report each error with file, line and column',
    )
    .action((dir: string | undefined) => {
      const folder = dir ?? context.config.monitorsDir;
      assertMonitorFolder(folder);
      const {
        plans,
        files: fileOf,
        errors,
      } = loadMonitorDirectory(folder, monitorFileOptionsOf(context.config));
      for (const error of errors) process.stderr.write(`${formatMonitorError(error)}\n`);
      // Warnings only: the environment of this shell need not be the service's.
      for (const warning of alertWarnings(plans, context.config.alerts))
        process.stderr.write(
          `${fileOf.get(warning.model) ?? folder}: warning: ${warning.message}\n`,
        );
      const files = new Set(errors.map((error) => error.file)).size;
      process.stdout.write(
        `${plans.length} monitor(s) valid${errors.length ? `, ${errors.length} error(s) in ${files} file(s)` : ''} in ${folder}\n`,
      );
      if (errors.length > 0) process.exitCode = EXIT_INPUT;
    });

  const baseline = program
    .command('baseline')
    .description('manage the baselines monitors compare against');
  baseline
    .command('create')
    .description(
      "load a training file (CSV, Parquet, Arrow) or a time range of the model's own events as a new baseline version",
    )
    .requiredOption('--model <model>', 'the monitored model')
    .option('--file <file>', 'training data file')
    .option('--from <time>', "start of a time range of the model's events (RFC 3339)")
    .option('--to <time>', 'end of that range')
    .action(async (flags: { model: string; file?: string; from?: string; to?: string }) => {
      if (!flags.file && (!flags.from || !flags.to))
        throw new InputError({ file: '--file' }, 'give --file, or --from and --to');
      const range = flags.file ? undefined : parseTimeRange(flags.from ?? '', flags.to ?? '');
      const monitors = await context.monitorUseCases();
      const created = await monitors.createBaseline(
        flags.model,
        flags.file ? { file: flags.file } : (range as { from: Date; to: Date }),
      );
      process.stdout.write(
        `baseline ${created.name} version ${created.version} for ${created.model}: ${created.rows} rows\n`,
      );
    });

  program
    .command('run')
    .description(
      "evaluate one window of a monitor's schedule now and store the results (again: they replace the window's earlier ones)",
    )
    .requiredOption('--model <model>', 'the monitored model')
    .option(
      '--window-end <time>',
      "end of the window (RFC 3339), a tick of the monitor's schedule; default: the last complete scheduled window",
    )
    .option('--json', 'print the results as JSON')
    .action(async (flags: { model: string; windowEnd?: string; json?: boolean }) => {
      const requested = flags.windowEnd ? parseTime('--window-end', flags.windowEnd) : undefined;
      if (requested && requested.getTime() > Date.now() + 60_000) {
        throw new InputError(
          { file: '--window-end' },
          `${requested.toISOString()} is in the future: only windows that have ended can be evaluated`,
        );
      }
      const monitors = await context.monitorUseCases();
      const { evaluation, alerting } = await monitors.run(flags.model, requested);
      if (flags.json) {
        process.stdout.write(`${JSON.stringify({ ...evaluation, alerts: alerting }, null, 2)}\n`);
        return;
      }
      process.stdout.write(
        `${evaluation.monitor} ${evaluation.window.start.toISOString()} .. ${evaluation.window.end.toISOString()}: ${evaluation.status}` +
          ` (${evaluation.events !== undefined ? `${evaluation.events} events; ` : ''}baseline ${evaluation.baseline.name} v${evaluation.baseline.version}, ${evaluation.results.length} results, ${evaluation.durationMs.toFixed(0)} ms)\n`,
      );
      if (evaluation.status === 'no_data') process.stdout.write(silenceNote(evaluation.results));
      if (evaluation.status === 'awaiting_data')
        process.stdout.write(
          `${evaluation.results.find((r) => r.status === 'awaiting_data')?.details.reason ?? 'awaiting data'}\n`,
        );
      process.stdout.write(`${alerting}\n`);
      if (evaluation.exactFallback && !evaluation.exactFallback.resolved) {
        process.stdout.write(
          `${evaluation.exactFallback.verdicts} verdict(s) had a bracket straddling the threshold and were judged by its worst case (the window is too large to recompute exactly)\n`,
        );
      }
      process.stdout.write(
        resultsTable(
          evaluation.results.filter(
            (r) => r.status === 'warn' || r.status === 'critical' || r.status === 'no_data',
          ),
        ),
      );
    });

  program
    .command('backtest')
    .description(
      'replay history window by window and print which checks would have fired, and how many notifications each route would have received per week (nothing is stored or sent)',
    )
    .requiredOption('--model <model>', 'the monitored model')
    .requiredOption('--from <time>', 'start (RFC 3339)')
    .requiredOption('--to <time>', 'end (RFC 3339)')
    .option('--json', 'print JSON')
    .action(async (flags: { model: string; from: string; to: string; json?: boolean }) => {
      const range = parseTimeRange(flags.from, flags.to);
      const printWindow = (window: BacktestWindow) => {
        if (!flags.json)
          process.stdout.write(
            window.reason !== undefined
              ? `${window.end.toISOString()}  ${window.status.padEnd(17)} ${window.reason}\n`
              : `${window.end.toISOString()}  ${window.status.padEnd(17)} ${window.fired} check(s) fired${window.events !== undefined ? ` (${window.events} events)` : ''}\n`,
          );
      };
      const monitors = await context.monitorUseCases();
      const backtest = await monitors.backtest(flags.model, range, printWindow);
      if (flags.json)
        process.stdout.write(
          `${JSON.stringify({ windows: backtest.windows.length, fired: backtest.fired, alerts: alertPlanToJson(backtest.alerts) }, null, 2)}\n`,
        );
      else
        process.stdout.write(
          `\n${resultsTable(backtest.fired)}\n${describeAlertPlan(backtest.alerts)}`,
        );
    });

  program
    .command('history')
    .description('print the drift history of a model, newest window first, a page at a time')
    .requiredOption('--model <model>', 'the model')
    .option('--feature <feature>', 'only this feature')
    .option('--slice <slice>', 'only this slice value (e.g. web, or channel=web)')
    .option('--metric <metric>', 'only this metric')
    .option('--breaches', 'only warn and critical results')
    .option('--limit <n>', 'at most this many rows', '200')
    .option('--offset <n>', 'skip this many rows (the next page)', '0')
    .option('--json', 'print JSON')
    .action(
      async (flags: {
        model: string;
        feature?: string;
        slice?: string;
        metric?: string;
        breaches?: boolean;
        limit: string;
        offset: string;
        json?: boolean;
      }) => {
        const limit = parseCount('--limit', flags.limit);
        const offset = parseCount('--offset', flags.offset, 0);
        const filter = {
          model: flags.model,
          feature: flags.feature,
          slice: flags.slice,
          metric: flags.metric,
        };
        const monitors = await readUseCases(context, flags.model);
        const page = await monitors.history({
          ...filter,
          breachesOnly: flags.breaches ?? false,
          limit,
          offset,
        });
        if (page.total === 0)
          assertKnownModel(await monitors.knownModels(flags.model), flags.model);
        if (flags.json) {
          process.stdout.write(`${JSON.stringify(page.items, null, 2)}\n`);
          return;
        }
        process.stdout.write(historyTable(page.items));
        process.stdout.write(pageNote(page.items.length, offset, page.total));
      },
    );

  program
    .command('runs')
    .description("list a monitor's evaluated windows, newest first, a page at a time")
    .requiredOption('--model <model>', 'the model')
    .option('--limit <n>', 'at most this many runs', '100')
    .option('--offset <n>', 'skip this many runs (the next page)', '0')
    .option('--json', 'print JSON')
    .action(async (flags: { model: string; limit: string; offset: string; json?: boolean }) => {
      const limit = parseCount('--limit', flags.limit);
      const offset = parseCount('--offset', flags.offset, 0);
      const monitors = await readUseCases(context, flags.model);
      const page = await monitors.runs(flags.model, { limit, offset });
      if (page.total === 0) assertKnownModel(await monitors.knownModels(flags.model), flags.model);
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(page.items, null, 2)}\n`);
        return;
      }
      const table = [
        ['window end', 'status', 'checks', 'breaches', 'ms'],
        ...page.items.map((run) => [
          run.window_end,
          run.status,
          String(run.checks),
          String(run.breaches),
          String(run.duration_ms),
        ]),
      ];
      process.stdout.write(`${alignColumns(table).join('\n')}\n`);
      process.stdout.write(pageNote(page.items.length, offset, page.total));
    });

  const summaries = program
    .command('summaries')
    .description('the window summaries monitors read (filled as events arrive)');
  summaries
    .command('rebuild')
    .description(
      're-derive whole UTC days of summaries from raw events: after a frame changed, or for events stored before the summaries existed',
    )
    .requiredOption('--model <model>', 'the model')
    .requiredOption('--from <day>', 'first day (YYYY-MM-DD, UTC)')
    .requiredOption('--to <day>', 'day after the last (YYYY-MM-DD, UTC)')
    .action(async (flags: { model: string; from: string; to: string }) => {
      const day = (flag: string, text: string) => {
        if (!/^\d{4}-\d{2}-\d{2}$/.test(text) || Number.isNaN(Date.parse(`${text}T00:00:00Z`)))
          throw new InputError({ file: flag }, `expected a day as YYYY-MM-DD, got "${text}"`);
        return text;
      };
      const fromDay = day('--from', flags.from);
      const toDay = day('--to', flags.to);
      if (fromDay >= toDay) throw new InputError({ file: '--from' }, 'must be before --to');
      const result = await rebuildSummaries(await context.store(), {
        model: flags.model,
        fromDay,
        toDay,
      });
      process.stdout.write(
        `rebuilt the summaries of ${flags.model} for ${fromDay} .. ${toDay} from ${result.events} events (rebuild ${result.rebuildId}); events ingested today keep theirs\n`,
      );
    });
}

/** Says what a page leaves out, and how to see it: nothing is capped silently. */
function pageNote(shown: number, offset: number, total: number): string {
  if (offset === 0 && shown >= total) return '';
  const next = offset + shown;
  return `(rows ${offset + 1}-${next} of ${total}${next < total ? `; --offset ${next} for the next page` : ''})\n`;
}

function assertMonitorFolder(folder: string): void {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(folder);
  } catch {
    throw new InputError({ file: folder }, 'no such directory');
  }
  if (!stat.isDirectory()) throw new InputError({ file: folder }, 'not a directory');
  if (!fs.readdirSync(folder).some((name) => /\.ya?ml$/.test(name))) {
    throw new InputError({ file: folder }, 'no monitor files (*.yaml, *.yml) in this directory');
  }
}

/** The use cases to read with; with no store yet, a typo in --model is said first. */
async function readUseCases(context: CommandContext, model: string): Promise<MonitorUseCases> {
  try {
    return await context.monitorUseCases({ readOnly: true });
  } catch (error) {
    if (error instanceof NoStoreError)
      assertKnownModel(localModels(context.monitors(), model), model);
    throw error;
  }
}

/** Nothing stored for a model nobody monitors: most likely a typo, so name the known ones. */
function assertKnownModel(known: readonly string[], model: string): void {
  if (known.includes(model)) return;
  throw new InputError(
    { file: '--model' },
    `unknown model "${model}": no monitor and no history (known models: ${known.join(', ') || 'none'})`,
  );
}

function parseTime(flag: string, text: string): Date {
  const date = new Date(text);
  if (Number.isNaN(date.getTime()))
    throw new InputError(
      { file: flag },
      `not a time: "${text}" (expected RFC 3339, e.g. 2026-11-22T10:00:00Z)`,
    );
  return date;
}

function parseTimeRange(fromText: string, toText: string): { from: Date; to: Date } {
  const from = parseTime('--from', fromText);
  const to = parseTime('--to', toText);
  const invalid = invalidTimeRange(from, to);
  if (invalid) throw new DriftwatchError('DW_INPUT', invalid);
  return { from, to };
}

function parseCount(flag: string, text: string, minimum = 1): number {
  const count = Number(text);
  if (!Number.isInteger(count) || count < minimum)
    throw new InputError(
      { file: flag },
      `expected a whole number of at least ${minimum}, got "${text}"`,
    );
  return count;
}

/** Why a window is silent, and since when: silence is a finding, not "ok". */
function silenceNote(results: readonly CheckResult[]): string {
  const freshness = results.find((r) => r.metric === 'freshness');
  const since = results.find((r) => typeof r.details.seconds_since_last_event === 'number')?.details
    .seconds_since_last_event as number | undefined;
  return (
    `no events in this window${since !== undefined ? `; the last one came ${formatDuration(since)} before its end` : ''}` +
    `${freshness ? '' : ' (add a freshness or volume check to alert on silence)'}\n`
  );
}

function formatValue(value: number | null, lower: number | null, upper: number | null): string {
  if (lower === null || upper === null || value === null) return formatNumber(value);
  return `${formatNumber(value)} [${formatNumber(lower)}, ${formatNumber(upper)}]`;
}

/**
 * What an estimate carries beside its value (CBPE): its sampling-error band, and for
 * estimation_error the estimate the realized value was held against.
 */
export function estimateText(
  estimated: number | null,
  bandLower: number | null,
  bandUpper: number | null,
): string {
  const estimate = estimated === null ? '' : ` vs estimate ${formatNumber(estimated)}`;
  const band =
    bandLower === null || bandUpper === null
      ? ''
      : ` band [${formatNumber(bandLower)}, ${formatNumber(bandUpper)}]`;
  return `${estimate}${band}`;
}

function formatDuration(seconds: number): string {
  if (seconds < 120) return `${seconds.toFixed(0)} s`;
  if (seconds < 7200) return `${(seconds / 60).toFixed(0)} min`;
  if (seconds < 172_800) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86_400).toFixed(1)} days`;
}

function formatNumber(value: number | null): string {
  if (value === null || value === undefined) return '-';
  return Math.abs(value) < 1e-4 && value !== 0 ? value.toExponential(2) : value.toFixed(4);
}

function historyTable(rows: readonly StoredResult[]): string {
  const table = [
    [
      'window end',
      'status',
      'check',
      'feature',
      'slice',
      'value',
      'p-value',
      'n ref',
      'n cur',
      'baseline',
    ],
    ...rows.map((row) => [
      row.window_end,
      row.status,
      row.check_id,
      row.feature || '-',
      row.slice_key ? `${row.slice_key}=${row.slice_value}` : row.slice_value,
      formatValue(row.value, row.value_lower, row.value_upper) +
        estimateText(row.estimated_value, row.band_lower, row.band_upper),
      formatNumber(row.adjusted_p_value ?? row.p_value),
      String(row.n_reference),
      String(row.n_current),
      `${row.baseline} v${row.baseline_version}`,
    ]),
  ];
  return `${alignColumns(table).join('\n')}\n`;
}

export function resultsTable(results: readonly CheckResult[]): string {
  if (results.length === 0) return 'no checks fired\n';
  const rows = results.map((r) => [
    r.windowEnd.toISOString(),
    r.status,
    r.checkId,
    r.feature || '-',
    r.sliceKey ? `${r.sliceKey}=${r.sliceValue}` : r.sliceValue,
    formatValue(r.value, r.valueLower, r.valueUpper) +
      estimateText(r.estimatedValue, r.bandLower, r.bandUpper),
    formatNumber(r.adjustedPValue ?? r.pValue),
  ]);
  return `${alignColumns([['window end', 'status', 'check', 'feature', 'slice', 'value', 'p-value'], ...rows]).join('\n')}\n`;
}
