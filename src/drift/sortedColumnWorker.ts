import { parentPort } from 'node:worker_threads';
import {
  columnAggregates,
  type ColumnAggregates,
  type ColumnAggregatesOptions,
  type PlacedColumn,
} from './sortedColumn.js';

/**
 * A worker thread of the exact mode (src/drift/columnPool.ts): aggregates one placed column
 * at a time and answers with its aggregates, so that several cores sort while ClickHouse
 * reads the next columns.
 */
export interface ColumnTask {
  id: number;
  column: PlacedColumn;
  levels: readonly number[];
  withAll: boolean;
  options: ColumnAggregatesOptions;
}

export type ColumnAnswer =
  { id: number; aggregates: ColumnAggregates } | { id: number; error: string };

parentPort?.on('message', (task: ColumnTask) => {
  try {
    const aggregates = columnAggregates(task.column, task.levels, task.withAll, task.options);
    parentPort?.postMessage({ id: task.id, aggregates } satisfies ColumnAnswer);
  } catch (error) {
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    parentPort?.postMessage({ id: task.id, error: message } satisfies ColumnAnswer);
  }
});
