// The dashboard's chat in real headless Chromium across reconnects, over live-bus.js and the history of
// chat.lobby: two real nodes (A and B, --history-size 60) behind a balancer that sends each connection to the
// first node that accepts it. The tests run in order and share the cluster and the page; the first kills node A.
// Then one node whose history keeps lines for 2 s only (--history-ttl-ms), for a page that finds nothing to re-fetch.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, describe, it } from 'node:test';
import { startBalancer } from './support/balancer.mjs';
import { launchBrowser, openPage } from './support/browser.mjs';
import { getJson, killNode, planCluster, postJson, startNode } from './support/nodes.mjs';

const EventBus = createRequire(import.meta.url)('@vertx/eventbus-bridge-client.js');
const HISTORY_SIZE = 60;
const HISTORY_TTL_MS = 2000;
const REFETCHED = 50;   // dashboard.js: CHAT_REFETCH_LINES
let balancer, browser, page;   // of the describe block running
const away = [];   // {from, to} of the times the test held the page away: refused connections are expected then

describe('the dashboard\'s chat across reconnects', () => {
  let cluster, a, b;
  before(async () => {
    cluster = await serve(['history-a', 'history-b'], ['--history-size', String(HISTORY_SIZE)]);
    [a, b] = cluster.nodes;
  });

  after(() => stopServing(cluster));

  it('shows the lines published while its node was killed once each, in order, and how many it recovered', async () => {
    page = await openPage(browser, balancer.url + '/');
    await waitServedBy(page, a);
    await publishUntilSeen(b, page);
    await publish(b, ['before 1', 'before 2']);
    await waitForChat(page, 'before 2');

    const missed = ['missed 1', 'missed 2', 'missed 3', 'missed 4', 'missed 5'];
    await whileAway(async () => {
      await killNode(a);
      await waitNotLive(page);
      const answers = await publish(b, missed);
      assert.ok(answers.every((answer) => answer.offset !== undefined), 'chat.lobby keeps a history');
    });
    await waitServedBy(page, b);
    const note = await waitForRecovery(page, 'recovered');
    assert.deepEqual(note, { count: '5', text: 'Reconnected: recovered 5 lines sent meanwhile.' });

    await publish(b, ['after 1']);
    await waitForChat(page, 'after 1');
    assert.deepEqual(await chatLines(page, /^(before|missed|after) /),
      ['before 1', 'before 2', ...missed, 'after 1'], 'each line once, in order');
    assert.equal(await page.locator('#chat-log .gap').count(), 0);
    assertNoProblems();
  });

  it('away longer than the history keeps (its socket cut): says so, re-fetches the last lines, each once, in order', async () => {
    const sent = Array.from({ length: HISTORY_SIZE + 20 }, (_, i) => `away ${i + 1}`);
    await whileAway(async () => {
      balancer.cut();
      await waitNotLive(page);
      await publish(b, sent);
    });
    const note = await waitForRecovery(page, 'refetched');
    assert.deepEqual(note, { count: String(REFETCHED), text: `Away too long: re-fetched the last ${REFETCHED} lines.` });

    await publish(b, ['after 2']);
    await waitForChat(page, 'after 2');
    const shown = await chatLines(page, /^(after|away) |^GAP$/);
    assert.deepEqual(shown, ['after 1', 'GAP', ...sent.slice(-REFETCHED), 'after 2'],
      'the gap, then the last lines kept, each once, in order');
    assertNoProblems();
  });
});

describe('the dashboard\'s chat with a history that keeps lines for 2 s', () => {
  let cluster, node;
  before(async () => {
    cluster = await serve(['history-ttl'], ['--history-ttl-ms', String(HISTORY_TTL_MS)]);
    [node] = cluster.nodes;
  });

  after(() => stopServing(cluster));

  it('away longer than the history keeps anything: marks the gap, finds nothing to re-fetch and says lines were missed', async () => {
    page = await openPage(browser, balancer.url + '/');
    await waitLive(page);
    await publishUntilSeen(node, page);
    const [seen] = await publish(node, ['seen before']);
    await waitForChat(page, 'seen before');

    await whileAway(async () => {
      balancer.cut();
      await waitNotLive(page);
      await publish(node, ['expired 1', 'expired 2']);
      await untilNotKept(node, seen);
    });
    const note = await waitForRecovery(page, 'missed');
    assert.deepEqual(note, { count: '0', text: 'Lines sent while away were missed: the chat no longer keeps them.' });

    await publish(node, ['after the gap']);
    await waitForChat(page, 'after the gap');
    assert.deepEqual(await chatLines(page, /^(seen|expired|after) |^GAP$/), ['seen before', 'GAP', 'after the gap']);
    assertNoProblems();
  });
});

// ---- helpers ------------------------------------------------------------------------------------------

