import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createEventPipeline, type IncomingMessage } from './pipeline.js';
import {
  createUnwatchedModelCounter,
  unwatchedModelNotes,
  unwatchedModelsOf,
} from './unwatchedModels.js';

const TS = new Date(Date.now() - 60_000).toISOString();
const message = (event: Record<string, unknown>): IncomingMessage => ({
  kind: undefined,
  payload: Buffer.from(JSON.stringify(event)),
  origin: { source: 'kafka', topic: 'predictions', partition: 0, offset: 1 },
});
const prediction = (model: string, id: string) =>
  message({
    type: 'prediction',
    event_id: id,
    model,
    ts: TS,
    prediction_id: id,
    features: { x: 1 },
    score: 0.5,
  });
const label = (model: string, id: string) =>
  message({ type: 'label', model, prediction_id: id, label: 1, ts: TS });

describe('events of models no monitor watches', () => {
  const watched = (model: string) => model === 'fraud';

  it('are found among the accepted events of a batch, labels included, bad events not', async () => {
    const batch = await createEventPipeline()([
      prediction('fraud', 'a'),
      prediction('frued', 'b'),
      prediction('frued', 'c'),
      label('churn', 'd'),
      message({ type: 'prediction', model: 'broken' }),
    ]);
    expect(unwatchedModelsOf(batch, watched)).toEqual(
      new Map([
        ['frued', 2],
        ['churn', 1],
      ]),
    );
  });

  it('are counted by model and source, with at most 20 models named and the rest together', async () => {
    const registry = new Registry();
    const counter = createUnwatchedModelCounter(registry, watched);
    const models = Array.from({ length: 25 }, (_, i) => `model-${String(i).padStart(2, '0')}`);
    counter.record(
      await createEventPipeline()([
        prediction('fraud', 'w'),
        ...models.map((model, i) => prediction(model, `e${i}`)),
        prediction('model-00', 'again'),
      ]),
    );
    const values = (
      await registry.getSingleMetric('driftwatch_ingest_unwatched_events_total')?.get()
    )?.values;
    const byModel = Object.fromEntries(
      (values ?? []).map((value) => [`${value.labels.model}/${value.labels.source}`, value.value]),
    );
    expect(Object.keys(byModel)).toHaveLength(21);
    expect(byModel['model-00/kafka']).toBe(2);
    expect(byModel['model-19/kafka']).toBe(1);
    expect(byModel['(other)/kafka']).toBe(5);
    expect(byModel['fraud/kafka']).toBeUndefined();
  });

  it('are named in one note per model, the list capped', () => {
    expect(unwatchedModelNotes(new Map([['frued', 2]]))).toEqual([
      'model "frued" has no monitor: its 2 events are stored, and nothing watches them (add a monitor file for it, or check the model name)',
    ]);
    const many = new Map(Array.from({ length: 23 }, (_, i) => [`m${i}`, 1] as const));
    const notes = unwatchedModelNotes(many);
    expect(notes).toHaveLength(21);
    expect(notes.at(-1)).toBe('3 more models have no monitor');
  });
});
