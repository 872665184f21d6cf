import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, runCli, startCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/store.js';

/**
 * The README's sample outputs are what a run prints: the demo's (its counts; times differ
 * from run to run) and the HTTP ingest example's answers, word for word.
 */
// The README and the reference pages it links to (the HTTP example lives in docs/INGESTION.md).
const readme = ['README.md', 'docs/INGESTION.md']
  .map((file) => fs.readFileSync(path.join(REPO_ROOT, file), 'utf8'))
  .join('\n');

/** The fenced block that contains `marker`, as lines. */
function blockWith(marker: string): string[] {
  const block = readme.split(/^```.*$/m).find((part) => part.includes(marker));
  if (!block) throw new Error(`README.md or docs/INGESTION.md has no code block with "${marker}"`);
  return block.split('\n').filter((line) => line.trim() !== '');
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const TIME = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/g;

describe('the README is true', () => {
  it('prints what the demo prints, with its counts', async () => {
    const dir = tempDir('driftwatch-readme-demo-');
    const result = await runCli(
      ['demo', '--live', '0'],
      { DRIFTWATCH_DATA_DIR: path.join(dir, 'data'), DRIFTWATCH_PORT: '0' },
      400_000,
    );
    expect(result.status).toBe(0);
    const sample = blockWith('demo finished:').filter((line) => line.trim() !== '...');
    expect(sample.length).toBeGreaterThan(5);
    for (const line of sample) {
      // the same line, with any time in it
      const pattern = new RegExp(
        `^${escape(line).replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\\\.\d{3}Z/g, TIME.source)}$`,
        'm',
      );
      expect(result.stdout, line).toMatch(pattern);
    }
  }, 420_000);

  it('answers the HTTP ingest example with the shipped file as it says', async () => {
    const lines = blockWith('--data-binary @examples/events.ndjson');
    const answers = lines.filter((line) => line.startsWith('# {')).map((line) => line.slice(2));
    expect(answers).toHaveLength(2);
    // The events are fraud-detector's, which a monitor watches (else the answer says it has
    // none); one on a trailing baseline, so the service has no baseline file to profile.
    const monitors = tempDir('driftwatch-readme-monitors-');
    fs.writeFileSync(
      path.join(monitors, 'fraud-detector.yaml'),
      `model: fraud-detector
baseline: { trailing: 7d }
features: { amount: numeric }
schedule: '*/30 * * * *'
window: 30m
checks:
  - { metric: psi, features: all, warn: 0.1, critical: 0.25 }
`,
    );
    const env = {
      DRIFTWATCH_DATA_DIR: path.join(tempDir('driftwatch-readme-ingest-'), 'data'),
      DRIFTWATCH_PORT: '0',
      DRIFTWATCH_MONITORS_DIR: monitors,
    };
    const service = startCli(['serve'], env);
    try {
      const url = (await service.waitForStderr(/listening on (http:\/\/\S+);/))[1] ?? '';
      const response = await fetch(`${url}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-ndjson' },
        body: fs.readFileSync(path.join(REPO_ROOT, 'examples/events.ndjson')),
      });
      expect(await response.text()).toBe(answers[0]);
      const status = await runCli(['status', '--json'], env);
      expect(status.stdout.trim()).toBe(answers[1]);
    } finally {
      await service.stop();
    }
  });
});