/** Nodes with these settings, started one after the other (else each forms a cluster of its own), behind a balancer. */
async function serve(names, settings) {
  const cluster = await planCluster(names);
  try {
    for (const node of cluster.nodes) {
      node.args.push(...settings);
      await startNode(node, cluster.scratch);
    }
    balancer = await startBalancer(cluster.nodes);
    browser = await launchBrowser();
  } catch (e) {
    await stopServing(cluster);   // a node that did not start must not leave the others running (nor this run hanging)
    throw e;
  }
  return cluster;
}

async function stopServing(cluster) {
  if (browser) await browser.close();
  if (balancer) await balancer.close();
  if (cluster) await cluster.stop();
}

/** Holds new connections off while `during` runs (the page cannot come back early), then lets it back. */
async function whileAway(during) {
  const span = { from: Date.now(), to: Infinity };
  away.push(span);
  balancer.hold();
  try {
    await during();
  } finally {
    balancer.release();
  }
  await waitLive(page, 15000);   // the longest wait the backoff allows (10 s) plus the time to connect
  span.to = Date.now();
}

/** Console errors other than the page's refused attempts while it was held away. */
function assertNoProblems() {
  const unexpected = page.problems.filter((p) => !away.some((w) => p.at >= w.from && p.at <= w.to && isRefusedAttempt(p)));
  assert.deepEqual(unexpected, [], 'no console errors or page errors');
}

function isRefusedAttempt(problem) {
  return problem.kind === 'console'
    && ((/^Failed to load resource: net::ERR_[A-Z_]+$/.test(problem.text) && problem.url.startsWith(`${balancer.url}/eventbus/`))
      || problem.text.startsWith(`WebSocket connection to '${balancer.url.replace('http', 'ws')}/eventbus/`));
}

/**
 * Waits until the node's history no longer has what came after `since` ({offset, epoch} of a publication): asked
 * with the stock client, as a page would ask, until the answer is recovered=false.
 */
async function untilNotKept(node, since) {
  const deadline = Date.now() + 10000;
  while (Date.now() < deadline) {
    const bus = new EventBus(`${node.url}/eventbus`);
    const recovered = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no recovery marker within 5 s')), 5000);
      bus.onopen = () => bus.registerHandler('chat.lobby', { since: since.offset, epoch: since.epoch }, (error, message) => {
        if (error || message.body !== null || !message.headers.recovered) return;
        clearTimeout(timer);
        resolve(message.headers.recovered);
      });
    }).finally(() => bus.close());
    if (recovered === 'false') return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`the history still keeps chat.lobby after offset ${since.offset}`);
}

async function publish(node, texts) {
  const answers = [];
  for (const text of texts) {
    const answer = await postJson(`${node.api}/api/publish/chat.lobby`, { from: 'ops', text });
    assert.equal(answer.status, 202, JSON.stringify(answer.body));
    answers.push(answer.body);
  }
  return answers;
}

/** Registrations spread through the cluster asynchronously: publish until the page has seen one. */
async function publishUntilSeen(node, target) {
  for (let i = 0; i < 50; i++) {
    const probe = `probe ${i}`;
    await publish(node, [probe]);
    const seen = await waitForChat(target, probe, 200).then(() => true, () => false);
    if (seen) return;
  }
  throw new Error('chat.lobby never reached the page');
}

async function waitServedBy(target, node) {
  await waitLive(target, 15000);
  const id = await nodeId(node);
  await target.waitForFunction((want) => document.getElementById('node').textContent === want, id, { timeout: 10000 });
}

async function nodeId(node) {
  const nodes = await getJson(`${node.api}/api/cluster/nodes`);
  const self = nodes.find((n) => n.bridgePort === node.bridgePort);
  assert.ok(self, `node with bridge port ${node.bridgePort} in ${JSON.stringify(nodes)}`);
  return self.id;
}

async function waitLive(target, timeout = 10000) {
  await target.waitForFunction(() => document.getElementById('status').dataset.state === 'live', null, { timeout });
}

async function waitNotLive(target) {
  await target.waitForFunction(() => document.getElementById('status').dataset.state !== 'live', null, { timeout: 10000 });
}

async function waitForRecovery(target, outcome) {
  await target.waitForFunction((want) => document.getElementById('chat-recovery').dataset.outcome === want, outcome,
    { timeout: 15000 });
  return target.$eval('#chat-recovery', (note) => ({ count: note.dataset.count, text: note.textContent.trim() }));
}

async function waitForChat(target, text, timeout = 5000) {
  await target.waitForFunction((want) => [...document.querySelectorAll('#chat-log li .text')].some((t) => t.textContent === want),
    text, { timeout });
}

/** The chat log's lines whose text matches, in the order shown; a gap shows as 'GAP'. */
async function chatLines(target, pattern) {
  const shown = await target.$$eval('#chat-log li', (items) => items.map((li) =>
    li.classList.contains('gap') ? 'GAP' : (li.querySelector('.text') || li).textContent));
  return shown.filter((line) => pattern.test(line));
}
