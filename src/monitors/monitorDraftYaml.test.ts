import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { ColumnProfile, FileProfile } from '../baselines/columnProfile.js';
import { inferMonitor } from './inferMonitor.js';
import { loadMonitorFile } from './monitorFile.js';
import { renderMonitorYaml } from './monitorDraftYaml.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'driftwatch-draft-yaml-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function column(name: string, kind: 'numeric' | 'categorical', listed?: string[]): ColumnProfile {
  return {
    name,
    kind,
    values: 1000,
    distinct: listed?.length ?? 500,
    evidence: { source: 'csv', numberValues: kind === 'numeric' ? 1000 : 0 },
    ...(kind === 'numeric' ? { numbers: { min: 0, max: 1, integral: false, nonFinite: 0 } } : {}),
    ...(listed ? { listedValues: listed } : {}),
    allTimes: false,
  };
}

/** A baseline CSV with these columns (the validation reads its header) and the rendered monitor. */
function writeMonitor(profile: FileProfile, yaml: string): string {
  fs.mkdirSync(path.join(dir, 'monitors'), { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'train.csv'),
    `${profile.columns.map((c) => c.name).join(',')}\n${profile.columns.map(() => '0').join(',')}\n`,
  );
  const file = path.join(dir, 'monitors', 'model.yaml');
  fs.writeFileSync(file, yaml);
  return file;
}

const FRAUD: FileProfile = {
  file: 'train.csv',
  format: 'CSVWithNames',
  rows: 1000,
  columns: [
    column('amount', 'numeric'),
    column('merchant_category', 'categorical', ['electronics', 'grocery']),
    column('channel', 'categorical', ['ios', 'web']),
    column('score', 'numeric'),
    column('label', 'numeric', ['0', '1']),
  ],
};

describe('renderMonitorYaml: the file init writes', () => {
  it('validates as `driftwatch validate` does, and plans what the draft says', () => {
    const draft = inferMonitor(FRAUD, { model: 'fraud-detector', task: 'binary' });
    const yaml = renderMonitorYaml(draft, { baselinePath: '../train.csv', formatName: 'CSV' });
    const result = loadMonitorFile(writeMonitor(FRAUD, yaml));
    if (!result.ok) throw new Error(result.errors.map((e) => e.message).join('\n'));
    const plan = result.plan;
    expect(plan.model).toBe('fraud-detector');
    expect(plan.features).toEqual([
      { name: 'amount', kind: 'numeric' },
      { name: 'merchant_category', kind: 'categorical' },
    ]);
    expect(plan.slices).toEqual([['channel']]);
    expect(plan.threshold).toBe(0.5);
    expect(plan.labels).toEqual({ delayMs: 86_400_000, minCount: 200 });
    expect(plan.windowMs).toBe(3_600_000);
    expect(plan.checks.map((check) => check.metric)).toEqual(draft.checks.map((c) => c.metric));
    expect(plan.checks.find((check) => check.metric === 'ks')).toMatchObject({
      features: ['amount'],
      pValue: 0.01,
      minStatistic: 0.1,
    });
    expect(plan.alerting).toMatchObject({ forWindows: 1, resolveAfterWindows: 2, routes: [] });
  });

  it('explains every line it writes', () => {
    const draft = inferMonitor(FRAUD, { model: 'fraud-detector', task: 'binary' });
    const yaml = renderMonitorYaml(draft, { baselinePath: '../train.csv', formatName: 'CSV' });
    const structural = new Set(['features:', 'checks:', 'alerts:']);
    const silent = yaml
      .split('\n')
      .filter((line) => line.trim() !== '' && !line.trimStart().startsWith('#'))
      .filter((line) => !structural.has(line) && !line.includes(' # '));
    // the baseline line is explained by the comment above it
    expect(silent).toEqual(['baseline: { file: ../train.csv }']);
    expect(yaml).toMatch(/# What every window is compared with: the training data/);
  });

  it('keeps any column name a name: YAML words, numbers, spaces, colons and hashes quoted', () => {
    const names = ['true', '1e5', '.inf', 'a b', 'x: y', '#tag', 'null', 'plain_name'];
    const profile: FileProfile = {
      ...FRAUD,
      columns: names.map((name) => column(name, 'numeric')),
    };
    const draft = inferMonitor(profile, { model: 'odd-names', task: 'binary' });
    const yaml = renderMonitorYaml(draft, { baselinePath: '../train.csv', formatName: 'CSV' });
    const parsed = parse(yaml) as { features: Record<string, string> };
    expect(Object.keys(parsed.features)).toEqual(names);
    expect(yaml).toMatch(/^ {2}plain_name: numeric #/m);
    const result = loadMonitorFile(writeMonitor(profile, yaml));
    expect(result.ok).toBe(true);
  });
});
