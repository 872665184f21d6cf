import { Kafka, logLevel, type Admin } from 'kafkajs';
import type { ProgressSample } from './tally.js';
import { withTimeout } from './timing.js';

/** The soak's Kafka: a mock cluster of three brokers, its topics and the consumer group. */
export const GROUP = 'soak';
export const TOPICS = {
  predictions: 'soak-predictions',
  features: 'soak-features',
  labels: 'soak-labels',
} as const;
export const PARTITIONS = { predictions: 12, features: 1, labels: 2 };
export const BROKERS = 3;

export interface OffsetObserver {
  admin: () => Admin;
  /** The group's committed offsets and the watermarks per partition; null when unreadable. */
  sample(): Promise<{
    offsets: NonNullable<ProgressSample['partitions']>;
    /** Partitions whose low watermark passed the committed offset: dropped unread. */
    overtaken: string[];
  } | null>;
  close(): Promise<void>;
}

/** Reads offsets with an admin client of its own, replaced after repeated failures. */
export function createOffsetObserver(bootstrap: string): OffsetObserver {
  const kafka = new Kafka({
    clientId: 'soak-observer',
    brokers: bootstrap.split(','),
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1000,
    requestTimeout: 2000,
    retry: { retries: 1, initialRetryTime: 100, maxRetryTime: 500 },
  });
  let admin = kafka.admin();
  let connected = false;
  let failures = 0;
  const topics = [TOPICS.predictions, TOPICS.labels];
  return {
    admin: () => admin,
    async sample() {
      try {
        return await withTimeout(3000, async () => {
          if (!connected) {
            await admin.connect();
            connected = true;
          }
          const committed = new Map<string, number>();
          for (const { topic, partitions } of await admin.fetchOffsets({
            groupId: GROUP,
            topics,
          })) {
            for (const p of partitions) committed.set(`${topic}/${p.partition}`, Number(p.offset));
          }
          const offsets: Record<string, { committed: number; high: number }> = {};
          const overtaken: string[] = [];
          for (const topic of topics) {
            for (const o of await admin.fetchTopicOffsets(topic)) {
              const key = `${topic}/${o.partition}`;
              const at = Math.max(committed.get(key) ?? 0, 0);
              if (Number(o.low) > at) overtaken.push(key);
              offsets[key] = { committed: at, high: Number(o.high) };
            }
          }
          failures = 0;
          return { offsets, overtaken };
        });
      } catch {
        failures += 1;
        if (failures % 5 === 0) {
          await admin.disconnect().catch(() => undefined);
          admin = kafka.admin();
          connected = false;
        }
        return null;
      }
    },
    async close() {
      await admin.disconnect().catch(() => undefined);
    },
  };
}
