// The dashboard in real headless Chromium, against two real nodes (A and B) started from the built jar.
// The tests run in order and share the cluster; the last one stops and restarts node A.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { closeAll, launchBrowser, openPage } from './support/browser.mjs';
import { getJson, planCluster, postJson, sleep, startInOrder, startNode, stopNode, targetDir } from './support/nodes.mjs';

let cluster, a, b, browser;
let pageA, pageB;   // pages served by node A and node B that the tests share
const pages = [];

describe('the dashboard', () => {
  before(async () => {
    cluster = await planCluster(['a', 'b']);
    [a, b] = cluster.nodes;
    await startInOrder(cluster, [a, b]);
    browser = await launchBrowser();
  });

  after(() => closeAll(browser, cluster));

  it('served by node A shows five events within 2 s, a score change within 10 s, live, and a ping round trip', async () => {
    const page = pageA = await open();
    const loadStarted = Date.now();
    await page.goto(a.url + '/');
    await page.waitForFunction(() => document.querySelectorAll('#events tr[data-id]').length === 5, null, { timeout: 2000 });
    assert.ok(Date.now() - loadStarted <= 2000, 'five events within 2 s of loading');
    const first = await shownEvents(page);
    assert.deepEqual(first.map((e) => e.id), ['EVENT#00', 'EVENT#01', 'EVENT#02', 'EVENT#03', 'EVENT#04']);

    await page.waitForFunction((before) => [...document.querySelectorAll('#events tr[data-id]')]
      .some((row) => row.querySelector('.score').textContent !== before[row.dataset.id]),
    Object.fromEntries(first.map((e) => [e.id, e.score])), { timeout: 10000 });

    const status = await statusOf(page);
    assert.equal(status.state, 'live');
    assert.match(status.text, /^Live$/);
    await page.waitForFunction(() => /^\d+ ms$/.test(document.getElementById('rtt').textContent), null, { timeout: 6000 });
    assert.equal(await text(page, '#node'), await nodeIdServing(a), 'the page names the node that serves it');
    assert.equal(await text(page, '#transport'), 'websocket');

    const pingsBefore = Number(await text(page, '#received'));
    await page.getByRole('button', { name: 'Send PING' }).click();
    await page.waitForFunction((n) => Number(document.getElementById('received').textContent) > n, pingsBefore);

    const phone = await open(a.url + '/', { width: 390, height: 844 });
    await phone.waitForFunction(() => document.querySelectorAll('#events tr[data-id]').length === 5);
    await phone.waitForFunction(() => /^\d+ ms$/.test(document.getElementById('rtt').textContent));
    assert.ok(await phone.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth),
      'no sideways scrolling at phone width');
    await phone.screenshot({ path: path.join(targetDir, 'dashboard-phone.png'), fullPage: true });
    await phone.close();
    assertNoProblems();
  });

  it('works from the keyboard alone: Tab to the ping button and Enter, Tab to the labelled chat input and Enter', async () => {
    const page = pageA;
    await page.focus('body');
    const receivedBefore = Number(await text(page, '#received'));
    await tabTo(page, 'send-ping');
    await page.keyboard.press('Enter');
    await page.waitForFunction((n) => Number(document.getElementById('received').textContent) > n, receivedBefore);

    await tabTo(page, 'chat-text');
    assert.match(await text(page, 'label[for=chat-text]'), /^Message as guest-/);
    await page.keyboard.type('typed without a mouse');
    await page.keyboard.press('Enter');
    await waitForChat(page, 'typed without a mouse');
    assertNoProblems();
  });

  it('shows on a page of node A a chat message published through node B\'s REST API, and carries typed lines between pages on A and B', async () => {
    pageB = await open(b.url + '/');
    await waitLive(pageB);
    // Registrations spread through the cluster asynchronously: publish until both pages have seen one.
    await publishUntilSeen(b, [pageA, pageB]);

    const published = await postJson(`${b.api}/api/publish/chat.lobby`, { from: 'ops', text: 'kick-off in 5 minutes' });
    assert.equal(published.status, 202);
    await waitForChat(pageA, 'kick-off in 5 minutes');
    await postJson(`${b.api}/api/publish/chat.lobby`, { headline: 'not a chat line' });
    await waitForChat(pageA, '{"headline":"not a chat line"}');

    const nameA = await text(pageA, '#chat-name');
    await pageA.getByLabel(/Message as/).fill('hello from a page on node A');
    await pageA.keyboard.press('Enter');
    const lineOnB = await waitForChat(pageB, 'hello from a page on node A');
    assert.match(lineOnB, new RegExp(`^${nameA}`));

    await pageB.getByLabel(/Message as/).fill('and hello back from node B');
    await pageB.getByRole('button', { name: 'Send', exact: true }).click();
    await waitForChat(pageA, 'and hello back from node B');
    assert.equal(await countChat(pageA, 'hello from a page on node A'), 1, 'a page shows its own line once');
    await pageA.screenshot({ path: path.join(targetDir, 'dashboard.png'), fullPage: true });
    assertNoProblems();
  });

  it('shows who is in the chat, live on every node: pages on A and B see each other, and one closing is seen by the other', async () => {
    const onA = await open(a.url + '/');
    const onB = await open(b.url + '/');
    await waitLive(onA);
    await waitLive(onB);
    const nameOnA = await text(onA, '#chat-name');
    const nameOnB = await text(onB, '#chat-name');
    await onA.waitForFunction((name) => [...document.querySelectorAll('#chat-people li')].map((li) => li.textContent).includes(name), nameOnB, { timeout: 10000 });
    await onB.waitForFunction((name) => [...document.querySelectorAll('#chat-people li')].map((li) => li.textContent).includes(name), nameOnA, { timeout: 10000 });
    assert.ok((await peopleOn(onA)).includes(nameOnA), 'a page shows itself too');
    assert.match(await text(onA, '#chat-here'), /^\d+ here$/);
    const before = Number((await text(onA, '#chat-here')).split(' ')[0]);
    assert.equal(before, (await peopleOn(onA)).length, 'the count is of the names shown');

    await onB.close();
    await onA.waitForFunction((name) => ![...document.querySelectorAll('#chat-people li')].map((li) => li.textContent).includes(name), nameOnB, { timeout: 10000 });
    assert.equal(Number((await text(onA, '#chat-here')).split(' ')[0]), before - 1);
    await onA.close();
    assertNoProblems();
  });

  for (const transports of ['xhr-streaming,xhr-polling', 'xhr-polling']) {
    it(`gets updates with the WebSocket transport disabled (transports=${transports})`, async () => {
      const page = await open(`${a.url}/?transports=${transports}`);
      const websockets = [];
      page.on('websocket', (ws) => websockets.push(ws.url()));
      await waitLive(page);
      assert.equal(await text(page, '#transport'), transports.split(',')[0]);
      await page.waitForFunction(() => document.querySelectorAll('#events tr[data-id]').length === 5);
      const first = await shownEvents(page);
      await page.waitForFunction((before) => [...document.querySelectorAll('#events tr[data-id]')]
        .some((row) => Number(row.querySelector('.version').textContent) > before[row.dataset.id]),
      Object.fromEntries(first.map((e) => [e.id, e.version])), { timeout: 10000 });
      await page.waitForFunction(() => /^\d+ ms$/.test(document.getElementById('rtt').textContent), null, { timeout: 6000 });
      assert.deepEqual(websockets, [], 'no WebSocket was opened');
      await page.close();
      assertNoProblems();
    });
  }

  it('lets the stock client get replies and err frames from the bridge', async () => {
    const page = pageA;
    const replyTo = page.evaluate(() => new Promise((resolve, reject) => {
      const bus = new EventBus('/eventbus');
      const results = { bridgeErrors: [] };
      bus.onerror = (frame) => results.bridgeErrors.push(frame);
      bus.onopen = () => {
        bus.registerHandler('chat.replyme', (err, message) => message.reply({ answeredBy: 'the page', got: message.body }));
        bus.registerHandler('gateway.internal.secret', () => {});
        bus.send('events.snapshot', null, (err, message) => { results.snapshot = err || message.body; });
        bus.send('bridge.ping', null, (err, message) => { results.pong = err || message.body; });
        bus.send('chat.nobody-listens', { q: 1 }, (err, message) => { results.noHandlers = err || message; });
        bus.publish('not.permitted', {});
        window.__replyBus = { bus, results };
        setTimeout(() => resolve(true), 300);
      };
      setTimeout(() => reject(new Error('the stock client did not open')), 5000);
    }));
    await replyTo;
    // A service's request through node B reaches the page on node A, and the page's reply comes back.
    await sleep(300);
    const reply = await postJson(`${b.api}/api/send/chat.replyme?timeout=3000`, { question: 'score?' });
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    assert.deepEqual(reply.body, { answeredBy: 'the page', got: { question: 'score?' } });

    const results = await page.evaluate(() => window.__replyBus.results);
    await page.evaluate(() => window.__replyBus.bus.close());
    assert.equal(results.snapshot.length, 5);
    assert.equal(results.pong.type, 'PONG');
    assert.equal(typeof results.pong.serverTime, 'number');
    assert.equal(results.pong.node, await nodeIdServing(a));
    assert.equal(results.noHandlers.failureType, 'NO_HANDLERS', JSON.stringify(results.noHandlers));
    assert.deepEqual(results.bridgeErrors.map((f) => [f.type, f.body]),
      [['err', 'access_denied'], ['err', 'access_denied']], JSON.stringify(results.bridgeErrors));
    assertNoProblems();
  });

  it('survives losing node A: reconnecting with growing delays (offline without network), then by itself current scores, counters going on, queued chat sent', async () => {
    const page = pageA;
    pageB = pageB || await open(b.url + '/');
    await waitLive(page);
    await waitLive(pageB);
    const before = Object.fromEntries((await shownEvents(page)).map((e) => [e.id, e.version]));
    const receivedBefore = Number(await text(page, '#received'));
    const oldNodeId = await text(page, '#node');
    await page.evaluate(() => {
      window.__states = [];
      new MutationObserver(() => {
        const s = document.getElementById('status');
        window.__states.push({ state: s.dataset.state, attempt: Number(s.dataset.attempt), delayMs: s.dataset.delayMs, at: Date.now() });
      }).observe(document.getElementById('status'), { attributes: true, attributeFilter: ['data-delay-ms', 'data-state', 'data-attempt'] });
    });

    const downAt = Date.now();
    await stopNode(a);
    await page.waitForFunction(() => window.__states.filter((s) => s.state === 'reconnecting' && s.delayMs).length >= 3,
      null, { timeout: 15000 });
    const waits = (await page.evaluate(() => window.__states)).filter((s) => s.state === 'reconnecting' && s.delayMs);
    assert.deepEqual(waits.slice(0, 3).map((s) => s.attempt), [1, 2, 3]);
    const delays = waits.map((s) => Number(s.delayMs));
    assert.ok(delays[0] >= 500 && delays[0] <= 1000, `first delay ${delays[0]} ms`);
    assert.ok(delays[1] > delays[0] && delays[2] > delays[1], `delays grow: ${delays}`);
    assert.match(await text(page, '#status'), /^Reconnecting — attempt \d+, (next try in \d+\.\d s|trying now…)$/);

    // The browser loses the network: no more tries until it is back, then at once.
    await browser.context.setOffline(true);
    await page.waitForFunction(() => document.getElementById('status').dataset.state === 'offline', null, { timeout: 3000 });
    assert.match(await text(page, '#status'), /^Offline — /);
    await browser.context.setOffline(false);
    await page.waitForFunction(() => document.getElementById('status').dataset.state === 'reconnecting', null, { timeout: 3000 });

    await page.getByLabel(/Message as/).fill('typed while node A was down');
    await page.keyboard.press('Enter');
    assert.equal(await text(page, '#outbox-list'), 'typed while node A was down');
    await page.screenshot({ path: path.join(targetDir, 'dashboard-reconnecting.png'), fullPage: true });

    await startNode(a, cluster.scratch);
    // The longest wait the backoff allows (10 s) plus the time to connect.
    await waitLive(page, 15000);
    const liveAgainAt = Date.now();
    const newNodeId = await nodeIdServing(a);
    assert.notEqual(newNodeId, oldNodeId);
    await page.waitForFunction((id) => document.getElementById('node').textContent === id, newNodeId, { timeout: 6000 });
    await page.waitForFunction((old) => [...document.querySelectorAll('#events tr[data-id]')]
      .every((row) => Number(row.querySelector('.version').textContent) > old[row.dataset.id]), before, { timeout: 3000 });
    const current = Object.fromEntries((await getJson(`${b.api}/events`)).map((e) => [e.id, e.version]));
    await page.waitForFunction((rest) => [...document.querySelectorAll('#events tr[data-id]')]
      .every((row) => Number(row.querySelector('.version').textContent) >= rest[row.dataset.id]), current, { timeout: 3000 });
    assert.ok(Number(await text(page, '#received')) > receivedBefore, 'the message counter goes on');
    assert.equal(await text(page, '#reconnects'), '1');
    await waitForChat(pageB, 'typed while node A was down');
    assert.equal(await page.isHidden('#outbox'), true);

    // Chromium logs the refused connections while A is down; nothing else may appear.
    assertNoProblems((problem) => problem.at >= downAt && problem.at <= liveAgainAt && isRefusedConnection(problem));
  });
});

