import fs from 'node:fs';
import path from 'node:path';
import { Option, type Command } from 'commander';
import type { ColumnKind } from '../../baselines/tabularFile.js';
import { DriftwatchError, InputError } from '../../errors.js';
import {
  MODEL_TASKS,
  SUPPORTED_TASKS,
  inferMonitor,
  unsupportedTaskMessage,
  type InitChoices,
  type ModelTask,
  type MonitorDraft,
} from '../../monitors/inferMonitor.js';
import { renderMonitorYaml } from '../../monitors/monitorDraftYaml.js';
import {
  formatMonitorError,
  loadMonitorDirectory,
  loadMonitorFile,
} from '../../monitors/monitorFile.js';
import { baselineFileProblem, defaultBaselineRoots } from '../../monitors/monitorFileLimits.js';
import { profileTabularFile } from '../../store/fileColumns.js';
import type { CommandContext } from '../program.js';

interface InitFlags {
  model: string;
  baseline: string;
  task: ModelTask;
  out?: string;
  force?: boolean;
  score?: string;
  label?: string;
  slices?: string;
  features?: string;
}

const FORMAT_NAMES = { CSVWithNames: 'CSV', Parquet: 'Parquet', Arrow: 'Arrow IPC' } as const;

/** init: a monitor file for a model, inferred from its training data, validated before it is kept. */
export function registerInitCommand(program: Command, context: CommandContext): void {
  program
    .command('init')
    .description(
      "write monitors/MODEL.yaml from a training file's columns: features and kinds, score, label, slices and checks inferred and said",
    )
    .requiredOption('--model <model>', 'the model, as its events name it')
    .requiredOption('--baseline <file>', 'training data: CSV, Parquet or Arrow IPC')
    .addOption(
      new Option(
        '--task <task>',
        `what the model predicts (${SUPPORTED_TASKS.join(', ')} today; multiclass and regression come with monitor files' task key)`,
      )
        .choices(MODEL_TASKS)
        .default('binary'),
    )
    .option('--out <dir>', 'where to write MODEL.yaml (default: the monitors directory)')
    .option('--force', 'replace an existing MODEL.yaml')
    .option('--score <column>', 'the score column (score), or none')
    .option('--label <column>', 'the label column (label), or none')
    .option('--slices <columns>', 'comma-separated slice columns, or none')
    .option(
      '--features <columns>',
      'comma-separated feature columns, each optionally name:numeric or name:categorical (default: inferred)',
    )
    .action(async (flags: InitFlags) => {
      const unsupported = unsupportedTaskMessage(flags.task);
      if (unsupported) throw new InputError({ file: '--task' }, unsupported);
      const outDir = flags.out ?? context.config.monitorsDir;
      const target = path.join(outDir, `${flags.model}.yaml`);
      if (fs.existsSync(target) && !flags.force) {
        throw new InputError({ file: target }, 'already exists: --force replaces it');
      }
      const baseline = path.resolve(flags.baseline);
      const roots = context.config.baselineRoots ?? defaultBaselineRoots(outDir);
      const outside = baselineFileProblem(baseline, roots);
      if (outside)
        throw new InputError({ file: flags.baseline }, outside.replace(/^baseline\.file: /, ''));
      const choices = parseChoices(flags);
      const store = await context.temporaryStore();
      const profile = await profileTabularFile(store, flags.baseline);
      const draft = inferMonitor(profile, choices);
      const yaml = renderMonitorYaml(draft, {
        baselinePath: path.relative(path.resolve(outDir), baseline).split(path.sep).join('/'),
        formatName: FORMAT_NAMES[profile.format],
      });
      fs.mkdirSync(outDir, { recursive: true });
      refuseSecondMonitor(outDir, target, flags.model, roots);
      const replaced = writeValidated(target, yaml, { force: Boolean(flags.force), roots });
      process.stdout.write(
        describeDraft(draft, {
          baseline: flags.baseline,
          format: FORMAT_NAMES[profile.format],
          target,
          replaced,
          outDir,
          defaultOut: flags.out === undefined,
        }),
      );
    });
}

function parseChoices(flags: InitFlags): InitChoices {
  const list = (text: string) =>
    text
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean);
  const optionalColumn = (text: string | undefined) =>
    text === undefined ? undefined : text === 'none' ? null : text;
  return {
    model: flags.model,
    task: flags.task,
    score: optionalColumn(flags.score),
    label: optionalColumn(flags.label),
    ...(flags.slices === undefined
      ? {}
      : { slices: flags.slices === 'none' ? [] : list(flags.slices) }),
    ...(flags.features === undefined
      ? {}
      : { features: list(flags.features).map((item) => parseFeature(item)) }),
  };
}

