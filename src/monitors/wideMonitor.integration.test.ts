import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../test/helpers/cli.js';
import { insertTestPredictions, type TestPrediction } from '../../test/helpers/events.js';
import { openTestStore, tempDir } from '../../test/helpers/store.js';
import { binCounts, binEdgesFromQuantiles, psi, quantileR7 } from '../stats/index.js';
import { toClickHouseTime, type Store } from '../store/clickhouse.js';
import { evaluateMonitorWindow, type WindowEvaluation } from './evaluateWindow.js';
import { formatMonitorError, loadMonitorFile } from './monitorFile.js';
import { MAX_FEATURE_NAMES_BYTES, MAX_FEATURES } from './monitorFileLimits.js';
import { MAX_LISTED_NAMES } from './listedNames.js';
import { windowEndingAt } from '../timeWindow.js';

/**
 * Wide monitors at the documented limits (monitorFileLimits): exactly MAX_FEATURES features
 * whose names take as close to MAX_FEATURE_NAMES_BYTES as fit, from a training file wider
 * still, load their baseline and run a window on embedded ClickHouse (before: "Max query
 * size exceeded" in the baseline load, while validate passed); one feature more, or one byte
 * more of names, is refused by validate naming the limit. A window's list of new feature
 * names is capped, with the count of the rest.
 */
const NAME_BYTES = Math.floor(MAX_FEATURE_NAMES_BYTES / MAX_FEATURES); // 26
const nameOf = (j: number, bytes = NAME_BYTES) =>
  `feature_${String(j).padStart(5, '0')}_`.padEnd(bytes, 'x');
const names = Array.from({ length: MAX_FEATURES }, (_, j) => nameOf(j));
const UNMONITORED = 300;
const BASELINE_ROWS = 120;
const EVENTS = 40;
const NEW_NAMES = 2_000;

// Deterministic values: every feature differs, a third of them drift in the window.
const referenceValue = (row: number, j: number) => ((row * 7919 + j * 104_729) % 1000) / 10;
const currentValue = (event: number, j: number) =>
  ((event * 31 + j * 17) % 1000) / 10 + (j % 3 === 0 ? 40 : 0);

function monitorYaml(features: readonly string[], baseline: string): string {
  return `model: wide
baseline: ${baseline}
features:
${features.map((name) => `  ${name}: numeric`).join('\n')}
schedule: '*/15 * * * *'
window: 1h
min_samples: 20
checks:
  - { metric: psi, features: all, warn: 0.1, critical: 0.25 }
  - { metric: schema, severity: warn }
`;
}

function located(file: string): string[] {
  const result = loadMonitorFile(file);
  return result.ok ? [] : result.errors.map((e) => formatMonitorError(e).replace(`${file}:`, ''));
}

