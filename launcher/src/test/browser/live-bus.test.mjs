// live-bus.js on its own, in Node, over a stand-in for the stock client that records the frames LiveBus sends
// and lets a test hand it the frames a bridge would: what it registers on each connection, what it delivers,
// drops and reports. The real bridge never sends a frame twice, so its defence against that is tested here;
// history.test.mjs runs the library against real nodes.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';

const require = createRequire(import.meta.url);
const LiveBus = require('../../../../bridge-verticle/src/main/resources/webroot/live-bus.js');

/** The stock client's surface that LiveBus uses; `buses` holds every one created, the last is current. */
class StockClientStandIn {
  static OPEN = 1;
  static CLOSED = 3;
  static buses = [];

  constructor(url) {
    this.url = url;
    this.state = 0;
    this.handlers = {};
    this.sent = [];   // register and unregister frames, as the stock client would send them
    StockClientStandIn.buses.push(this);
  }

  registerHandler(address, headers, callback) {
    if (this.state !== StockClientStandIn.OPEN) throw new Error('INVALID_STATE_ERR');
    if (!this.handlers[address]) {
      this.handlers[address] = [];
      this.sent.push({ type: 'register', address, headers });
    }
    this.handlers[address].push(callback);
  }

  unregisterHandler(address, headers, callback) {
    const handlers = this.handlers[address] || [];
    handlers.splice(handlers.indexOf(callback), 1);
    if (handlers.length === 0) {
      delete this.handlers[address];
      this.sent.push({ type: 'unregister', address });
    }
  }

  publish() {}
  enableReconnect() {}
  close() { this.lose(); }

  // what the test does as the bridge and the network
  open() {
    this.state = StockClientStandIn.OPEN;
    this.onopen();
  }

  lose() {
    this.state = StockClientStandIn.CLOSED;
    this.handlers = {};
    this.onclose();
  }

  /** A rec frame (or an err frame: {error}) for the address, as the stock client passes it on. */
  deliver(address, frame) {
    const handlers = this.handlers[address];
    if (!handlers) {
      this.onunhandled({ type: 'rec', address, ...frame });
      return;
    }
    for (const handler of [...handlers]) {
      if (frame.error) handler(frame.error);
      else handler(null, { type: 'rec', address, headers: frame.headers || {}, body: frame.body });
    }
  }
}

const rec = (offset, body, epoch = 'e1') => ({ headers: { offset: String(offset), epoch }, body });
const marker = (recovered, offset, extra = {}) =>
  ({ body: null, headers: { recovered: String(recovered), offset: String(offset), epoch: 'e1', ...extra } });

/** A LiveBus over the stand-in, opened; reconnect() loses the socket and resolves once the next one is open. */
function openBus(options = {}) {
  StockClientStandIn.buses.length = 0;
  const bus = new LiveBus('/eventbus', { EventBus: StockClientStandIn, minDelayMs: 1, maxDelayMs: 2, ...options });
  bus.start();
  current().open();
  return bus;
}

const current = () => StockClientStandIn.buses.at(-1);

async function reconnect() {
  const before = StockClientStandIn.buses.length;
  current().lose();
  while (StockClientStandIn.buses.length === before) await new Promise((resolve) => setTimeout(resolve, 1));
  current().open();
}

