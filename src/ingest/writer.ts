import type { Store } from '../store/clickhouse.js';
import { insertDeadLetters, insertEvents, insertLabels } from '../store/events.js';
import type { RoutedBatch } from './pipeline.js';

/**
 * Writes a routed batch. Returns only once ClickHouse acknowledged every insert, which is
 * what allows the Kafka consumer to commit offsets afterwards. Each table's rows are
 * deduplicated by its key, so writing the same batch again changes nothing.
 */
export async function writeRoutedBatch(store: Store, batch: RoutedBatch): Promise<void> {
  await insertEvents(store, [...batch.predictions, ...batch.features]);
  await insertLabels(store, batch.labels);
  await insertDeadLetters(store, batch.deadLetters);
}
