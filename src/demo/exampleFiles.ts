import fs from 'node:fs';
import { demoEvents, fraudDetector } from './demoModels.js';
import { createRandom } from './random.js';

/**
 * The report's shipped example files: the fraud model's transactions, with a tiny_rate
 * column written in scientific notation (as data tools write small numbers). The current
 * file carries the model's planted drift; account_age_days does not change.
 */
const COLUMNS = [
  'amount',
  'account_age_days',
  'device_score',
  'tiny_rate',
  'merchant_category',
  'channel',
  'country',
  'score',
  'label',
];

export function writeExampleCsv(file: string, rows: number, drifted: boolean, seed: number): void {
  const random = createRandom(seed);
  const lines = [COLUMNS.join(',')];
  for (let i = 0; i < rows; i += 1) {
    const row = fraudDetector.draw(random, drifted);
    const tinyRate = Math.abs(random.normal(2e-7, 5e-8)).toExponential(3);
    const values: Record<string, unknown> = {
      ...row.features,
      ...row.attributes,
      tiny_rate: tinyRate,
      score: row.score,
      label: row.label,
    };
    lines.push(
      COLUMNS.map((column) => (values[column] === null ? '' : String(values[column]))).join(','),
    );
  }
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
}

/**
 * The README's HTTP ingest example: `count` fraud-model predictions over an hour as NDJSON,
 * two of them bad on purpose (a score out of range at line 18, a missing model at line 501),
 * so a first POST shows accepted and rejected events side by side.
 */
export function writeExampleEvents(file: string, count = 1000): void {
  const random = createRandom(3);
  const start = Date.parse('2026-11-22T10:00:00Z');
  const lines: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const ts = new Date(start + Math.floor((i * 3_600_000) / count));
    const { prediction } = demoEvents(fraudDetector, random, ts, false, 0);
    const event: Record<string, unknown> = { type: 'prediction', ...prediction };
    if (i === 17) event.score = 7;
    if (i === 500) delete event.model;
    lines.push(JSON.stringify(event));
  }
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
}
