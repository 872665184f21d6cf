import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import type { Config } from '../../config/config.js';
import { runDemo } from '../../demo/runDemo.js';
import { startService } from '../../main.js';
import type { CommandContext } from '../program.js';

/** serve (the service) and demo (the service on the embedded default with generated events). */
export function registerServeCommands(program: Command, context: CommandContext): void {
  program
    .command('serve')
    .description(
      'run the service: HTTP ingest and API, monitors on their schedules, and the Kafka consumer with --kafka',
    )
    .option('--kafka', 'also consume from Kafka (KAFKA_BROKERS, KAFKA_GROUP, KAFKA_TOPIC_*)')
    .action(async (flags: { kafka?: boolean }) => {
      const log = (line: string) => process.stderr.write(`driftwatch: ${line}\n`);
      const service = await startService(context.config, {
        kafka: Boolean(flags.kafka),
        http: true,
        schedule: true,
        log,
        onEvaluation: (evaluation) => {
          const fired = evaluation.results.filter(
            (r) => r.status === 'warn' || r.status === 'critical',
          ).length;
          log(
            `${evaluation.monitor} window ending ${evaluation.window.end.toISOString()}: ${evaluation.status}, ${fired} checks fired`,
          );
        },
      });
      log(
        `listening on ${service.address}; monitors: ${service.plans.map((p) => p.model).join(', ') || 'none'}`,
      );
      await waitForSignal(log);
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
        const config = demoConfig(context.config, Boolean(flags.keep));
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

/** The demo gets its own data directory and a free port unless told otherwise. */
function demoConfig(config: Config, keep: boolean): Config {
  if (config.store.kind !== 'embedded') return config;
  const dataDir = process.env.DRIFTWATCH_DATA_DIR
    ? config.store.dataDir
    : path.resolve('.driftwatch/demo/data');
  if (!keep) fs.rmSync(dataDir, { recursive: true, force: true });
  return {
    ...config,
    store: { ...config.store, dataDir },
    http: { ...config.http, port: process.env.DRIFTWATCH_PORT ? config.http.port : 8080 },
  };
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
