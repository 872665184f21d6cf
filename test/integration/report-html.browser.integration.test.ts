import fs from 'node:fs';
import path from 'node:path';
import { type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareFiles, type DriftReport } from '../../src/report/compareFiles.js';
import { renderReportHtml } from '../../src/report/render/html.js';
import type { Store } from '../../src/store/clickhouse.js';
import { launchChromium } from '../helpers/browser.js';
import { REPO_ROOT } from '../helpers/cli.js';
import { openTestStore, tempDir } from '../helpers/store.js';

/** The HTML report as a person sees it: Debian's chromium, headless, driven by playwright-core. */
describe('the HTML report in a real browser', () => {
  let store: Store;
  let browser: Browser;
  let report: DriftReport;
  const dir = tempDir('driftwatch-html-');
  const file = path.join(dir, 'report.html');

  beforeAll(async () => {
    store = await openTestStore();
    report = await compareFiles(store, {
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

  it('draws each histogram on axes: shares from zero on y, the bins labelled on x', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`file://${file}`);
    for (const [feature, slice] of [
      ['amount', 'web'],
      ['merchant_category', 'all'],
    ] as const) {
      const card = page.locator(`.card[data-feature="${feature}"][data-slice="${slice}"]`);
      const entry = report.features.find((f) => f.name === feature && f.slice === slice);
      if (!entry) throw new Error(`the report should have ${feature} on ${slice}`);
      const drawn = await card.locator('svg.histogram').evaluate((svg) => {
        const box = (node: (typeof svg)['firstElementChild'] & object) =>
          node.getBoundingClientRect();
        return {
          yTicks: [...svg.querySelectorAll('.y-axis text.y-tick')].map((t) => ({
            text: t.textContent,
            y: box(t).top + box(t).height / 2,
          })),
          xTicks: [...svg.querySelectorAll('.x-axis text.x-tick')].map((t) => t.textContent),
          titles: [...svg.querySelectorAll('text.axis-title')].map((t) => t.textContent),
          bars: [...svg.querySelectorAll('rect.bar-reference, rect.bar-current')].map((r) => ({
            side: r.getAttribute('class'),
            top: box(r).top,
            bottom: box(r).bottom,
          })),
        };
      });
      // y: shares as percentages, from 0% upwards, evenly spaced, the top above every bar
      const values = drawn.yTicks.map((t) => Number((t.text ?? '').replace('%', '')) / 100);
      expect(drawn.yTicks[0]?.text).toMatch(/^0(\.0+)?%$/);
      expect(values.length).toBeGreaterThanOrEqual(3);
      const step = (values[1] ?? NaN) - (values[0] ?? NaN);
      for (const [i, v] of values.entries()) expect(v).toBeCloseTo(i * step, 9);
      const share = (counts: number[]) => {
        const total = counts.reduce((a, b) => a + b, 0);
        return counts.map((c) => c / total);
      };
      const expectedShares = [
        ...share(entry.histogram.reference),
        ...share(entry.histogram.current),
      ];
      expect(values.at(-1)).toBeGreaterThanOrEqual(Math.max(...expectedShares));
      // each bar stands on the 0% line and its height is its share on the axis' scale
      const zero = drawn.yTicks[0]?.y ?? NaN;
      const top = drawn.yTicks.at(-1)?.y ?? NaN;
      const pixelsPerShare = (zero - top) / (values.at(-1) ?? NaN);
      expect(drawn.bars).toHaveLength(expectedShares.length);
      for (const [i, bar] of drawn.bars.entries()) {
        expect(Math.abs(bar.bottom - zero)).toBeLessThan(1.5);
        expect(
          Math.abs(bar.bottom - bar.top - (expectedShares[i] ?? NaN) * pixelsPerShare),
        ).toBeLessThan(1.5);
      }
      // x: numeric bins by their inner edges, categories by name; both axes titled
      if (entry.histogram.categories) {
        expect(drawn.xTicks).toEqual(
          entry.histogram.categories.map((c) => (c.length > 10 ? `${c.slice(0, 9)}…` : c)),
        );
      } else {
        const edges = entry.histogram.edges ?? [];
        expect(drawn.xTicks).toHaveLength(edges.length);
        for (const [i, label] of drawn.xTicks.entries())
          expect(Number(label)).toBeCloseTo(edges[i] ?? NaN, 1);
      }
      expect(drawn.titles).toEqual([
        'share',
        entry.histogram.categories ? `${feature} (category)` : feature,
      ]);
    }
    await page
      .locator('.card[data-feature="amount"][data-slice="web"]')
      .screenshot({ path: path.join(dir, 'report-histogram.png') });
  });

  it('writes every p-value on one line, tiny ones as 1.23e-5', async () => {
    // A narrow window squeezes the table: a p-value still must not break at its "e-".
    const page = await browser.newPage({ viewport: { width: 900, height: 900 } });
    await page.goto(`file://${file}`);
    const cells = await page.$$eval('#features', ([tableNode]) => {
      const headers = [...(tableNode?.querySelectorAll('thead th') ?? [])].map(
        (th) => th.textContent,
      );
      const column = headers.indexOf('p-value');
      return [...(tableNode?.querySelectorAll('tbody tr') ?? [])].map((tr) => {
        const td = tr.querySelectorAll('td')[column];
        const range = tr.ownerDocument.createRange();
        range.selectNodeContents(td ?? tr);
        const lines = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
        return { text: td?.textContent ?? '', lines: lines.size };
      });
    });
    expect(cells).toHaveLength(report.features.length);
    const tiny = cells.filter((cell) => cell.text.includes('e'));
    expect(tiny.length).toBeGreaterThan(0); // the planted drift gives p-values far below 1e-4
    for (const cell of cells) {
      expect(cell.text).toMatch(/^(\d\.\d{4}|\d\.\d{2}e[-+]\d+|-)$/);
      expect(cell).toEqual({ text: cell.text, lines: 1 });
    }
    await page.locator('#features').screenshot({ path: path.join(dir, 'report-pvalues.png') });
  });
});
