import fs from 'node:fs';
import path from 'node:path';
import { Option, type Command } from 'commander';
import type { Config } from '../../config/config.js';
import { SERVICE_ROLES, stagesOfRole, type ServiceRole } from '../../roles.js';
import type { CommandContext } from '../program.js';
import { exitWithinGrace } from '../stopGrace.js';

/** serve (the service) and demo (the service on the embedded default with generated events). */
export function registerServeCommands(program: Command, context: CommandContext): void {
  program
    .command('serve')
    .description(
      'run the service: HTTP ingest and API, monitors on their schedules, and the Kafka consumer with --kafka',
    )
    .option('--kafka', 'also consume from Kafka (KAFKA_BROKERS, KAFKA_GROUP, KAFKA_TOPIC_*)')
    .addOption(
      new Option(
        '--role <role>',
        'what this process does: all, or one part to scale it apart — ingest (Kafka consumer; ' +
          'run many in one group), scheduler (the monitors; run one), api (HTTP only)',
      )
        .choices(SERVICE_ROLES)
        .default('all'),
    )
    .action(async (flags: { kafka?: boolean; role: ServiceRole }) => {
      // the service's modules only when serving: `driftwatch --help` need not load them
      const { startService } = await import('../../main.js');
      const { createLogger } = await import('../../observability/logger.js');
      // A service's every line is JSON (stderr), its own sayings as much as its stages' logs.
      const logger = createLogger();
      const log = (line: string) => logger.info({ stage: 'service' }, line);
      const stages = stagesOfRole(flags.role, { kafka: Boolean(flags.kafka) });
      const service = await startService(context.config, {
        ...stages,
        http: true,
        role: flags.role,
        log,
        logger,
        onEvaluation: (evaluation) => {
          const fired = evaluation.results.filter(
            (r) => r.status === 'warn' || r.status === 'critical',
          ).length;
          // what the alert stage will make of it, so the console never contradicts a page
          const silent = evaluation.results.filter((r) => r.status === 'no_data').length;
          const why =
            evaluation.status === 'awaiting_data'
              ? ' (no event from this model yet: nothing alerts until its first event)'
              : silent > 0
                ? `, ${silent} without data (silence alerts)`
                : '';
          log(
            `${evaluation.monitor} window ending ${evaluation.window.end.toISOString()}: ${evaluation.status}, ${fired} checks fired${why}`,
          );
        },
      });
      log(
        `role ${flags.role} (${describeStages(stages)}); listening on ${service.address}; ` +
          `monitors: ${service.plans.map((p) => p.model).join(', ') || 'none'}`,
      );
      if (service.plans.length === 0 && stages.schedule)
        log(noMonitorsWarning(context.config.monitorsDir, service.monitorErrors.length));
      await waitForSignal(log);
      exitWithinGrace(context.config.stopGraceMs, log);
      await service.stop();
    });

  program
    .command('demo')
    .description(
      'the main job on embedded ClickHouse: synthetic events for the example monitors, drift planted, monitors firing',
    )
    .option('--hours <n>', 'hours of generated history', '6')
    .option('--events-per-hour <n>', 'events per model per hour', '3000')
    .option(
      '--live <seconds>',
      'then keep streaming live events and running the schedules for this long (0: stop at once)',
      'until Ctrl-C',
    )
    .option('--keep', 'keep the data of an earlier demo run instead of starting afresh')
    .action(
      async (flags: { hours: string; eventsPerHour: string; live: string; keep?: boolean }) => {
        const { prepareDemoDirectory } = await import('../../demo/demoDirectory.js');
        const { runDemo } = await import('../../demo/runDemo.js');
        const { DEMO_MONITORS_DIR } = await import('../../demo/demoModels.js');
        const config = demoConfig(context.config, DEMO_MONITORS_DIR);
        if (config.store.kind === 'embedded') {
          const { reset } = prepareDemoDirectory(config.store.dataDir, {
            keep: Boolean(flags.keep),
          });
          if (reset) {
            process.stdout.write(
              `driftwatch demo: starting afresh (emptied its own directory ${config.store.dataDir}; --keep keeps it)\n`,
            );
          }
        }
        const { service, breaches } = await runDemo(config, {
          hours: Number(flags.hours),
          eventsPerHour: Number(flags.eventsPerHour),
          liveSeconds:
            flags.live === 'until Ctrl-C' ? Number.POSITIVE_INFINITY : Number(flags.live),
          print: (text) => process.stdout.write(text),
        });
        process.stdout.write(
          `\ndemo finished: ${breaches} critical findings in the drift history\n`,
        );
        await service.stop();
      },
    );
}

/**
 * The demo runs on a directory of its own (DRIFTWATCH_DATA_DIR, or .driftwatch/demo/data),
 * with the package's own monitors (its generator is made for them), whatever the working
 * directory holds.
 */
function demoConfig(config: Config, monitorsDir: string): Config {
  const demo = { ...config, monitorsDir, baselineRoots: undefined };
  if (config.store.kind !== 'embedded') return demo;
  return { ...demo, store: { ...config.store, dataDir: config.demoDataDir } };
}

/** Events are stored, but nothing watches them: say why, and what to do. */
export function noMonitorsWarning(dir: string, refused: number): string {
  const absolute = path.resolve(dir);
  const why = !fs.existsSync(absolute)
    ? `the monitors directory ${absolute} does not exist`
    : refused > 0
      ? `every monitor file in ${absolute} was refused (above)`
      : `the monitors directory ${absolute} holds no monitor files (*.yaml)`;
  return (
    `warning: no monitors: ${why}. Events are stored, but nothing is evaluated or alerted. ` +
    'Write one YAML file per model there (examples: monitors/ in the driftwatch repository; ' +
    'the fields: docs/MONITORS.md), or point DRIFTWATCH_MONITORS_DIR at yours; ' +
    `driftwatch validate ${dir} checks them`
  );
}

function describeStages(stages: { kafka: boolean; schedule: boolean }): string {
  const parts = ['HTTP'];
  if (stages.kafka) parts.push('Kafka consumer');
  if (stages.schedule) parts.push('scheduler');
  return parts.join(' + ');
}

function waitForSignal(log: (line: string) => void): Promise<void> {
  return new Promise((resolve) => {
    const stop = (signal: string) => {
      log(`${signal}: stopping`);
      resolve();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}