describe('wide monitors', () => {
  const dir = tempDir('driftwatch-wide-');

  it('are refused by validate one feature or one byte past the limits, naming the limit', async () => {
    const monitors = path.join(dir, 'validate');
    fs.mkdirSync(monitors);
    const write = (file: string, features: readonly string[]) => {
      fs.writeFileSync(path.join(monitors, file), monitorYaml(features, '{ trailing: 7d }'));
      return path.join(monitors, file);
    };
    const tooMany = write('too-many.yaml', [...names, nameOf(MAX_FEATURES)]);
    const tooLong = write(
      'too-long.yaml',
      names.map((_, j) => nameOf(j, NAME_BYTES + 1)),
    );
    // the issue's second case: 3,000 names of 67 characters
    const issue = write(
      'issue.yaml',
      Array.from({ length: 3000 }, (_, j) => nameOf(j, 67)),
    );
    expect(located(tooMany)).toEqual([
      `3:1: features: 10,001 features; a monitor may have at most 10,000 (MAX_FEATURES in src/monitors/monitorFileLimits.ts): every query of a run names them all`,
    ]);
    expect(located(tooLong)).toEqual([
      `3:1: features: the feature names take 270,000 bytes together; a monitor's may take at most 262,144 (MAX_FEATURE_NAMES_BYTES in src/monitors/monitorFileLimits.ts): every query of a run names them all`,
    ]);
    expect(located(issue)).toEqual([]);
    const cli = await runCli(['validate', monitors]);
    expect(cli.status).toBe(2);
    expect(cli.stderr).toContain(`${tooMany}:3:1: features: 10,001 features`);
    expect(cli.stderr).toContain(`${tooLong}:3:1: features: the feature names take 270,000 bytes`);
    expect(cli.stdout).toMatch(/^1 monitor\(s\) valid, 2 error\(s\) in 2 file\(s\)/);
  });

  describe('at exactly the limits', () => {
    let store: Store;
    let evaluation: WindowEvaluation;
    const end = new Date('2026-12-06T12:00:00Z');
    const window = windowEndingAt(end, 3_600_000);

    beforeAll(async () => {
      store = await openTestStore();
      // the training file holds more columns than the monitor names
      const columns = [...names, ...Array.from({ length: UNMONITORED }, (_, k) => `unused_${k}`)];
      const rows = Array.from({ length: BASELINE_ROWS }, (_, r) =>
        columns.map((_, j) => referenceValue(r, j)).join(','),
      );
      fs.writeFileSync(path.join(dir, 'wide.csv'), `${columns.join(',')}\n${rows.join('\n')}\n`);
      const file = path.join(dir, 'wide.yaml');
      fs.writeFileSync(file, monitorYaml(names, '{ file: wide.csv }'));
      expect(names.reduce((sum, name) => sum + Buffer.byteLength(name), 0)).toBe(260_000);
      const loaded = loadMonitorFile(file);
      if (!loaded.ok) throw new Error(loaded.errors.map(formatMonitorError).join('\n'));
      const events: TestPrediction[] = Array.from({ length: EVENTS }, (_, e) => {
        const features: Record<string, number> = {};
        names.forEach((name, j) => (features[name] = currentValue(e, j)));
        // fields the baseline never had: each event brings its share of 2,000 new names
        for (let k = 0; k < NEW_NAMES / EVENTS; k += 1) features[`new_${e}_${k}`] = k;
        return {
          kind: 'prediction',
          event_id: `e${e}`,
          model: 'wide',
          model_version: 'v1',
          ts: toClickHouseTime(new Date(end.getTime() - 60_000 * (e + 1))),
          prediction_id: `p${e}`,
          score: 0.5,
          prediction: null,
          features,
          attributes: {},
          source: 'test',
          kafka_topic: '',
          kafka_partition: -1,
          kafka_offset: -1,
        };
      });
      await insertTestPredictions(store, events);
      evaluation = await evaluateMonitorWindow(store, loaded.plan, window, {
        now: new Date(end.getTime() + 3_600_000),
      });
    }, 600_000);
    afterAll(async () => {
      await store?.close();
    });

    it('load the baseline and judge every feature, as the raw rows say', () => {
      expect(evaluation.baseline.rows).toBe(BASELINE_ROWS);
      expect(evaluation.events).toBe(EVENTS);
      const byFeature = new Map(
        evaluation.results.filter((r) => r.metric === 'psi').map((r) => [r.feature, r]),
      );
      expect(byFeature.size).toBe(MAX_FEATURES);
      // the first, a middle and the last feature: names and columns stayed paired
      for (const j of [0, 4_999, 5_001, MAX_FEATURES - 1]) {
        const reference = Array.from({ length: BASELINE_ROWS }, (_, r) => referenceValue(r, j));
        const current = Array.from({ length: EVENTS }, (_, e) => currentValue(e, j));
        const sortedReference = [...reference].sort((a, b) => a - b);
        const edges = binEdgesFromQuantiles(
          [1, 2, 3, 4, 5, 6, 7, 8, 9].map((k) => quantileR7(sortedReference, k / 10)),
        );
        const expected = psi(binCounts(edges, reference), binCounts(edges, current));
        const result = byFeature.get(names[j] ?? '');
        expect({ j, value: result?.value }).toEqual({ j, value: expect.closeTo(expected, 9) });
        expect(result?.nReference).toBe(BASELINE_ROWS);
        expect(result?.nCurrent).toBe(EVENTS);
      }
    });

    it('list at most MAX_LISTED_NAMES new feature names, with the count of the rest', () => {
      const schema = evaluation.results.find((r) => r.metric === 'schema');
      expect(schema?.value).toBe(NEW_NAMES);
      const details = schema?.details as Record<string, unknown>;
      expect(details.missing_features).toEqual([]);
      expect(details.new_features).toHaveLength(MAX_LISTED_NAMES);
      expect(details.new_features_omitted).toBe(NEW_NAMES - MAX_LISTED_NAMES);
      expect(JSON.stringify(schema).length).toBeLessThan(10_000);
    });
  });
});