// ---- helpers ------------------------------------------------------------------------------------------

async function open(url = null, viewport = undefined) {
  const page = await openPage(browser, url, viewport);
  pages.push(page);
  return page;
}

function assertNoProblems(allowed = () => false) {
  const problems = pages.flatMap((page) => page.problems.filter((p) => !allowed(p)).map((p) => ({ page: page.url(), ...p })));
  assert.deepEqual(problems, [], 'no console errors or page errors');
}

/**
 * SockJS's first request of each attempt, GET /eventbus/info, refused while node A is down (or offline); and the cluster
 * panel's GET /cluster, if it was on its way as A went.
 */
function isRefusedConnection(problem) {
  return problem.kind === 'console'
    && /^Failed to load resource: net::ERR_(CONNECTION_REFUSED|INTERNET_DISCONNECTED)$/.test(problem.text)
    && (problem.url.startsWith(`http://127.0.0.1:${a.bridgePort}/eventbus/info?`)
      || problem.url === `http://127.0.0.1:${a.bridgePort}/cluster`);
}

async function nodeIdServing(node) {
  const nodes = await getJson(`${node.api}/api/cluster/nodes`);
  const self = nodes.find((n) => n.bridgePort === node.bridgePort);
  assert.ok(self, `node with bridge port ${node.bridgePort} in ${JSON.stringify(nodes)}`);
  return self.id;
}

