// Debian's Chromium (never a downloaded browser), headless, with a fresh profile, and pages that record
// every console error and uncaught page error so a test can assert there were none.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export async function launchBrowser() {
  const profile = mkdtempSync(path.join(os.tmpdir(), 'livegate-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless: true, args: FLAGS, viewport: { width: 1280, height: 900 },
  });
  return {
    context,
    async close() {
      await context.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * A new tab whose console errors, page errors and requests to other hosts are kept in page.problems
 * ({at, kind, text, url}).
 */
export async function openPage(browser, url, viewport) {
  const page = await browser.context.newPage();
  if (viewport) await page.setViewportSize(viewport);
  page.problems = [];
  page.on('console', (message) => {
    if (message.type() === 'error') {
      page.problems.push({ at: Date.now(), kind: 'console', text: message.text(), url: message.location().url });
    }
  });
  page.on('pageerror', (error) => page.problems.push({ at: Date.now(), kind: 'pageerror', text: String(error) }));
  // The jar is self-contained: the page fetches nothing from anywhere but the node that serves it.
  page.on('request', (request) => {
    const target = new URL(request.url());
    if (target.protocol !== 'data:' && target.hostname !== '127.0.0.1') {
      page.problems.push({ at: Date.now(), kind: 'external request', text: request.url() });
    }
  });
  if (url) await page.goto(url);
  return page;
}

/** The end of a suite: the browser, then every node of the cluster (either may not have started). */
export async function closeAll(browser, cluster) {
  if (browser) await browser.close();
  if (cluster) await cluster.stop();
}
