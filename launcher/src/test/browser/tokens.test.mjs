// The dashboard on a node that lets no browser in without a token (--anonymous false, HS256 tokens): with
// ?token=... in its address the page is live; without, it is told why and never shows scores.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { launchBrowser, openPage } from './support/browser.mjs';
import { planCluster, startNode } from './support/nodes.mjs';

const SECRET = 'a-browser-test-secret-of-at-least-32-characters';
let cluster, node, browser;

/** An HS256 JWT, made here as any service would make one. */
function token(claims) {
  const part = (json) => Buffer.from(JSON.stringify(json)).toString('base64url');
  const unsigned = `${part({ alg: 'HS256', typ: 'JWT' })}.${part(claims)}`;
  return `${unsigned}.${createHmac('sha256', SECRET).update(unsigned).digest('base64url')}`;
}

describe('the dashboard with tokens required', () => {
  before(async () => {
    cluster = await planCluster(['tokens']);
    [node] = cluster.nodes;
    node.args.push('--jwt-secret', SECRET, '--anonymous', 'false');
    await startNode(node, cluster.scratch);
    browser = await launchBrowser();
  });

  after(async () => {
    if (browser) await browser.close();
    if (cluster) await cluster.stop();
  });

  it('is live with a token that grants what it uses, and shows five events', async () => {
    const granted = token({
      sub: 'viewer', exp: Math.floor(Date.now() / 1000) + 600,
      channels: { subscribe: ['events\\.updates', 'chat\\..+'], publish: ['events\\.snapshot', 'chat\\..+'] },
    });
    const page = await openPage(browser, `${node.url}/?token=${encodeURIComponent(granted)}`);
    await page.waitForFunction(() => document.querySelectorAll('#events tr[data-id]').length === 5, null, { timeout: 5000 });
    await page.waitForFunction(() => document.getElementById('status').dataset.state === 'live', null, { timeout: 5000 });
    await page.waitForFunction(() => /^\d+ ms$/.test(document.getElementById('rtt').textContent), null, { timeout: 7000 });
    assert.deepEqual(page.problems, []);
  });

  it('without a token is never live and shows no scores', async () => {
    const page = await openPage(browser, `${node.url}/`);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    assert.equal(await page.evaluate(() => document.querySelectorAll('#events tr[data-id]').length), 0);
    assert.notEqual(await page.evaluate(() => document.getElementById('status').dataset.state), 'live');
  });
});
