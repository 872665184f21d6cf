import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { loadConfig } from '../../src/config/config.js';
import { runDemo } from '../../src/demo/runDemo.js';
import type { Service } from '../../src/main.js';
import { REPO_ROOT } from './cli.js';

/** Debian's chromium (installed by test/prerequisites.mjs), found on the PATH. */
function chromiumPath(): string {
  return execFileSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim();
}

/** The browser tests' chromium: headless, no sandbox (root in CI), no network of its own. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  });
}

/**
 * The service holding the demo's data (3 hours, repo monitors/), with tokens required. The
 * drift lasts to the end, so its alerts are still open when the test starts.
 */
export async function startDemoService(
  dataDir: string,
  tokens: { line: string }[],
  ingestToken: string,
): Promise<Service> {
  const config = loadConfig({
    DRIFTWATCH_DATA_DIR: dataDir,
    DRIFTWATCH_PORT: '0',
    DRIFTWATCH_MONITORS_DIR: path.join(REPO_ROOT, 'monitors'),
    DRIFTWATCH_TOKENS: tokens.map((token) => token.line).join(','),
  });
  const { service } = await runDemo(config, {
    hours: 3,
    eventsPerHour: 1200,
    liveSeconds: 0,
    print: () => undefined,
    ingestToken,
    driftToEnd: true,
  });
  return service;
}
