/**
 * One example of each class of message that used to stop ingestion (issue 7), with the
 * reason it must be dead-lettered under, or `stored` when it is a valid observation.
 * Payloads are JSON text, exactly as a producer would put them on the wire.
 */
export interface PoisonCase {
  name: string;
  payload: string;
  expect: { reason: string } | 'stored';
}

export function validPrediction(model: string, id: string, ts: string, extra = ''): string {
  return `{"event_id":"${id}","model":"${model}","ts":"${ts}","prediction_id":"p-${id}","features":{"amount":12.5,"merchant_category":"grocery"},"score":0.5,"attributes":{"country":"US"}${extra}}`;
}

export function poisonCases(model: string): PoisonCase[] {
  const at = '2026-11-22T10:00:00Z';
  return [
    {
      name: 'a lone surrogate in a string',
      payload: validPrediction(model, 's1\\ud800', at),
      expect: { reason: 'invalid_text' },
    },
    {
      name: 'a leap-second timestamp',
      payload: validPrediction(model, 'leap', '2026-12-31T23:59:60Z'),
      expect: { reason: 'invalid_timestamp' },
    },
    {
      name: 'nesting 10,000 deep',
      payload: validPrediction(
        model,
        'deep',
        at,
        `,"extra":${'['.repeat(10_000)}${']'.repeat(10_000)}`,
      ),
      expect: { reason: 'too_deep' },
    },
    {
      name: 'year 0000',
      payload: validPrediction(model, 'year0', '0000-11-22T23:30:00Z'),
      expect: { reason: 'ts_out_of_range' },
    },
    {
      name: 'year 1899',
      payload: validPrediction(model, 'year1899', '1899-06-01T00:00:00Z'),
      expect: { reason: 'ts_out_of_range' },
    },
    {
      name: 'year 9999',
      payload: validPrediction(model, 'year9999', '9999-06-01T00:00:00Z'),
      expect: { reason: 'ts_out_of_range' },
    },
    {
      name: 'a score of 1e309',
      payload: validPrediction(model, 'infscore', at).replace('"score":0.5', '"score":1e309'),
      expect: { reason: 'non_finite' },
    },
    {
      name: 'a feature of 1e309 (stored as +inf)',
      payload: validPrediction(model, 'inffeature', at).replace('"amount":12.5', '"amount":1e309'),
      expect: 'stored',
    },
    {
      name: 'a feature of -1e309 (stored as -inf)',
      payload: validPrediction(model, 'neginffeature', at).replace(
        '"amount":12.5',
        '"amount":-1e309',
      ),
      expect: 'stored',
    },
  ];
}

/** 120 valid events, one in each month from January 2016: one batch spans 120 partitions. */
export function eventsAcrossMonths(model: string): string[] {
  return Array.from({ length: 120 }, (_, i) => {
    const ts = new Date(Date.UTC(2016, i, 15, 12, 0, 0)).toISOString();
    return validPrediction(model, `month-${i}`, ts);
  });
}
