// The stock client alone, from Node (@vertx/eventbus-bridge-client.js over sockjs-client, from npm), against two
// real nodes with a small history (--history-size 10): registerHandler(address, {since, epoch}, handler) after a
// reconnect gets what it missed, in order, then the recovered marker, then live messages; with a since older
// than the history keeps it gets the recovered=false marker first. And live-bus.js over it, in Node.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, describe, it } from 'node:test';
import { startBalancer } from './support/balancer.mjs';
import { planCluster, postJson, startNode } from './support/nodes.mjs';

const require = createRequire(import.meta.url);
const EventBus = require('@vertx/eventbus-bridge-client.js');
const LiveBus = require('../../../../bridge-verticle/src/main/resources/webroot/live-bus.js');

const HISTORY_SIZE = 10;
const ADDRESS = 'chat.stock-client';
const WAIT_MS = 10000;
let cluster, a, b;
const buses = [];

describe('the stock client with since and epoch', () => {
  before(async () => {
    cluster = await planCluster(['stock-a', 'stock-b']);
    [a, b] = cluster.nodes;
    for (const node of cluster.nodes) node.args.push('--history-size', String(HISTORY_SIZE));
    await startNode(a, cluster.scratch);
    await startNode(b, cluster.scratch);
  });

  after(async () => {
    for (const bus of buses) closeQuietly(bus);
    if (cluster) await cluster.stop();
  });

  let last;   // the {offset, epoch} of the last message the client got before it went away

  it('numbers the messages of a history address: offset grows by one, epoch stays', async () => {
    const first = await openBus(a);
    const got = listen(first, ADDRESS);
    // Registrations spread through the cluster asynchronously: publish until one arrives.
    await publishUntilReceived(b, got);
    await publish(b, ['one', 'two', 'three']);
    await waitFor(() => bodies(got).includes('three'), 'the three messages');
    const three = got.messages.slice(-3);
    assert.deepEqual(three.map((m) => m.body.text), ['one', 'two', 'three']);
    const offsets = three.map((m) => Number(m.headers.offset));
    assert.deepEqual(offsets, [offsets[0], offsets[0] + 1, offsets[0] + 2], JSON.stringify(three.map((m) => m.headers)));
    assert.equal(new Set(three.map((m) => m.headers.epoch)).size, 1);
    last = { offset: three[2].headers.offset, epoch: three[2].headers.epoch };
    first.close();
  });

  it('registering with since and epoch on another node replays what it missed, in order, then the marker, then live ones', async () => {
    const missed = await publish(b, ['four', 'five', 'six', 'seven']);
    const since = Number(last.offset);
    assert.deepEqual(missed.map((r) => Number(r.offset)), [since + 1, since + 2, since + 3, since + 4]);

    const again = await openBus(b);
    const got = listen(again, ADDRESS, { since: last.offset, epoch: last.epoch });
    await waitFor(() => got.messages.some(isMarker), 'the recovered marker');
    assert.deepEqual(got.errors, []);
    const markerAt = got.messages.findIndex(isMarker);
    const replayed = got.messages.slice(0, markerAt);
    assert.deepEqual(replayed.map((m) => m.body.text), ['four', 'five', 'six', 'seven']);
    assert.deepEqual(replayed.map((m) => Number(m.headers.offset)), [since + 1, since + 2, since + 3, since + 4]);
    assert.deepEqual(got.messages[markerAt].headers,
      { recovered: 'true', offset: String(since + 4), epoch: last.epoch, replayed: '4' });

    await publish(b, ['eight']);
    await waitFor(() => bodies(got).includes('eight'), 'the live message after the replay');
    const live = got.messages.slice(markerAt + 1);
    assert.deepEqual(live.map((m) => [m.body.text, Number(m.headers.offset)]), [['eight', since + 5]]);
    last = { offset: live[0].headers.offset, epoch: live[0].headers.epoch };
    again.close();
  });

  it('registering with a since older than the history keeps gets recovered=false first, then live ones', async () => {
    const away = await publish(b, Array.from({ length: HISTORY_SIZE + 5 }, (_, i) => `away ${i + 1}`));
    const newest = away.at(-1).offset;

    const late = await openBus(a);
    const got = listen(late, ADDRESS, { since: last.offset, epoch: last.epoch });
    await waitFor(() => got.messages.length > 0, 'the first frame');
    assert.deepEqual(got.messages[0].headers, { recovered: 'false', offset: newest, epoch: last.epoch });
    assert.equal(got.messages[0].body, null);

    await publish(a, ['back']);
    await waitFor(() => bodies(got).includes('back'), 'the live message');
    assert.deepEqual(got.messages.slice(1).map((m) => [m.body.text, m.headers.offset]), [['back', String(Number(newest) + 1)]],
      'nothing of what it missed, only live ones');
    assert.deepEqual(got.errors, []);
    late.close();
  });

  it('a since it cannot serve reaches the handler as an error whose failureType says why; the registration lives on', async () => {
    const bus = await openBus(a);
    const ahead = listen(bus, ADDRESS, { since: String(Number(last.offset) + 1000), epoch: last.epoch });
    const none = listen(bus, 'events.updates', { since: '1', epoch: last.epoch });
    await waitFor(() => ahead.errors.length > 0 && none.errors.length > 0, 'both refusals');
    assert.equal(ahead.errors[0].failureType, 'invalid_since', JSON.stringify(ahead.errors));
    assert.match(ahead.errors[0].message, /ahead/);
    assert.equal(none.errors[0].failureType, 'no_history', JSON.stringify(none.errors));
    await publish(b, ['still live']);
    await waitFor(() => bodies(ahead).includes('still live'), 'a live message on the refused registration');
    bus.close();
  });

  it('live-bus.js over it in Node: a subscription whose socket was cut gets what it missed, then onRecovered', async () => {
    const balancer = await startBalancer([a]);
    const got = { messages: [], errors: [] };
    const outcomes = [];
    const states = [];
    const bus = new LiveBus(`${balancer.url}/eventbus`, { EventBus, minDelayMs: 50, onState: ({ state }) => states.push(state) });
    const address = 'chat.live-bus-in-node';
    bus.subscribe(address, (message) => got.messages.push(message), {
      onRecovered: (info) => outcomes.push(info), onNotRecovered: (info) => outcomes.push(info),
    });
    bus.start();
    try {
      await publishUntilReceived(a, got, address);
      await publish(a, ['before'], address);
      await waitFor(() => bodies(got).includes('before'), 'the message before the cut');

      balancer.hold();
      balancer.cut();
      await waitFor(() => states.at(-1) === 'reconnecting', 'the cut seen');
      await publish(b, ['missed 1', 'missed 2'], address);
      balancer.release();
      await waitFor(() => outcomes.length > 0, 'the recovery');
      assert.deepEqual(outcomes.map((o) => [o.replayed, o.refetched]), [[2, false]], JSON.stringify(outcomes));
      await publish(a, ['after'], address);
      await waitFor(() => bodies(got).includes('after'), 'the live message after the recovery');
      assert.deepEqual(bodies(got).filter((text) => !text.startsWith('probe')), ['before', 'missed 1', 'missed 2', 'after']);
    } finally {
      bus.stop();
      await balancer.close();
    }
    await waitFor(() => states.at(-1) === 'stopped', 'stop() to close the connection');
  });
});

