import { Counter, type Registry } from 'prom-client';
import type { PreparedBatch } from './pipeline.js';
import type { EventWriter } from './writer.js';

/**
 * Events for a model no monitor watches are stored all the same (its monitor may come
 * later, and a backtest then finds them), but never in silence: they are counted by model
 * in `driftwatch_ingest_unwatched_events_total`, and HTTP ingest names the model in its
 * answer's `notes`. A typo in a producer's model name shows up here, not as a monitor that
 * quietly sees no data.
 */

/** Label values kept apart per process; later models share one label, so the series stay few. */
export const MAX_UNWATCHED_MODEL_LABELS = 20;
export const OTHER_MODELS = '(other)';

/** The models of a batch's accepted events (stored, or already stored) that no monitor watches. */
export function unwatchedModelsOf(
  batch: PreparedBatch,
  watched: (model: string) => boolean,
  accepted: readonly ('stored' | 'duplicate')[] = ['stored', 'duplicate'],
): Map<string, number> {
  const counts = new Map<string, number>();
  const add = (index: number, model: string) => {
    const outcome = batch.outcomes[index];
    if (!outcome || !(accepted as readonly string[]).includes(outcome.status)) return;
    if (watched(model)) return;
    counts.set(model, (counts.get(model) ?? 0) + 1);
  };
  for (const event of batch.events) add(event.index, event.model);
  for (const label of batch.labels) add(label.index, label.row.model);
  return counts;
}

export interface UnwatchedModelCounter {
  /** Counts the batch's newly stored events of unwatched models (duplicates were counted before). */
  record(batch: PreparedBatch): void;
}

export function createUnwatchedModelCounter(
  registry: Registry,
  watched: (model: string) => boolean,
  options: { maxModels?: number } = {},
): UnwatchedModelCounter {
  const maxModels = options.maxModels ?? MAX_UNWATCHED_MODEL_LABELS;
  const counter = new Counter({
    name: 'driftwatch_ingest_unwatched_events_total',
    help: `Events stored for a model no monitor watches, by model (the first ${maxModels} seen by this process; later ones as "${OTHER_MODELS}") and source`,
    labelNames: ['model', 'source'] as const,
    registers: [registry],
  });
  const labelled = new Set<string>();
  const labelOf = (model: string) => {
    if (labelled.has(model)) return model;
    if (labelled.size >= maxModels) return OTHER_MODELS;
    labelled.add(model);
    return model;
  };
  return {
    record(batch) {
      const source = batch.messages[0]?.origin.source ?? 'http';
      for (const [model, count] of unwatchedModelsOf(batch, watched, ['stored'])) {
        counter.inc({ model: labelOf(model), source }, count);
      }
    },
  };
}

/** The writer that HTTP and Kafka ingest share, counting unwatched models of what it wrote. */
export function countingUnwatchedModels(
  writer: EventWriter,
  counter: UnwatchedModelCounter,
): EventWriter {
  return {
    ...writer,
    async write(batch, options) {
      await writer.write(batch, options);
      counter.record(batch);
    },
  };
}

/** The ingest answer's note about them: each model once, with how many of its events. */
export function unwatchedModelNotes(counts: ReadonlyMap<string, number>, maxListed = 20): string[] {
  const models = [...counts.entries()].sort(([a], [b]) => a.localeCompare(b));
  const notes = models
    .slice(0, maxListed)
    .map(
      ([model, count]) =>
        `model "${model}" has no monitor: its ${count} event${count === 1 ? ' is' : 's are'} stored, and nothing watches ${count === 1 ? 'it' : 'them'} (add a monitor file for it, or check the model name)`,
    );
  if (models.length > maxListed) {
    notes.push(`${models.length - maxListed} more models have no monitor`);
  }
  return notes;
}
