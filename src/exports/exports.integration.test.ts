import fs from 'node:fs';
import path from 'node:path';
import { extract as extractTar } from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestStore, tempDir } from '../../test/helpers/store.js';
import { buildApp } from '../api/app.js';
import { createToken } from '../api/auth/tokens.js';
import { createIngestMetrics } from '../ingest/metrics.js';
import { insertBaselineFromRange } from '../store/baselines.js';
import type { Store } from '../store/clickhouse.js';
import { insertMonitorFileVersions } from '../store/monitorFiles.js';
import { insertMonitorResults, type MonitorResult } from '../store/results.js';
import { generateSigningKey } from './signing.js';
import { verifyExport } from './verifyExport.js';
import { writeExport, type Manifest } from './writeExport.js';

const DAY = 86_400_000;
const WINDOW = 30 * 60_000;
const END = new Date('2026-11-30T00:00:00Z');
const START = new Date(END.getTime() - 30 * DAY);
const MODELS = ['fraud-detector', 'churn-model'];
const FEATURES = ['amount', 'account_age_days', 'device_score', 'merchant_category'];
const SLICES = [
  ['', 'all'],
  ['channel', 'web'],
  ['channel', 'ios'],
  ['channel', 'android'],
];
const HASH = { 'fraud-detector': 'f'.repeat(64), 'churn-model': 'c'.repeat(64) } as const;

/** A month of demo-like drift history: two models, 30-minute windows, 4 features × 4 slices × 2 checks. */
async function insertMonthOfHistory(store: Store): Promise<number> {
  let total = 0;
  for (const model of MODELS) {
    let batch: MonitorResult[] = [];
    for (let end = START.getTime() + WINDOW; end <= END.getTime(); end += WINDOW) {
      const day = (end - START.getTime()) / DAY;
      for (const feature of FEATURES) {
        for (const [key, value] of SLICES) {
          const drift = day > 25 && key === 'channel' && value === 'web' ? 0.3 : 0.02;
          const psiValue = drift + ((end / WINDOW) % 7) / 1000;
          batch.push(
            result(model, end, 'psi', feature, key ?? '', value ?? '', psiValue, null),
            result(
              model,
              end,
              'ks',
              feature,
              key ?? '',
              value ?? '',
              psiValue / 2,
              10 ** -(drift * 40),
            ),
          );
        }
      }
      if (batch.length >= 20_000) {
        await insertMonitorResults(store, batch);
        total += batch.length;
        batch = [];
      }
    }
    await insertMonitorResults(store, batch);
    total += batch.length;
  }
  return total;
}

function result(
  model: string,
  end: number,
  metric: 'psi' | 'ks',
  feature: string,
  sliceKey: string,
  sliceValue: string,
  value: number,
  pValue: number | null,
): MonitorResult {
  const status =
    metric === 'psi'
      ? value >= 0.25
        ? 'critical'
        : value >= 0.1
          ? 'warn'
          : 'ok'
      : (pValue ?? 1) < 0.01
        ? 'critical'
        : 'ok';
  return {
    monitor: model,
    model,
    windowStart: new Date(end - WINDOW),
    windowEnd: new Date(end),
    checkId: metric,
    metric,
    feature,
    sliceKey,
    sliceValue,
    status,
    value,
    pValue,
    adjustedPValue: pValue === null ? null : Math.min(1, pValue * 16),
    correction: pValue === null ? 'none' : 'benjamini-hochberg',
    warnThreshold: metric === 'psi' ? 0.1 : null,
    criticalThreshold: metric === 'psi' ? 0.25 : 0.01,
    nReference: 5000,
    nCurrent: 1500,
    baseline: `file:${model}.csv`,
    baselineVersion: 1,
    monitorHash: HASH[model as keyof typeof HASH],
    details:
      metric === 'psi'
        ? { histogram: { edges: [1, 2], reference: [10, 20, 30], current: [12, 18, 31] } }
        : { effect: value, min_effect: 0.1 },
  };
}