async function shownEvents(page) {
  return page.$$eval('#events tr[data-id]', (rows) => rows.map((row) => ({
    id: row.dataset.id,
    score: row.querySelector('.score').textContent,
    version: Number(row.querySelector('.version').textContent),
  })));
}

async function statusOf(page) {
  return page.$eval('#status', (s) => ({ state: s.dataset.state, text: s.textContent.replace(/\s+/g, ' ').trim() }));
}

async function text(page, selector) {
  return (await page.textContent(selector)).replace(/\s+/g, ' ').trim();
}

async function tabTo(page, id) {
  for (let i = 0; i < 15; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate((want) => document.activeElement.id === want, id)) return;
  }
  assert.fail(`Tab never reached #${id}`);
}

async function waitLive(page, timeout = 10000) {
  await page.waitForFunction(() => document.getElementById('status').dataset.state === 'live', null, { timeout });
}

async function waitForChat(page, needle) {
  const line = await page.waitForFunction((n) => [...document.querySelectorAll('#chat-log li')]
    .map((li) => li.textContent.replace(/\s+/g, ' ').trim()).find((t) => t.includes(n)), needle, { timeout: 5000 });
  return line.jsonValue();
}

async function countChat(page, needle) {
  return page.$$eval('#chat-log li', (items, n) => items.filter((li) => li.textContent.includes(n)).length, needle);
}

async function publishUntilSeen(node, targets) {
  for (let i = 0; i < 50; i++) {
    const probe = `probe ${i}`;
    await postJson(`${node.api}/api/publish/chat.lobby`, { from: 'test', text: probe });
    await sleep(100);
    const seen = await Promise.all(targets.map((p) => countChat(p, probe)));
    if (seen.every((n) => n > 0)) return;
  }
  throw new Error('chat.lobby never reached every page');
}

/** The names a page shows in the chat's presence list. */
async function peopleOn(page) {
  return page.$$eval('#chat-people li', (items) => items.map((li) => li.textContent));
}
