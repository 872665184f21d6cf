import type { Command } from 'commander';
import { createKafkaIngest } from '../../ingest/kafkaConsumer.js';
import { createIngestMetrics } from '../../ingest/metrics.js';
import { pipelineOptions } from '../../ingest/pipeline.js';
import { countStored } from '../../store/events.js';
import { alignColumns } from '../../report/render/table.js';
import type { CommandContext } from '../program.js';

/** ingest (the Kafka consumer alone, to scale out) and status. */
export function registerIngestCommands(program: Command, context: CommandContext): void {
  program
    .command('ingest')
    .description('run the Kafka consumer alone; start more to share the partitions of the group')
    .option('--brokers <list>', 'HOST:PORT[,...] (env KAFKA_BROKERS)')
    .option('--group <group>', 'consumer group (env KAFKA_GROUP)')
    .option('--topics <list>', 'predictions,features,labels topic names, in that order')
    .action(async (flags: { brokers?: string; group?: string; topics?: string }) => {
      const kafka = { ...context.config.kafka };
      if (flags.brokers) kafka.brokers = flags.brokers.split(',').map((broker) => broker.trim());
      if (flags.group) kafka.groupId = flags.group;
      if (flags.topics) {
        const [predictions, features, labels] = flags.topics
          .split(',')
          .map((topic) => topic.trim());
        kafka.topics = {
          predictions: predictions || kafka.topics.predictions,
          features: features || kafka.topics.features,
          labels: labels || kafka.topics.labels,
        };
      }
      const store = await context.store();
      const metrics = createIngestMetrics();
      const log = (line: string) => process.stderr.write(`driftwatch ingest: ${line}\n`);
      const ingest = createKafkaIngest(store, metrics, {
        ...kafka,
        pipeline: pipelineOptions(context.config.ingest),
        stallAfterMs: context.config.ingest.stallAfterMs,
        log,
      });
      await ingest.start();
      log(
        `consuming ${Object.values(kafka.topics).join(', ')} from ${kafka.brokers.join(',')} as group ${kafka.groupId}`,
      );
      await new Promise<void>((resolve) => {
        const shutdown = (signal: string) => {
          log(`${signal}: finishing the batch in hand, committing, leaving the group`);
          void ingest.stop().then(resolve);
        };
        process.once('SIGTERM', () => shutdown('SIGTERM'));
        process.once('SIGINT', () => shutdown('SIGINT'));
      });
      log(`stopped: ${JSON.stringify(metrics.snapshot().events)}`);
    });

  program
    .command('status')
    .description('what is stored: events per kind (after deduplication) and dead letters')
    .option('--json', 'print JSON')
    .action(async (flags: { json?: boolean }) => {
      const counts = await countStored(await context.store());
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(counts)}\n`);
        return;
      }
      const rows = [
        ['predictions', String(counts.events.predictions)],
        ['feature logs', String(counts.events.features)],
        ['labels', String(counts.events.labels)],
        ['dead letters', String(counts.dead_letters)],
      ];
      process.stdout.write(`${alignColumns(rows).join('\n')}\n`);
    });
}
