// The README's live-bus.js example ("Live data in your own page"), as written, in real headless Chromium: one node
// behind the test balancer stands for the README's node (its URL for http://127.0.0.1:8080), and the page is the
// README's HTML served on that origin. It logs what is published on chat.lobby, and after its socket is cut and
// lines are published meanwhile, logs them once each, in order, and then how many were replayed.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startBalancer } from './support/balancer.mjs';
import { closeAll, launchBrowser, openPage } from './support/browser.mjs';
import { planCluster, postJson, sleep, startNode } from './support/nodes.mjs';

const README = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../README.md');
const README_NODE = 'http://127.0.0.1:8080';

/** The HTML block of the README's section on live-bus.js; the test fails if the README no longer has one. */
function readmeExample() {
  const readme = readFileSync(README, 'utf8');
  const section = readme.split('\n## ').find((s) => s.startsWith('Live data in your own page'));
  assert.ok(section, 'the README has a section "Live data in your own page"');
  const html = /```html\n([\s\S]*?)```/.exec(section);
  assert.ok(html, 'that section shows its page as an html block');
  assert.ok(html[1].includes(README_NODE), `the example names the README's node, ${README_NODE}`);
  return html[1];
}

describe('the README\'s live-bus.js example', () => {
  let cluster, node, balancer, browser;
  before(async () => {
    cluster = await planCluster(['readme']);
    [node] = cluster.nodes;
    try {
      await startNode(node, cluster.scratch);
      balancer = await startBalancer([node]);
      browser = await launchBrowser();
    } catch (e) {
      await stop();
      throw e;
    }
  });

  after(() => stop());

  async function stop() {
    if (balancer) await balancer.close();
    await closeAll(browser, cluster);
  }

  it('runs as written: live lines, then after a cut the missed ones once each, in order, and the count', async () => {
    const html = readmeExample().replaceAll(README_NODE, balancer.url);
    const page = await openPage(browser);
    await page.route(`${balancer.url}/readme-example.html`, (route) =>
      route.fulfill({ status: 200, contentType: 'text/html', body: html }));
    // In the order logged: each value is read from the page asynchronously, so its promise is kept, not its value.
    const logging = [];
    page.on('console', (message) => {
      if (message.type() !== 'log') return;
      const args = message.args();
      logging.push(args.length ? args[0].jsonValue() : Promise.resolve(message.text()));
    });
    const loggedSoFar = () => Promise.all(logging);
    await page.goto(`${balancer.url}/readme-example.html`);

    // Live once a publication reaches the page (the subscription is made after the socket opens).
    for (let i = 1; !(await loggedSoFar()).some((l) => l?.text?.startsWith('live ')); i++) {
      assert.ok(i <= 100, `the page logged no live line within 10 s: ${JSON.stringify(await loggedSoFar())}`);
      assert.equal((await postJson(`${node.api}/api/publish/chat.lobby`, { text: `live ${i}` })).status, 202);
      await sleep(100);
    }

    const missed = ['missed 1', 'missed 2', 'missed 3'];
    balancer.hold();
    try {
      balancer.cut();
      for (const text of missed) {
        assert.equal((await postJson(`${node.api}/api/publish/chat.lobby`, { text })).status, 202);
      }
    } finally {
      balancer.release();
    }
    const back = `back: ${missed.length} missed lines replayed`;
    const deadline = Date.now() + 20000;   // the backoff's longest wait (10 s) and the time to connect
    let logged = await loggedSoFar();
    while (!logged.includes(back)) {
      assert.ok(Date.now() < deadline, `no "${back}" within 20 s: ${JSON.stringify(logged)}`);
      await sleep(100);
      logged = await loggedSoFar();
    }
    const afterLive = logged.slice(logged.findIndex((l) => l?.text?.startsWith('live ')));
    const lines = afterLive.map((l) => (typeof l === 'string' ? l : l.text)).filter((l) => !l.startsWith('live '));
    assert.deepEqual(lines, [...missed, back], 'each missed line once, in order, then the count');
    assert.deepEqual(page.problems.filter((p) => p.kind === 'pageerror'), []);
  });
});