describe('compliance exports of a month of history', () => {
  let store: Store;
  let rows: number;
  const keys = generateSigningKey();
  const root = tempDir('driftwatch-exports-');
  const exportDir = (name: string) => path.join(root, name);
  let manifest: Manifest;

  beforeAll(async () => {
    store = await openTestStore();
    rows = await insertMonthOfHistory(store);
    await insertMonitorFileVersions(
      store,
      MODELS.map((model) => ({
        monitor: model,
        model,
        hash: HASH[model as keyof typeof HASH],
        path: `monitors/${model}.yaml`,
        text: `model: ${model}\n# "quoted", commas, and a second line\nwindow: 30m\n`,
      })),
    );
    for (const model of MODELS) {
      await insertBaselineFromRange(store, {
        model,
        name: `file:${model}.csv`,
        from: START,
        to: new Date(START.getTime() + DAY),
        features: [],
      });
    }
    manifest = await writeExport(store, {
      from: START,
      to: END,
      format: 'jsonl',
      outDir: exportDir('month-jsonl'),
      signingKey: keys.privateKey,
      softwareVersion: '9.9.9',
      pageSize: 7_000,
    });
  }, 300_000);
  afterAll(async () => {
    await store.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('writes every record of the month, its monitor files and baselines, in a signed manifest', async () => {
    expect(rows).toBe(2 * 30 * 48 * 4 * 4 * 2);
    expect(manifest.files.map((f) => [f.name, f.rows])).toEqual([
      ['drift_history.jsonl', rows],
      ['monitor_files.jsonl', 2],
      ['baselines.jsonl', 2],
    ]);
    expect(manifest.software).toEqual({ name: 'driftwatch', version: '9.9.9' });
    expect(manifest.period).toEqual({
      from: START.toISOString(),
      to: END.toISOString(),
      model: null,
    });
    expect(manifest.chain.records).toBe(rows + 4);
    expect(manifest.signature?.public_key).toBe(keys.publicKey);
    const lines = fs
      .readFileSync(path.join(exportDir('month-jsonl'), 'drift_history.jsonl'), 'utf8')
      .split('\n');
    const first = JSON.parse(lines[0] ?? '{}') as Record<string, unknown>;
    expect(first).toMatchObject({
      seq: 1,
      model: 'churn-model',
      window_end: new Date(START.getTime() + WINDOW).toISOString(),
      check_id: 'ks',
      status: expect.any(String),
      n_reference: 5000,
      baseline_version: 1,
      monitor_hash: HASH['churn-model'],
      prev_hash: manifest.chain.genesis,
    });
    expect(JSON.parse(String(first.details))).toMatchObject({ min_effect: 0.1 });
    const files = fs.readFileSync(
      path.join(exportDir('month-jsonl'), 'monitor_files.jsonl'),
      'utf8',
    );
    expect(JSON.parse(files.split('\n')[0] ?? '{}')).toMatchObject({
      file_text: expect.stringContaining('"quoted", commas'),
    });
  });

  it('verifies against the public key', async () => {
    const report = await verifyExport(exportDir('month-jsonl'), { publicKey: keys.publicKey });
    expect(report).toMatchObject({
      ok: true,
      signature: 'valid',
      trustedKey: true,
      records: rows + 4,
      problems: [],
    });
  });

  /** A copy of the export with the drift history's lines changed by `edit`. */
  function tampered(name: string, edit: (lines: string[]) => string[]): string {
    const dir = exportDir(name);
    fs.cpSync(exportDir('month-jsonl'), dir, { recursive: true });
    const file = path.join(dir, 'drift_history.jsonl');
    const lines = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);
    fs.writeFileSync(file, `${edit(lines).join('\n')}\n`);
    return dir;
  }

  it.each([
    [
      'an edited value',
      (lines: string[]) =>
        lines.map((line, i) =>
          i === 999
            ? line
                .replace(/"status":"[a-z_]+"/, '"status":"ok"')
                .replace(/"value":[0-9.e-]+/, '"value":0.001')
            : line,
        ),
      1000,
      /edited/,
    ],
    [
      'a deleted record',
      (lines: string[]) => lines.filter((_, i) => i !== 4999),
      5000,
      /record 5000 was deleted or moved/,
    ],
    [
      'an inserted record',
      (lines: string[]) => [...lines.slice(0, 70), lines[20] ?? '', ...lines.slice(70)],
      71,
      /found record 21 again or out of order/,
    ],
    [
      'two records swapped',
      (lines: string[]) =>
        lines.map((line, i) =>
          i === 300 ? (lines[301] ?? '') : i === 301 ? (lines[300] ?? '') : line,
        ),
      301,
      /record 301 was deleted or moved/,
    ],
  ])('names the first bad record after %s', async (name, edit, record, reason) => {
    const report = await verifyExport(tampered(name.replace(/ /g, '-'), edit), {
      publicKey: keys.publicKey,
    });
    expect(report.ok).toBe(false);
    expect(report.firstBadRecord).toEqual({
      file: 'drift_history.jsonl',
      record,
      reason: expect.stringMatching(reason),
    });
    expect(report.problems[0]).toMatch(new RegExp(`^drift_history\\.jsonl record ${record}: `));
    expect(report.problems.join('\n')).toMatch(/SHA-256 .* differs from the manifest/);
  });

  it('catches an edit whose hash was recomputed, and a manifest checked against a key that did not sign it', async () => {
    const dir = tampered('rehashed', (lines) =>
      lines.map((line, i) => {
        if (i !== 9) return line;
        const record = JSON.parse(line) as Record<string, unknown>;
        return JSON.stringify({ ...record, value: 0.0001, record_hash: 'f'.repeat(64) });
      }),
    );
    const report = await verifyExport(dir, { publicKey: keys.publicKey });
    expect(report.firstBadRecord).toMatchObject({
      record: 10,
      reason: expect.stringMatching(/edited/),
    });
    const other = generateSigningKey();
    const byOther = await verifyExport(exportDir('month-jsonl'), { publicKey: other.publicKey });
    expect(byOther).toMatchObject({ ok: false, signature: 'invalid' });
    expect(byOther.problems).toEqual(['manifest.json: not signed by the given public key']);
  });

  it('detects a manifest changed after signing', async () => {
    const dir = exportDir('manifest-edit');
    fs.cpSync(exportDir('month-jsonl'), dir, { recursive: true });
    const file = path.join(dir, 'manifest.json');
    const changed = JSON.parse(fs.readFileSync(file, 'utf8')) as Manifest;
    changed.period.to = '2026-12-31T00:00:00.000Z';
    fs.writeFileSync(file, JSON.stringify(changed));
    const report = await verifyExport(dir);
    expect(report).toMatchObject({ ok: false, signature: 'invalid', trustedKey: false });
  });

  it('writes Parquet and CSV through ClickHouse, for one model, and verifies them', async () => {
    for (const format of ['parquet', 'csv'] as const) {
      const dir = exportDir(`fraud-${format}`);
      const written = await writeExport(store, {
        from: new Date(END.getTime() - 2 * DAY),
        to: END,
        model: 'fraud-detector',
        format,
        outDir: dir,
        signingKey: keys.privateKey,
        softwareVersion: '9.9.9',
      });
      expect(written.files[0]).toMatchObject({
        name: `drift_history.${format}`,
        rows: 2 * 48 * 32,
      });
      const report = await verifyExport(dir, { publicKey: keys.publicKey, store });
      expect(report, format).toMatchObject({ ok: true, records: 2 * 48 * 32 + 2 });
    }
    const csv = path.join(exportDir('fraud-csv'), 'drift_history.csv');
    const lines = fs.readFileSync(csv, 'utf8').split('\n');
    lines[42] = (lines[42] ?? '')
      .replace(/,"(ok|warn|critical)",/, ',"ok",')
      .replace(/,5000,/, ',5001,');
    fs.writeFileSync(csv, lines.join('\n'));
    const report = await verifyExport(exportDir('fraud-csv'), { publicKey: keys.publicKey, store });
    // Line 1 is the header: line 43 holds record 42.
    expect(report.firstBadRecord).toMatchObject({ file: 'drift_history.csv', record: 42 });
  });

  it('streams the same export through the API, to admins only', async () => {
    const admin = createToken('admin', 'auditor-desk');
    const operator = createToken('operator');
    const app = buildApp({
      store,
      metrics: createIngestMetrics(),
      monitors: () => [],
      auth: { tokens: [admin.entry, operator.entry] },
      exports: { signingKey: keys.privateKey, version: '9.9.9' },
    });
    const url = `/v1/exports?from=${new Date(END.getTime() - DAY).toISOString()}&to=${END.toISOString()}&format=parquet`;
    const refused = await app.inject({
      method: 'GET',
      url,
      headers: { authorization: `Bearer ${operator.token}` },
    });
    expect(refused.statusCode).toBe(403);
    const response = await app.inject({
      method: 'GET',
      url,
      headers: { authorization: `Bearer ${admin.token}` },
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('application/x-tar');
    const archive = path.join(root, 'api.tar');
    fs.writeFileSync(archive, response.rawPayload);
    const dir = exportDir('from-api');
    fs.mkdirSync(dir);
    await extractTar({ file: archive, cwd: dir });
    expect(fs.readdirSync(dir).sort()).toEqual([
      'baselines.parquet',
      'drift_history.parquet',
      'manifest.json',
      'monitor_files.parquet',
    ]);
    const report = await verifyExport(dir, { publicKey: keys.publicKey, store });
    expect(report).toMatchObject({ ok: true, records: 48 * 32 * 2 + 4 });
    await app.close();
  });
});
