// npm run soak [-- --minutes N] [--rate R] [--http-rate R] [--no-record]
// The soak and fault suite (issue 7, item 7): sustained Kafka ingest with the monitors
// running, while the consumer is SIGKILLed mid-batch, the store goes away, and the
// brokers go down; then counts what was lost or counted twice. Exits 1 on any loss or
// double count (and on the other failures listed by the verdict). See docs/RELIABILITY.md.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as prettier from 'prettier';
import { renderMarkdown, verdictOf } from './report.js';
import { runSoak } from './soak.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const RECORD = path.join(ROOT, 'docs/RELIABILITY.md');

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    rate: { type: 'string', default: '400' },
    'http-rate': { type: 'string', default: '200' },
    'session-timeout': { type: 'string', default: '6000' },
    'no-record': { type: 'boolean', default: false },
  },
});
const minutes = Number(values.minutes);
const rate = Number(values.rate);
const sessionTimeoutMs = Number(values['session-timeout']);
const httpRate = Number(values['http-rate']);
if (
  !(minutes >= 1 && minutes <= 600) ||
  !(rate >= 10 && rate <= 20_000) ||
  !(httpRate === 0 || (httpRate >= 10 && httpRate <= 20_000)) ||
  !Number.isInteger(sessionTimeoutMs) ||
  sessionTimeoutMs < 1000
) {
  process.stderr.write(
    'usage: npm run soak -- [--minutes 1..600] [--rate 10..20000] [--http-rate 0 | 10..20000] [--session-timeout MS] [--no-record]\n',
  );
  process.exit(2);
}

// Ctrl-C: exit, which kills the service processes the soak started (soak/children.ts).
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));

const runDir = path.join(
  ROOT,
  '.driftwatch',
  'soak',
  new Date().toISOString().replace(/[:.]/g, '-'),
);
const log = (line: string) =>
  process.stdout.write(`[soak ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
log(
  `${minutes} min at ${rate} good predictions/s (Kafka) and ${httpRate} events/s (HTTP); logs in ${path.relative(ROOT, runDir)}`,
);

const result = await runSoak({ minutes, rate, sessionTimeoutMs, httpRate, runDir, log });
const given = process.argv.slice(2).filter((arg) => arg !== '--no-record');
const command = `npm run soak${given.length > 0 ? ` -- ${given.join(' ')}` : ''}`;
const markdown = renderMarkdown(result, command);
process.stdout.write(`\n${markdown}\n`);
if (!values['no-record']) {
  // formatted as the repository's other Markdown, so `prettier --check .` stays clean
  const text = `${fs.readFileSync(RECORD, 'utf8')}\n${markdown}`;
  const style = (await prettier.resolveConfig(RECORD)) ?? {};
  fs.writeFileSync(RECORD, await prettier.format(text, { ...style, filepath: RECORD }));
  log(`recorded in ${path.relative(ROOT, RECORD)}`);
}
const verdict = verdictOf(result);
process.exit(verdict.ok ? 0 : 1);
