import fs from 'node:fs';
import path from 'node:path';
import { type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareFiles } from '../../src/report/compareFiles.js';
import { renderReportHtml } from '../../src/report/render/html.js';
import type { Store } from '../../src/store/clickhouse.js';
import { launchChromium } from '../helpers/browser.js';
import { REPO_ROOT } from '../helpers/cli.js';
import { openTestStore, tempDir } from '../helpers/store.js';

/** The HTML report as a person sees it: Debian's chromium, headless, driven by playwright-core. */
describe('the HTML report in a real browser', () => {
  let store: Store;
  let browser: Browser;
  const dir = tempDir('driftwatch-html-');
  const file = path.join(dir, 'report.html');

  beforeAll(async () => {
    store = await openTestStore();
    const report = await compareFiles(store, {
      baseline: path.join(REPO_ROOT, 'examples/baseline.csv'),
      current: path.join(REPO_ROOT, 'examples/current.csv'),
      slice: 'channel',
      score: 'score',
      label: 'label',
    });
    fs.writeFileSync(file, renderReportHtml(report));
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await store.close();
  });

  it('shows one card per feature and slice, drifted ones marked, with both histograms drawn', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`file://${file}`);
    expect(await page.locator('h1').textContent()).toBe('driftwatch report');
    const cards = page.locator('.card');
    expect(await cards.count()).toBe(6 * 4); // six features, three channels and "all"
    const web = page.locator('.card[data-feature="amount"][data-slice="web"]');
    expect(await web.getAttribute('class')).toContain('drifted');
    const heights = async (side: string) =>
      web
        .locator(`rect.bar-${side}`)
        .evaluateAll((bars) => bars.map((bar) => bar.getBoundingClientRect().height));
    const reference = await heights('reference');
    const current = await heights('current');
    expect(reference).toHaveLength(10);
    expect(current).toHaveLength(10);
    expect(Math.min(...reference)).toBeGreaterThan(0);
    expect(current).not.toEqual(reference);
    expect(await page.locator('#classification tbody tr').count()).toBe(4);
    await page.screenshot({ path: path.join(dir, 'report.png'), fullPage: false });
  });
});