// ---- helpers ------------------------------------------------------------------------------------------

async function openBus(node) {
  const bus = new EventBus(`${node.url}/eventbus`);
  buses.push(bus);
  bus.onerror = () => {};
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the stock client did not open on node ${node.name}`)), WAIT_MS);
    bus.onopen = () => { clearTimeout(timer); resolve(); };
  });
  return bus;
}

/** Every frame the handler gets: messages (markers included) and errors, in order. */
function listen(bus, address, headers = {}) {
  const got = { messages: [], errors: [] };
  bus.registerHandler(address, headers, (error, message) => {
    if (error) got.errors.push(error);
    else got.messages.push(message);
  });
  return got;
}

const isMarker = (message) => message.body === null && message.headers && message.headers.recovered !== undefined;
const bodies = (got) => got.messages.filter((m) => !isMarker(m)).map((m) => m.body.text);

/** Publishes each text in turn through the node's REST API; the 202 answers' {offset, epoch}. */
async function publish(node, texts, address = ADDRESS) {
  const answers = [];
  for (const text of texts) {
    const answer = await postJson(`${node.api}/api/publish/${address}`, { text });
    assert.equal(answer.status, 202, JSON.stringify(answer.body));
    answers.push(answer.body);
  }
  return answers;
}

async function publishUntilReceived(node, got, address = ADDRESS) {
  for (let i = 0; i < 50; i++) {
    await publish(node, [`probe ${i}`], address);
    const arrived = await waitFor(() => bodies(got).includes(`probe ${i}`), 'a probe', 200).then(() => true, () => false);
    if (arrived) return;
  }
  throw new Error(`${address} never reached the client`);
}

async function waitFor(condition, what, timeoutMs = WAIT_MS) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function closeQuietly(bus) {
  try { bus.close(); } catch (e) { /* closed already */ }
}
