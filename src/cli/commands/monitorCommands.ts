import path from 'node:path';
import type { Command } from 'commander';
import { InputError } from '../../errors.js';
import {
  evaluateMonitorWindow,
  loadFileBaseline,
  prepareMonitor,
} from '../../monitors/evaluateWindow.js';
import { formatMonitorError, loadMonitorDirectory } from '../../monitors/monitorFile.js';
import type { MonitorPlan } from '../../monitors/plan.js';
import { backtestWindows, truncateToMinute, windowEndingAt } from '../../monitors/windows.js';
import { alignColumns } from '../../report/render/table.js';
import { insertBaselineFromRange } from '../../store/baselines.js';
import {
  hasHistory,
  listModelsWithHistory,
  queryHistory,
  type MonitorResult,
} from '../../store/results.js';
import { rebuildSummaries } from '../../store/summaryQueries.js';
import { EXIT_INPUT, type CommandContext } from '../program.js';

/** validate, baseline create, run, backtest, history: the monitor-facing commands. */
export function registerMonitorCommands(program: Command, context: CommandContext): void {
  program
    .command('validate [dir]')
    .description(
      'check every monitor file in DIR (default: monitors/) and report each error with file, line and column',
    )
    .action((dir: string | undefined) => {
      const folder = dir ?? context.config.monitorsDir;
      const { plans, errors } = loadMonitorDirectory(folder);
      for (const error of errors) process.stderr.write(`${formatMonitorError(error)}\n`);
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
      const plan = findPlan(context, flags.model);
      const store = await context.store();
      if (flags.file) {
        const record = await loadFileBaseline(store, plan, flags.file, { onlyIfChanged: false });
        process.stdout.write(
          `baseline ${record.name} version ${record.version} for ${plan.model}: ${record.rowCount} rows\n`,
        );
        return;
      }
      if (!flags.from || !flags.to)
        throw new InputError({ file: '--file' }, 'give --file, or --from and --to');
      const from = parseTime('--from', flags.from);
      const to = parseTime('--to', flags.to);
      const name = `range:${from.toISOString()}..${to.toISOString()}`;
      const record = await insertBaselineFromRange(store, {
        model: plan.model,
        name,
        from,
        to,
        features: plan.features.map((f) => ({ name: f.name, kind: f.kind })),
      });
      process.stdout.write(
        `baseline ${name} version ${record.version} for ${plan.model}: ${record.rowCount} rows\n`,
      );
    });

  program
    .command('run')
    .description(
      'evaluate one monitor now (or for the window ending at --window-end) and store the results',
    )
    .requiredOption('--model <model>', 'the monitored model')
    .option('--window-end <time>', 'end of the window (RFC 3339); default: now')
    .option('--json', 'print the results as JSON')
    .action(async (flags: { model: string; windowEnd?: string; json?: boolean }) => {
      const plan = findPlan(context, flags.model);
      const end = flags.windowEnd
        ? parseTime('--window-end', flags.windowEnd)
        : truncateToMinute(new Date());
      if (end.getTime() > Date.now() + 60_000) {
        throw new InputError(
          { file: '--window-end' },
          `${end.toISOString()} is in the future: only windows that have ended can be evaluated`,
        );
      }
      const evaluation = await evaluateMonitorWindow(
        await context.store(),
        plan,
        windowEndingAt(end, plan.windowMs),
      );
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(evaluation, null, 2)}\n`);
        return;
      }
      process.stdout.write(
        `${plan.model} ${evaluation.window.start.toISOString()} .. ${evaluation.window.end.toISOString()}: ${evaluation.status}` +
          ` (${evaluation.events} events; baseline ${evaluation.baseline.name} v${evaluation.baseline.version}, ${evaluation.results.length} results, ${evaluation.durationMs.toFixed(0)} ms)\n`,
      );
      if (evaluation.status === 'no_data') {
        const freshness = evaluation.results.find((r) => r.metric === 'freshness');
        const since = evaluation.results.find(
          (r) => typeof r.details.seconds_since_last_event === 'number',
        )?.details.seconds_since_last_event as number | undefined;
        process.stdout.write(
          `no events in this window${since !== undefined ? `; the last one came ${formatDuration(since)} before its end` : ''}` +
            `${freshness ? '' : ' (add a freshness or volume check to alert on silence)'}\n`,
        );
      }
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
      'replay history window by window and print which checks would have fired (nothing is stored)',
    )
    .requiredOption('--model <model>', 'the monitored model')
    .requiredOption('--from <time>', 'start (RFC 3339)')
    .requiredOption('--to <time>', 'end (RFC 3339)')
    .option('--json', 'print JSON')
    .action(async (flags: { model: string; from: string; to: string; json?: boolean }) => {
      const plan = findPlan(context, flags.model);
      const from = parseTime('--from', flags.from);
      const to = parseTime('--to', flags.to);
      if (from.getTime() >= to.getTime()) {
        throw new InputError(
          { file: '--from' },
          `${from.toISOString()} is not before --to ${to.toISOString()}: nothing to replay`,
        );
      }
      if (to.getTime() - from.getTime() < plan.windowMs) {
        throw new InputError(
          { file: '--to' },
          `the range is shorter than one window of ${plan.windowMs / 60_000} min: nothing to replay`,
        );
      }
      const store = await context.store();
      const windows = backtestWindows(from, to, plan.windowMs);
      const fired: MonitorResult[] = [];
      // the baseline and its profile are the same for every window (unless trailing)
      const prepared = await prepareMonitor(
        store,
        plan,
        windows[0] ?? windowEndingAt(to, plan.windowMs),
      );
      for (const window of windows) {
        const evaluation = await evaluateMonitorWindow(store, plan, window, {
          persist: false,
          now: new Date(),
          prepared,
        });
        const breaches = evaluation.results.filter(
          (r) => r.status === 'warn' || r.status === 'critical',
        );
        fired.push(...breaches);
        if (!flags.json)
          process.stdout.write(
            `${window.end.toISOString()}  ${evaluation.status.padEnd(17)} ${breaches.length} check(s) fired (${evaluation.events} events)\n`,
          );
      }
      if (flags.json)
        process.stdout.write(`${JSON.stringify({ windows: windows.length, fired }, null, 2)}\n`);
      else process.stdout.write(`\n${resultsTable(fired)}`);
    });

  program
    .command('history')
    .description('print the drift history of a model, newest window first')
    .requiredOption('--model <model>', 'the model')
    .option('--feature <feature>', 'only this feature')
    .option('--slice <slice>', 'only this slice value (e.g. web, or channel=web)')
    .option('--metric <metric>', 'only this metric')
    .option('--breaches', 'only warn and critical results')
    .option('--limit <n>', 'at most this many rows', '200')
    .option('--json', 'print JSON')
    .action(
      async (flags: {
        model: string;
        feature?: string;
        slice?: string;
        metric?: string;
        breaches?: boolean;
        limit: string;
        json?: boolean;
      }) => {
        const limit = Number(flags.limit);
        if (!(Number.isInteger(limit) && limit > 0))
          throw new InputError(
            { file: '--limit' },
            `expected a positive integer, got "${flags.limit}"`,
          );
        const store = await context.store();
        const rows = await queryHistory(store, {
          model: flags.model,
          feature: flags.feature,
          slice: flags.slice,
          metric: flags.metric,
          onlyBreaches: flags.breaches,
          limit: limit + 1,
        });
        if (rows.length === 0 && !(await hasHistory(store, flags.model))) {
          const known = await listModelsWithHistory(store);
          throw new InputError(
            { file: '--model' },
            `no drift history for model "${flags.model}" (models with history: ${known.join(', ') || 'none'})`,
          );
        }
        const more = rows.length > limit;
        const shown = rows.slice(0, limit);
        if (flags.json) {
          process.stdout.write(`${JSON.stringify(shown, null, 2)}\n`);
          if (more)
            process.stderr.write(
              `driftwatch: the first ${limit} rows, newest first; more exist (raise --limit)\n`,
            );
          return;
        }
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
          ...shown.map((row) => [
            row.window_end,
            row.status,
            row.check_id,
            row.feature || '-',
            row.slice_key ? `${row.slice_key}=${row.slice_value}` : row.slice_value,
            formatValue(row.value, row.value_lower, row.value_upper),
            formatNumber(row.adjusted_p_value ?? row.p_value),
            String(row.n_reference),
            String(row.n_current),
            `${row.baseline} v${row.baseline_version}`,
          ]),
        ];
        process.stdout.write(`${alignColumns(table).join('\n')}\n`);
        if (more)
          process.stdout.write(
            `(the newest ${limit} rows; more exist: raise --limit, or narrow with --feature, --slice, --metric, --breaches)\n`,
          );
      },
    );

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

function formatValue(value: number | null, lower: number | null, upper: number | null): string {
  if (lower === null || upper === null || value === null) return formatNumber(value);
  return `${formatNumber(value)} [${formatNumber(lower)}, ${formatNumber(upper)}]`;
}

function formatDuration(seconds: number): string {
  if (seconds < 120) return `${seconds.toFixed(0)} s`;
  if (seconds < 7200) return `${(seconds / 60).toFixed(0)} min`;
  if (seconds < 172_800) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86_400).toFixed(1)} days`;
}

function findPlan(context: CommandContext, model: string): MonitorPlan {
  const dir = context.config.monitorsDir;
  const { plans, errors } = loadMonitorDirectory(dir);
  const plan = plans.find((p) => p.model === model);
  if (plan) return plan;
  const fileErrors = errors.filter((error) => path.basename(error.file).startsWith(model));
  if (fileErrors.length > 0) {
    throw new InputError(
      { file: fileErrors[0]?.file ?? dir },
      `the monitor file is invalid: ${fileErrors.map(formatMonitorError).join('; ')}`,
    );
  }
  throw new InputError(
    { file: dir },
    `no monitor for model "${model}" (monitors: ${plans.map((p) => p.model).join(', ') || 'none'})`,
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

function formatNumber(value: number | null): string {
  if (value === null || value === undefined) return '-';
  return Math.abs(value) < 1e-4 && value !== 0 ? value.toExponential(2) : value.toFixed(4);
}

export function resultsTable(results: readonly MonitorResult[]): string {
  if (results.length === 0) return 'no checks fired\n';
  const rows = results.map((r) => [
    r.windowEnd.toISOString(),
    r.status,
    r.checkId,
    r.feature || '-',
    r.sliceKey ? `${r.sliceKey}=${r.sliceValue}` : r.sliceValue,
    formatValue(r.value, r.valueLower, r.valueUpper),
    formatNumber(r.adjustedPValue ?? r.pValue),
  ]);
  return `${alignColumns([['window end', 'status', 'check', 'feature', 'slice', 'value', 'p-value'], ...rows]).join('\n')}\n`;
}
