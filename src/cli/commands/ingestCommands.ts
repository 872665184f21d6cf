import type { Command } from 'commander';
import type { KafkaConfig } from '../../config/config.js';
import { alignColumns } from '../../report/render/table.js';
import { countStored } from '../../store/events.js';
import type { CommandContext } from '../program.js';
import { exitWithinGrace } from '../stopGrace.js';

/** ingest (the Kafka consumer alone, to scale out) and status. */
export function registerIngestCommands(program: Command, context: CommandContext): void {
  program
    .command('ingest')
    .description('run the Kafka consumer alone; start more to share the partitions of the group')
    .option('--brokers <list>', 'HOST:PORT[,...] (env KAFKA_BROKERS)')
    .option('--group <group>', 'consumer group (env KAFKA_GROUP)')
    .option('--topics <list>', 'predictions,features,labels topic names, in that order')
    .action(async (flags: { brokers?: string; group?: string; topics?: string }) => {
      const kafka = kafkaFromFlags(context.config.kafka, flags);
      const store = await context.store();
      // kafkajs only when consuming: `driftwatch --help` need not load it
      const { createKafkaIngest, createKafkaLagMonitor } =
        await import('../../ingest/kafkaConsumer.js');
      const { createIngestMetrics } = await import('../../ingest/metrics.js');
      const { consumerStopGraceMs, superviseKafkaIngest } =
        await import('../../ingest/kafkaSupervisor.js');
      const { pipelineOptions } = await import('../../ingest/pipeline.js');
      const { createEventWriter } = await import('../../ingest/writer.js');
      const { startSummaryReconciler } = await import('../../ingest/summaryReconciler.js');
      const { createLogger } = await import('../../observability/logger.js');
      const metrics = createIngestMetrics();
      // one writer across consumer restarts, and the summaries it writes kept whole through crashes
      const writer = createEventWriter(store, { metrics, logger: createLogger() });
      const summaries = await startSummaryReconciler(store, {
        writer,
        registry: metrics.registry,
        logger: createLogger(),
        finerGraceMs: context.config.ingest.finerGraceMs,
      });
      const log = (line: string) => process.stderr.write(`driftwatch ingest: ${line}\n`);
      const stopped = new Promise<string>((resolve) => {
        process.once('SIGTERM', () => resolve('SIGTERM'));
        process.once('SIGINT', () => resolve('SIGINT'));
      });
      const stallAfterMs = context.config.ingest.stallAfterMs;
      const lag = createKafkaLagMonitor(metrics, { ...kafka, stallAfterMs, log });
      const stopGraceMs = consumerStopGraceMs(context.config.stopGraceMs);
      const consumer = superviseKafkaIngest(
        () =>
          createKafkaIngest(store, metrics, {
            ...kafka,
            pipeline: pipelineOptions(context.config.ingest),
            stallAfterMs,
            lag,
            stopGraceMs,
            writer,
            log,
          }),
        { brokers: kafka.brokers, log, lag, stopGraceMs },
      );
      void consumer.started.then(() =>
        log(
          `consuming ${Object.values(kafka.topics).join(', ')} from ${kafka.brokers.join(',')} as group ${kafka.groupId}`,
        ),
      );
      const signal = await stopped;
      exitWithinGrace(context.config.stopGraceMs, log);
      log(
        consumer.connected()
          ? `${signal}: finishing the batch in hand, committing, leaving the group`
          : `${signal}: stopping before Kafka answered`,
      );
      await consumer.stop();
      await summaries.stop();
      await writer.close();
      log(`stopped: ${JSON.stringify(metrics.snapshot().events)}`);
    });

  program
    .command('status')
    .description('what is stored: events per kind (after deduplication) and dead letters')
    .option('--json', 'print JSON')
    .action(async (flags: { json?: boolean }) => {
      const backend = await context.storeOrService({ readOnly: true });
      const counts =
        backend.kind === 'service'
          ? await backend.service.status()
          : await countStored(backend.store);
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

function kafkaFromFlags(
  defaults: KafkaConfig,
  flags: { brokers?: string; group?: string; topics?: string },
): KafkaConfig {
  const kafka = { ...defaults };
  if (flags.brokers) kafka.brokers = flags.brokers.split(',').map((broker) => broker.trim());
  if (flags.group) kafka.groupId = flags.group;
  if (flags.topics) {
    const [predictions, features, labels] = flags.topics.split(',').map((topic) => topic.trim());
    kafka.topics = {
      predictions: predictions || kafka.topics.predictions,
      features: features || kafka.topics.features,
      labels: labels || kafka.topics.labels,
    };
  }
  return kafka;
}
