import fs from 'node:fs';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareFiles } from '../../src/report/compareFiles.js';
import { renderReportHtml } from '../../src/report/render/html.js';
import { renderReportTable } from '../../src/report/render/table.js';
import { expectClose } from '../../src/stats/oracle.testing.js';
import type { Store } from '../../src/store/clickhouse.js';
import { REPO_ROOT } from '../helpers/cli.js';
import { openTestStore, tempDir } from '../helpers/store.js';

/**
 * The report's regression drift (issue 19 item 2): `--task regression --prediction p
 * --label y` compares the predictions and the residuals (label − prediction) like numeric
 * features, exactly; each value against scipy's (test/fixtures/regression-drift-cases.json).
 */
interface Side {
  seg: string[];
  prediction: number[];
  label: number[];
}
const CASES = JSON.parse(
  fs.readFileSync(path.join(REPO_ROOT, 'test/fixtures/regression-drift-cases.json'), 'utf8'),
) as {
  baseline: Side;
  window: Side;
  label_window: Side;
  expected: Record<
    string,
    {
      prediction: { ks_statistic: number; ks_p_value: number; psi: number };
      residual: { ks_statistic: number; ks_p_value: number };
    }
  >;
};

function writeSide(dir: string, name: string, side: Side): string {
  const file = path.join(dir, name);
  const lines = side.prediction.map((p, i) => `${i % 7},${p},${side.label[i]},${side.seg[i]}`);
  fs.writeFileSync(file, ['x,p,y,seg', ...lines].join('\n'));
  return file;
}

describe('the report’s regression drift', () => {
  let store: Store;
  const dir = tempDir('driftwatch-report-regression-');
  const files = {
    baseline: writeSide(dir, 'base.csv', CASES.baseline),
    window: writeSide(dir, 'window.csv', CASES.window),
    labelWindow: writeSide(dir, 'labels.csv', CASES.label_window),
  };
  const request = {
    task: 'regression' as const,
    prediction: 'p',
    label: 'y',
    threshold: 0.5,
    calibrationBins: 10,
  };
  beforeAll(async () => {
    store = await openTestStore();
  });
  afterAll(async () => {
    await store.close();
  });

  // the report names a slice by its value alone
  const slices = (name: string) => name.replace(/^seg=/, '');

  it('gives the predictions’ KS and PSI at scipy’s values, per slice and all', async () => {
    const report = await compareFiles(store, {
      baseline: files.baseline,
      current: files.window,
      slice: 'seg',
      performance: request,
    });
    const entries = report.regression_drift?.prediction ?? [];
    for (const [slice, expected] of Object.entries(CASES.expected)) {
      const entry = entries.find((e) => e.slice === slices(slice));
      if (!entry || entry.kind !== 'numeric')
        throw new Error(
          `no prediction entry for ${slice} in ${entries.map((e) => e.slice).join()}`,
        );
      expectClose(entry.ks.statistic ?? NaN, expected.prediction.ks_statistic, `${slice} D`, 1e-12);
      expectClose(entry.ks.p_value ?? NaN, expected.prediction.ks_p_value, `${slice} p`, 1e-9);
      expectClose(entry.psi ?? NaN, expected.prediction.psi, `${slice} psi`, 1e-12);
    }
    const ajv = new Ajv2020({ strict: false });
    addFormats.default(ajv);
    const schema = JSON.parse(
      fs.readFileSync(path.join(REPO_ROOT, 'schemas/report.schema.json'), 'utf8'),
    ) as object;
    expect(ajv.validate(schema, JSON.parse(JSON.stringify(report))), ajv.errorsText()).toBe(true);
    // the prediction and label are no features of the report
    expect(report.features.map((f) => f.name)).not.toContain('p');
  });

  it('gives the residuals’ KS at scipy’s values, per slice and all', async () => {
    const report = await compareFiles(store, {
      baseline: files.baseline,
      current: files.labelWindow,
      slice: 'seg',
      performance: request,
    });
    const entries = report.regression_drift?.residual ?? [];
    for (const [slice, expected] of Object.entries(CASES.expected)) {
      const entry = entries.find((e) => e.slice === slices(slice));
      if (!entry || entry.kind !== 'numeric') throw new Error(`no residual entry for ${slice}`);
      expectClose(entry.ks.statistic ?? NaN, expected.residual.ks_statistic, `${slice} D`, 1e-12);
      expectClose(entry.ks.p_value ?? NaN, expected.residual.ks_p_value, `${slice} p`, 1e-9);
    }
  });

  it('shows the predictions and residuals in the table and the HTML, one row per entry', async () => {
    const report = await compareFiles(store, {
      baseline: files.baseline,
      current: files.labelWindow,
      slice: 'seg',
      performance: request,
    });
    const drift = report.regression_drift;
    if (!drift) throw new Error('no regression drift in the report');
    const entries = [...drift.prediction, ...drift.residual];
    expect(drift.prediction.length).toBeGreaterThan(0);
    expect(drift.residual.length).toBeGreaterThan(0);
    const table = renderReportTable(report).split('\n');
    const heading = table.findIndex((line) => line.startsWith('regression: drift'));
    expect(heading).toBeGreaterThan(0);
    // the heading, the column header, then one row per entry with its KS statistic
    const rows = table.slice(heading + 2, heading + 2 + entries.length);
    entries.forEach((entry, i) => {
      const statistic = entry.kind === 'numeric' ? entry.ks.statistic : null;
      expect(rows[i]).toContain(entry.name);
      expect(rows[i]).toContain((statistic ?? NaN).toFixed(4));
    });
    const html = renderReportHtml(report);
    const section = html.slice(html.indexOf('<table id="regression-drift">'));
    const body = section.slice(0, section.indexOf('</table>'));
    expect(body.match(/<tr[ >]/g)?.length).toBe(entries.length + 1);
    // each entry has its histogram card
    const cards = html.slice(html.indexOf('<table id="regression-drift">')).match(/<svg/g) ?? [];
    expect(cards.length).toBeGreaterThanOrEqual(entries.length);
  });
});