describe('live-bus.js', () => {
  it('registers a subscription again on every connection, with since and epoch once it has seen an offset', async () => {
    const bus = openBus();
    const got = [];
    bus.subscribe('chat.x', (message) => got.push(message.body));
    assert.deepEqual(current().sent, [{ type: 'register', address: 'chat.x', headers: {} }]);
    current().deliver('chat.x', rec(7, 'seven'));

    await reconnect();
    assert.deepEqual(current().sent, [{ type: 'register', address: 'chat.x', headers: { since: '7', epoch: 'e1' } }]);
    current().deliver('chat.x', rec(8, 'eight'));
    await reconnect();
    assert.deepEqual(current().sent, [{ type: 'register', address: 'chat.x', headers: { since: '8', epoch: 'e1' } }]);
    assert.deepEqual(got, ['seven', 'eight']);
    assert.deepEqual(bus.position('chat.x'), { offset: 8, epoch: 'e1' });
  });

  it('drops a frame whose offset is not above the last one, and delivers frames without an offset', () => {
    const bus = openBus();
    const got = [];
    bus.subscribe('chat.x', (message) => got.push(message.body));
    for (const [offset, body] of [[1, 'a'], [2, 'b'], [2, 'b again'], [1, 'a again'], [3, 'c']]) {
      current().deliver('chat.x', rec(offset, body));
    }
    current().deliver('chat.x', { body: 'sent on the event bus directly' });
    current().deliver('chat.x', rec(1, 'a new epoch starts over', 'e2'));
    assert.deepEqual(got, ['a', 'b', 'c', 'sent on the event bus directly', 'a new epoch starts over']);
  });

  it('reports a replay as recovered, with the count the marker gives, after the replayed messages', async () => {
    const bus = openBus();
    const events = [];
    bus.subscribe('chat.x', (message) => events.push(message.body), {
      onRecovered: (info) => events.push(info),
      onNotRecovered: (info) => events.push(info),
    });
    current().deliver('chat.x', rec(3, 'three'));
    await reconnect();
    current().deliver('chat.x', rec(4, 'four'));
    current().deliver('chat.x', rec(5, 'five'));
    current().deliver('chat.x', marker(true, 5, { replayed: '2' }));
    current().deliver('chat.x', rec(6, 'six'));
    assert.deepEqual(events, ['three', 'four', 'five',
      { address: 'chat.x', replayed: 2, offset: 5, epoch: 'e1', refetched: false }, 'six']);
  });

  it('reports not recovered, and refetch() asks for the last n from the new position without what the page has', async () => {
    const bus = openBus();
    const got = [];
    const outcomes = [];
    bus.subscribe('chat.x', (message) => got.push(message.body), {
      onRecovered: (info) => outcomes.push(info),
      onNotRecovered: (info) => outcomes.push(info),
    });
    current().deliver('chat.x', rec(10, 'ten'));
    await reconnect();
    current().deliver('chat.x', marker(false, 100));
    assert.deepEqual(outcomes, [{ address: 'chat.x', offset: 100, epoch: 'e1', previous: { offset: 10, epoch: 'e1' },
      refetched: false, error: null }]);

    assert.equal(bus.refetch('chat.x', 95), true);
    assert.deepEqual(current().sent.slice(1), [{ type: 'unregister', address: 'chat.x' },
      { type: 'register', address: 'chat.x', headers: { since: '5', epoch: 'e1' } }]);
    for (let offset = 6; offset <= 100; offset++) current().deliver('chat.x', rec(offset, offset));
    current().deliver('chat.x', marker(true, 100, { replayed: '95' }));
    assert.deepEqual(got, ['ten', ...Array.from({ length: 90 }, (_, i) => 11 + i)], 'none the page had twice');
    assert.deepEqual(outcomes[1], { address: 'chat.x', replayed: 95, offset: 100, epoch: 'e1', refetched: true });
  });

  it('forgets the position when the marker brings no epoch (the address keeps nothing), and cannot refetch', async () => {
    const bus = openBus();
    const outcomes = [];
    bus.subscribe('chat.x', () => {}, { onNotRecovered: (info) => outcomes.push(info) });
    current().deliver('chat.x', rec(4, 'four'));
    await reconnect();
    current().deliver('chat.x', { body: null, headers: { recovered: 'false', offset: '0' } });
    assert.deepEqual(outcomes.map((o) => [o.offset, o.epoch, o.previous]), [[0, null, { offset: 4, epoch: 'e1' }]]);
    assert.equal(bus.position('chat.x'), null);
    assert.equal(bus.refetch('chat.x', 50), false);
    await reconnect();
    assert.deepEqual(current().sent, [{ type: 'register', address: 'chat.x', headers: {} }]);
  });

  it('takes an err frame that answers its since as not recovered, and registers without since until it sees an offset', async () => {
    const bus = openBus();
    const outcomes = [];
    bus.subscribe('chat.x', () => {}, { onNotRecovered: (info) => outcomes.push(info) });
    current().deliver('chat.x', rec(4, 'four'));
    await reconnect();
    const refusal = { failureCode: undefined, failureType: 'invalid_since', message: 'since is ahead of the newest offset' };
    current().deliver('chat.x', { error: refusal });
    assert.equal(outcomes.length, 1);
    assert.equal(outcomes[0].error, refusal);
    assert.deepEqual(outcomes[0].previous, { offset: 4, epoch: 'e1' });
    await reconnect();
    assert.deepEqual(current().sent, [{ type: 'register', address: 'chat.x', headers: {} }]);
  });

  it('keeps pages that register in onOpen working, and forgets their handlers with the connection', async () => {
    const got = [];
    const bus = openBus({ onOpen: (b) => b.register('events.updates', (message) => got.push(message.body)) });
    current().deliver('events.updates', { body: 'first' });
    await reconnect();
    current().deliver('events.updates', { body: 'second' });
    assert.deepEqual(got, ['first', 'second'], 'registered once per connection: nothing twice');
    assert.deepEqual(current().sent, [{ type: 'register', address: 'events.updates', headers: {} }]);
  });

  it('unsubscribe unregisters and forgets the position; others on the address keep theirs', async () => {
    const bus = openBus();
    const first = [];
    const second = [];
    const leaveFirst = bus.subscribe('chat.x', (message) => first.push(message.body));
    const leaveSecond = bus.subscribe('chat.x', (message) => second.push(message.body));
    current().deliver('chat.x', rec(1, 'both'));
    leaveFirst();
    current().deliver('chat.x', rec(2, 'second only'));
    assert.deepEqual(first, ['both']);
    assert.deepEqual(second, ['both', 'second only']);
    leaveSecond();
    assert.deepEqual(current().sent.at(-1), { type: 'unregister', address: 'chat.x' });
    assert.equal(bus.position('chat.x'), null);
    await reconnect();
    assert.deepEqual(current().sent, []);
  });
});
