// `npx tsx test/writeDashboardScreenshots.ts`: redraws the screenshots docs/API.md and
// docs/REPORT.md show, from the real demo service (test/helpers/browser.ts, as the browser
// tests use it) in Debian's chromium: the model page's charts (docs/dashboard.png), its
// grouped alerts (docs/model-alerts.png), and one histogram of the HTML report
// (docs/report-histogram.png).
import fs from 'node:fs';
import path from 'node:path';
import { createToken } from '../src/api/auth/tokens.js';
import { compareFiles } from '../src/report/compareFiles.js';
import { renderReportHtml } from '../src/report/render/html.js';
import { listAlerts } from '../src/store/alerts.js';
import { launchChromium, startDemoService } from './helpers/browser.js';
import { REPO_ROOT } from './helpers/cli.js';
import { tempDir } from './helpers/store.js';

const DOCS = path.join(REPO_ROOT, 'docs');
const read = createToken('read', 'analyst');
const operator = createToken('operator', 'oncall');
const ingest = createToken('ingest', 'demo-producer');
const dataDir = tempDir('driftwatch-screenshots-');
const service = await startDemoService(dataDir, [read, operator, ingest], ingest.token);
const browser = await launchChromium();
try {
  const url = service.address ?? '';
  const asOperator = (route: string, body: unknown) =>
    fetch(`${url}${route}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${operator.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  // As on a morning after the incident: the web channel silenced, one alert acknowledged.
  await asOperator('/v1/silences', {
    model: 'fraud-detector',
    check_id: 'psi',
    slice: 'channel=web',
    for: '4h',
    reason: 'retraining tonight',
  });
  const chi2 = (await listAlerts(service.store, { model: 'fraud-detector', state: 'firing' })).find(
    (alert) => alert.checkId === 'chi2' && alert.sliceValue === 'all',
  );
  if (chi2)
    await asOperator(`/v1/alerts/${chi2.alertId}/acknowledge`, { reason: 'looking into it' });

  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${url}/login?next=/dashboard/models/fraud-detector`);
  await page.fill('#token', read.token);
  await Promise.all([
    page.waitForURL(`${url}/dashboard/models/fraud-detector`),
    page.click('button[type=submit]'),
  ]);
  await page.waitForSelector('body[data-ready="true"]');
  /** Waits until the chart's data attribute counts something (it is drawn). */
  const filled = async (selector: string, attribute: string) => {
    for (let tries = 0; tries < 100; tries += 1) {
      if (Number(await page.getAttribute(selector, attribute)) > 0) return;
      await page.waitForTimeout(100);
    }
    throw new Error(`${selector} was not drawn`);
  };
  await page.selectOption('#metric', 'psi');
  await filled('#heatmap', 'data-rows');
  await page
    .locator('.heatmap-row[data-feature="amount"][data-slice="channel=web"] .cell')
    .last()
    .click();
  await filled('#histogram', 'data-bins');
  await filled('#history', 'data-points');
  // the click scrolled the drift chart to the top: show its heading too
  await page.mouse.wheel(0, -60);
  await page.waitForTimeout(300);
  await page.screenshot({ path: path.join(DOCS, 'dashboard.png') });
  await page.locator('#alerts').screenshot({ path: path.join(DOCS, 'model-alerts.png') });
  await context.close();

  // The HTML report of the example files, one feature's card.
  const report = await compareFiles(service.store, {
    baseline: path.join(REPO_ROOT, 'examples/baseline.csv'),
    current: path.join(REPO_ROOT, 'examples/current.csv'),
    slice: 'channel',
    score: 'score',
    label: 'label',
  });
  const file = path.join(dataDir, 'report.html');
  fs.writeFileSync(file, renderReportHtml(report));
  const reportPage = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await reportPage.goto(`file://${file}`);
  await reportPage
    .locator('.card[data-feature="amount"][data-slice="web"]')
    .screenshot({ path: path.join(DOCS, 'report-histogram.png') });
  console.log('wrote docs/dashboard.png, model-alerts.png, report-histogram.png');
} finally {
  await browser.close();
  await service.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
}
