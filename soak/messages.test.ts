import { describe, expect, it } from 'vitest';
import { createEventPipeline, type IncomingMessage } from '../src/ingest/pipeline.js';
import {
  createPredictionSource,
  INJECTED_CLASSES,
  monthsBatch,
  predictionText,
  SOAK_MAX_EVENT_BYTES,
} from './messages.js';

/**
 * The soak's expectations against the service's own pipeline: each hostile class gets the
 * dead-letter reason the soak will look for, and what the soak counts as good is accepted.
 * A soak whose expectations drifted from the service would report false findings.
 */
describe("the soak's messages through the ingest pipeline", () => {
  const now = new Date();
  const prepare = createEventPipeline({ maxEventBytes: SOAK_MAX_EVENT_BYTES });
  const message = (payload: string | Buffer, offset: number): IncomingMessage => ({
    kind: 'prediction',
    payload: Buffer.from(payload),
    origin: { source: 'kafka', topic: 'soak-predictions', partition: 0, offset },
  });

  it('dead-letters each hostile class with its reason, and stores the ones expected stored', async () => {
    const batch = await prepare(
      INJECTED_CLASSES.map((cls, i) => message(cls.payload(`b-${i}`, now.toISOString()), i)),
    );
    INJECTED_CLASSES.forEach((cls, i) => {
      const outcome = batch.outcomes[i];
      if (cls.expect === 'stored') expect(outcome?.status, cls.name).toBe('stored');
      else
        expect(outcome, cls.name).toMatchObject({
          status: 'dead_letter',
          reason: cls.expect.reason,
        });
    });
    expect(new Set(INJECTED_CLASSES.map((cls) => cls.name)).size).toBe(INJECTED_CLASSES.length);
  });

  it('accepts the good predictions and every event of a 120-month batch', async () => {
    const next = createPredictionSource(1);
    const good = Array.from({ length: 200 }, (_, i) =>
      message(predictionText(`g-${i}`, now.toISOString(), next()), i),
    );
    const months = monthsBatch(0).map((event, i) => message(event.payload, 200 + i));
    const batch = await prepare([...good, ...months]);
    expect(batch.deadLetters).toEqual([]);
    expect(batch.events).toHaveLength(good.length + months.length);
  });
});