function parseFeature(item: string): { name: string; kind?: ColumnKind } {
  const match = /^(.*):(numeric|categorical)$/.exec(item);
  if (!match) return { name: item };
  return { name: match[1] ?? item, kind: match[2] as ColumnKind };
}

/** One model, one monitor file: another file of the folder watching it would be refused. */
function refuseSecondMonitor(
  outDir: string,
  target: string,
  model: string,
  roots: readonly string[],
): void {
  const { files } = loadMonitorDirectory(outDir, { baselineRoots: roots });
  const other = files.get(model);
  if (other && path.resolve(other) !== path.resolve(target)) {
    throw new InputError(
      { file: other },
      `already monitors model "${model}": one file per model (edit that one, or remove it first)`,
    );
  }
}

/**
 * Writes beside the target under a name no monitor loader picks up, validates it as
 * `driftwatch validate` does, and only then puts it in place: without --force through a
 * hard link, which fails if the target appeared meanwhile, so nothing is overwritten.
 * Returns whether an existing file was replaced.
 */
function writeValidated(
  target: string,
  yaml: string,
  options: { force: boolean; roots: readonly string[] },
): boolean {
  const staging = path.join(
    path.dirname(target),
    `.${path.basename(target)}.init-${process.pid}.tmp`,
  );
  fs.writeFileSync(staging, yaml, { flag: 'wx' });
  try {
    const result = loadMonitorFile(staging, { baselineRoots: options.roots });
    if (!result.ok) {
      const errors = result.errors
        .map((error) => formatMonitorError({ ...error, file: target }))
        .join('\n');
      throw new DriftwatchError(
        'DW_INTERNAL',
        `the monitor init wrote does not validate (a bug in init; nothing was written):\n${errors}`,
      );
    }
    const existed = fs.existsSync(target);
    if (options.force) fs.renameSync(staging, target);
    else {
      try {
        fs.linkSync(staging, target);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
          throw new InputError({ file: target }, 'already exists: --force replaces it');
        }
        throw error;
      }
    }
    return existed && options.force;
  } finally {
    fs.rmSync(staging, { force: true });
  }
}

interface DescribeContext {
  baseline: string;
  format: string;
  target: string;
  replaced: boolean;
  outDir: string;
  defaultOut: boolean;
}

/** What init chose and why, and what to do next: the person reads this, not the code. */
function describeDraft(draft: MonitorDraft, context: DescribeContext): string {
  const out: string[] = [];
  out.push(
    `driftwatch init: ${draft.model} from ${context.baseline} (${context.format}, ${draft.rows.toLocaleString('en')} rows, ${draft.decisions.length} columns)`,
  );
  out.push(
    `task: ${draft.task} (${draft.task === 'binary' ? 'the default' : '--task'}; multiclass and regression come when monitor files gain a task key, issue 19)`,
  );
  out.push('columns:');
  const width = Math.max(...draft.decisions.map((d) => d.column.length));
  for (const decision of draft.decisions) {
    const role = decision.role === 'feature' ? `feature, ${decision.kind}` : decision.role;
    out.push(
      `  ${decision.column.padEnd(width)}  ${role.padEnd(20)}  ${decision.reason.replace(/^(numeric|categorical): /, '')}`,
    );
  }
  out.push(
    '  to change: --features a,b:categorical,...  --slices a,b | none  --score score | none  --label label | none',
  );
  for (const note of draft.notes) out.push(`note: ${note}`);
  out.push(
    `checks: ${draft.checks.map((check) => check.metric).join(', ')} (thresholds from the statistics registry; each explained in the file)`,
  );
  out.push(
    `${context.replaced ? 'replaced' : 'wrote'} ${context.target}; validated as \`driftwatch validate\` does: valid`,
  );
  const dirFlag = context.defaultOut ? '' : `DRIFTWATCH_MONITORS_DIR=${context.outDir} `;
  out.push(
    'next:',
    `  ${dirFlag}driftwatch serve                 # HTTP ingest, API and dashboard on http://127.0.0.1:8080, this monitor hourly`,
    `  curl -s localhost:8080/v1/events -H 'content-type: application/x-ndjson' --data-binary @events.ndjson`,
    `  driftwatch run --model ${draft.model}        # evaluate the last hour now (asks the running service)`,
    '  (docs/QUICKSTART.md walks through it)',
  );
  return `${out.join('\n')}\n`;
}
