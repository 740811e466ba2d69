/*
 * LiveBus: a small client library for livegate's bridge, around the stock Vert.x event-bus client
 * (vendor/vertx-eventbus.js over SockJS). Every node serves it at /live-bus.js.
 *
 * - It stays connected: the stock client's own reconnect does not tell when it tries next, so this runs its
 *   own loop, a fresh EventBus per attempt, exponential backoff with jitter, capped, never giving up (a wall
 *   screen must come back by itself).
 * - subscribe(address, onMessage, callbacks) holds a handler across connections: the stock client forgets
 *   its handlers when its socket closes, so LiveBus registers every subscribed address again on every
 *   (re)connection. Pages that register in onOpen themselves (register()) keep working.
 * - On an address that keeps a history (its rec frames carry headers.offset and headers.epoch) it remembers
 *   the last offset and epoch, registers with {since, epoch} after a reconnect so that the bridge first
 *   replays what was missed, drops a frame whose offset it has already passed, and reports the bridge's
 *   marker: recovered (how many were replayed) or not recovered (the page should re-fetch its state).
 *   Addresses without a history are simply delivered.
 *
 * - presence(address, onChange) follows who is on an address that keeps presence: it asks the bridge for the
 *   list (a send to presence.<address>) on every connection and applies the join and leave events between.
 *   What a page shows of itself there is its subscribe's headers.name.
 *
 * No DOM and no dependency but the stock client (and SockJS under it). In a page: script tags for
 * sockjs.min.js, vertx-eventbus.js, then this file (a global LiveBus). In Node: require it and pass
 * options.EventBus (the npm package @vertx/eventbus-bridge-client.js).
 */
(function (root, factory) {
  const LiveBus = factory(root);
  if (typeof module === 'object' && module.exports) module.exports = LiveBus;
  else root.LiveBus = LiveBus;
}(typeof globalThis !== 'undefined' ? globalThis : this, (root) => {
  'use strict';

  /** What LiveBus knows of one address: who listens, and where its history stands for this page. */
  class Channel {
    constructor(address) {
      this.address = address;
      this.listeners = new Set();   // {onMessage, onRecovered, onNotRecovered, onError, connection}
      this.offset = null;           // the last offset delivered (or passed by a marker), with its epoch
      this.epoch = null;
      this.handler = null;          // the function registered on the stock client for this connection
      this.awaitingMarker = false;  // registered with since: the bridge's answer has not come yet
      this.refetching = false;      // the registration was refetch()'s
      this.beforeGap = null;        // {offset, epoch} the page had when the bridge said it could not recover
      this.headers = {};            // sent with every register of it (e.g. {name} on an address with presence)
    }

    hasSubscribers() {
      return [...this.listeners].some((listener) => listener.connection === null);
    }

    position() {
      return this.epoch === null ? null : { offset: this.offset, epoch: this.epoch };
    }
  }

  class LiveBus {
    /**
     * @param {string} url the SockJS endpoint, e.g. '/eventbus'
     * @param {object} options
     *   sockJsOptions: passed to SockJS through the stock client (e.g. {transports: ['xhr-streaming']})
     *   minDelayMs, maxDelayMs: the backoff's first delay and cap
     *   connectTimeoutMs: an attempt not open by then counts as failed
     *   onOpen(bus): connected (every subscription is already registered again); ask for state here, or
     *     register per-connection handlers with register()
     *   onState({state, attempt, delayMs, reason}): state is 'connecting', 'live', 'reconnecting', 'offline' or
     *     'stopped' (after stop())
     *   onBridgeError(frame): an err frame that no handler took (e.g. access_denied)
     *   EventBus: the stock client's constructor (default: the global EventBus of vertx-eventbus.js)
     */
    constructor(url, options = {}) {
      this.url = url;
      this.sockJsOptions = options.sockJsOptions || {};
      this.minDelayMs = options.minDelayMs || 500;
      this.maxDelayMs = options.maxDelayMs || 10000;
      this.connectTimeoutMs = options.connectTimeoutMs || 10000;
      this.onOpen = options.onOpen || (() => {});
      this.onState = options.onState || (() => {});
      this.onBridgeError = options.onBridgeError || (() => {});
      this.EventBus = options.EventBus || null;
      this.channels = new Map();  // address -> Channel
      this.openListeners = new Set();  // called on every open, after the subscriptions are registered again
      this.bus = null;
      this.connection = 0;        // grows on every open
      this.attempt = 0;           // the reconnect attempt running or coming next; 0 while open or first connecting
      this.retryTimer = null;
      this.connectTimer = null;
      this.openedAt = null;
      this.lastDropReason = null;
      this.stopped = false;
      if (typeof root.addEventListener === 'function') {
        root.addEventListener('online', () => this.retryNow());
        root.addEventListener('offline', () => this.pauseWhileOffline());
      }
    }

    /**
     * Delivers every message of the address to onMessage(message) ({body, headers, ...}, the stock client's
     * message), on this connection and every later one, until the returned function is called.
     * callbacks (all optional), for addresses that keep a history:
     *   onRecovered({address, replayed, offset, epoch, refetched}): after a reconnect the bridge replayed the
     *     `replayed` messages missed meanwhile (already given to onMessage, in order); nothing was lost
     *   onNotRecovered({address, offset, epoch, previous, refetched, error}): what was missed is gone (the
     *     history no longer holds it, or it started over): re-fetch the state, or call refetch(address, n)
     *     for the last n messages still kept. previous is the {offset, epoch} the page had, or null
     *   onError(error): an err frame the bridge sent on this address ({failureCode, failureType, message})
     *   since, epoch: where to start on the first connection, e.g. a position kept over a reload (position())
     *   headers: sent with every register of the address, e.g. {name: 'Ann'}: what presence shows of this page
     */
    subscribe(address, onMessage, callbacks = {}) {
      const channel = this.channel(address);
      if (callbacks.headers) channel.headers = Object.assign({}, callbacks.headers);
      if (channel.epoch === null && callbacks.epoch !== undefined && callbacks.since !== undefined) {
        channel.offset = Number(callbacks.since);
        channel.epoch = String(callbacks.epoch);
      }
      const listener = Object.assign({}, callbacks, { onMessage, connection: null });
      this.listen(channel, listener);
      return () => this.unlisten(channel, listener);
    }

    /**
     * Follows who is on an address that keeps presence (the bridge's --presence-addresses): onChange({address,
     * count, members, more, event}) with the list as it stands, on every connection (the bridge's list) and on
     * every join or leave between (event: {action, member, count}). members: [{id, client, name, since}], the first
     * to come first. Returns the function that stops it.
     */
    presence(address, onChange) {
      const presenceAddress = 'presence.' + address;
      const members = new Map();   // id -> member
      let more = false;
      const tell = (event) => onChange({ address, count: members.size, members: [...members.values()], more, event });
      const ask = () => {
        if (!this.isOpen()) return;
        this.send(presenceAddress, null, (error, reply) => {
          if (error || !reply || !reply.body || !Array.isArray(reply.body.members)) return;
          members.clear();
          for (const member of reply.body.members) members.set(member.id, member);
          more = reply.body.more === true;
          tell(null);
        });
      };
      const stop = this.subscribe(presenceAddress, (message) => {
        const event = message.body;
        if (!event || !event.member) return;
        if (event.action === 'join') members.set(event.member.id, event.member);
        else if (event.action === 'leave') members.delete(event.member.id);
        tell(event);
      });
      this.openListeners.add(ask);
      ask();
      return () => { stop(); this.openListeners.delete(ask); };
    }

    /** The old style, for pages that register in onOpen: a handler for this connection only. */
    register(address, onMessage) {
      if (!this.isOpen()) throw new Error('INVALID_STATE_ERR');
      this.listen(this.channel(address), { onMessage, connection: this.connection });
    }

    /** The {offset, epoch} of the last message of the address this page got, or null (no history seen). */
    position(address) {
      const channel = this.channels.get(address);
      return channel ? channel.position() : null;
    }

    /**
     * Asks the bridge again for the last `count` messages of the address that its history still keeps, e.g.
     * after onNotRecovered. They come to onMessage (none the page already had), then onRecovered or
     * onNotRecovered with refetched: true. False when it cannot ask (not open, no history seen).
     */
    refetch(address, count) {
      const channel = this.channels.get(address);
      if (!channel || channel.epoch === null || !this.isOpen() || channel.handler === null) return false;
      const since = Math.max(0, channel.offset - count);
      const had = channel.beforeGap;
      // Drop what the page already has if the replay reaches back that far.
      channel.offset = had && had.epoch === channel.epoch ? Math.max(since, had.offset) : since;
      this.unregisterOnBus(channel);
      this.registerOnBus(channel, since, true);
      return true;
    }

    /** The browser says the network is gone: stop trying until 'online'. An open connection may survive it. */
    pauseWhileOffline() {
      if (this.isOpen() || this.stopped) return;
      if (this.bus !== null) {
        this.drop('the browser is offline');   // the running attempt; onClosed then reports offline
        return;
      }
      clearTimeout(this.retryTimer);
      this.retryTimer = null;
      this.report('offline', { reason: 'the browser is offline' });
    }

    start() {
      this.stopped = false;
      this.connect();
    }

    /** Closes the connection and tries no more, until start(); subscriptions and positions are kept. */
    stop() {
      this.stopped = true;
      clearTimeout(this.retryTimer);
      this.retryTimer = null;
      if (this.bus) this.drop('stopped');
      else this.report('stopped');
    }

    isOpen() {
      return this.bus !== null && this.bus.state === this.stockClient().OPEN;
    }

    /** The SockJS transport of the open connection ('websocket', 'xhr-streaming', ...), or null. */
    transport() {
      return this.isOpen() && this.bus.sockJSConn ? this.bus.sockJSConn.transport || null : null;
    }

    /** Skips the wait: tries at once (the user asked, or the network came back). */
    retryNow() {
      if (this.bus !== null || this.stopped) return;   // an attempt is running or the connection is open
      clearTimeout(this.retryTimer);
      this.connect();
    }

    /** Drops the connection (e.g. it stopped answering pings); the usual backoff follows. */
    drop(reason) {
      if (!this.bus) return;
      this.lastDropReason = reason;
      try { this.bus.close(); } catch (e) { this.onClosed(this.bus); }
    }

    send(address, body, onReply) {
      this.bus.send(address, body, {}, onReply);   // throws INVALID_STATE_ERR when not open: callers check isOpen()
    }

    publish(address, body, headers = {}) {
      this.bus.publish(address, body, headers);
    }

    // ---- connection ---------------------------------------------------------------------------------

    stockClient() {
      const EventBus = this.EventBus || root.EventBus;
      if (!EventBus) throw new Error('LiveBus needs the stock client: load vertx-eventbus.js first, or pass options.EventBus');
      return EventBus;
    }

    connect() {
      this.retryTimer = null;
      this.report(this.attempt === 0 ? 'connecting' : 'reconnecting', { connecting: true });
      const EventBus = this.stockClient();
      const bus = new EventBus(this.url, Object.assign({}, this.sockJsOptions));
      this.bus = bus;
      // Keep this bus's events apart from a later one's: a late close must not touch the next attempt.
      bus.onopen = () => { if (this.bus === bus) this.onOpened(bus); };
      bus.onclose = () => { if (this.bus === bus) this.onClosed(bus); };
      // An err frame that no handler took goes to the page; any other frame without a handler is one of an
      // address this page just left (refetch() re-registers): nothing to say about it.
      bus.onunhandled = (frame) => { if (this.bus === bus && frame.type === 'err') this.onBridgeError(frame); };
      this.connectTimer = setTimeout(() => { if (this.bus === bus && !this.isOpen()) this.drop('connect timeout'); },
        this.connectTimeoutMs);
    }

    onOpened(bus) {
      clearTimeout(this.connectTimer);
      this.connection += 1;
      this.attempt = 0;
      this.openedAt = Date.now();
      this.lastDropReason = null;
      for (const channel of this.channels.values()) {
        if (channel.hasSubscribers()) this.registerOnBus(channel, channel.offset, channel.refetching);
      }
      this.report('live');
      for (const listener of this.openListeners) listener();
      this.onOpen(this);
    }

    onClosed(bus) {
      clearTimeout(this.connectTimer);
      try { bus.enableReconnect(false); } catch (e) { /* already closed */ }
      this.bus = null;
      this.openedAt = null;
      this.attempt += 1;
      this.forgetConnection();
      if (this.stopped) {
        this.report('stopped');
        return;
      }
      if (typeof navigator !== 'undefined' && navigator.onLine === false) {
        this.report('offline', { reason: 'the browser is offline' });   // 'online' calls retryNow
        return;
      }
      const delayMs = this.backoff(this.attempt);
      this.report('reconnecting', { delayMs, reason: this.lastDropReason || 'connection lost' });
      this.retryTimer = setTimeout(() => this.connect(), delayMs);
    }

    /** The stock client dropped its handlers with its socket; so do the per-connection listeners. */
    forgetConnection() {
      for (const channel of this.channels.values()) {
        channel.handler = null;
        channel.awaitingMarker = false;   // the next registration asks again, from what has come meanwhile
        for (const listener of channel.listeners) {
          if (listener.connection !== null) channel.listeners.delete(listener);
        }
      }
    }

    /**
     * Exponential backoff with "equal jitter": half the step is fixed, half random. Delays grow from
     * minDelayMs up to maxDelayMs and never shrink while the server stays away, and browsers that lost the
     * same node spread their returns over the second half of each step.
     */
    backoff(attempt) {
      const step = Math.min(this.maxDelayMs, 2 * this.minDelayMs * 2 ** (attempt - 1));
      return Math.round(step / 2 + Math.random() * step / 2);
    }

    report(state, extra = {}) {
      this.onState(Object.assign({ state, attempt: this.attempt }, extra));
    }

    // ---- addresses ----------------------------------------------------------------------------------

    channel(address) {
      let channel = this.channels.get(address);
      if (!channel) {
        channel = new Channel(address);
        this.channels.set(address, channel);
      }
      return channel;
    }

    listen(channel, listener) {
      channel.listeners.add(listener);
      if (this.isOpen() && channel.handler === null) this.registerOnBus(channel, channel.offset, false);
    }

    unlisten(channel, listener) {
      channel.listeners.delete(listener);
      if (channel.listeners.size > 0) return;
      if (this.isOpen()) this.unregisterOnBus(channel);
      this.channels.delete(channel.address);   // a later subscribe starts afresh
    }

    /** One stock registration per address and connection; with since where the page has a position. */
    registerOnBus(channel, since, refetching) {
      const recovering = channel.epoch !== null;
      const headers = Object.assign({}, channel.headers, recovering ? { since: String(since), epoch: channel.epoch } : {});
      const handler = (error, message) => { if (channel.handler === handler) this.onFrame(channel, error, message); };
      channel.handler = handler;
      channel.awaitingMarker = recovering;
      channel.refetching = recovering && refetching;
      this.bus.registerHandler(channel.address, headers, handler);
    }

    unregisterOnBus(channel) {
      const handler = channel.handler;
      channel.handler = null;
      channel.awaitingMarker = false;
      if (handler === null) return;
      try { this.bus.unregisterHandler(channel.address, {}, handler); } catch (e) { /* closed meanwhile */ }
    }

    onFrame(channel, error, message) {
      if (error) {
        this.onAddressError(channel, error);
        return;
      }
      const headers = message.headers || {};
      if (message.body === null && typeof headers.recovered === 'string') {
        this.onMarker(channel, headers);
        return;
      }
      if (!this.isNew(channel, headers)) return;
      for (const listener of [...channel.listeners]) listener.onMessage(message);
    }

    /** Defence: a message of a history address whose offset is not above the last one is one the page has. */
    isNew(channel, headers) {
      if (headers.offset === undefined || headers.epoch === undefined) return true;   // no history: deliver
      const offset = Number(headers.offset);
      const epoch = String(headers.epoch);
      if (!Number.isSafeInteger(offset)) return true;
      if (epoch === channel.epoch && channel.offset !== null && offset <= channel.offset) return false;
      channel.offset = offset;   // a new epoch starts over, from whatever offset it brings
      channel.epoch = epoch;
      return true;
    }

    /** The bridge's answer to a registration with since: every missed message came before it, or none. */
    onMarker(channel, headers) {
      const offset = Number(headers.offset);
      const epoch = headers.epoch === undefined ? null : String(headers.epoch);   // none: the address keeps nothing
      const refetched = channel.refetching;
      channel.awaitingMarker = false;
      channel.refetching = false;
      if (headers.recovered === 'true') {
        if (epoch !== channel.epoch || channel.offset === null || offset > channel.offset) channel.offset = offset;
        channel.epoch = epoch;
        channel.beforeGap = null;
        const replayed = Number(headers.replayed) || 0;
        this.notify(channel, 'onRecovered', { address: channel.address, replayed, offset, epoch, refetched });
        return;
      }
      const previous = refetched && channel.beforeGap ? channel.beforeGap : channel.position();
      channel.beforeGap = previous;
      channel.offset = epoch === null ? null : offset;
      channel.epoch = epoch;
      this.notify(channel, 'onNotRecovered',
        { address: channel.address, offset, epoch, previous, refetched, error: null });
    }

    /**
     * An err frame on the address. Before the marker it is the bridge refusing the since (invalid_since,
     * no_history): the registration is live all the same, but what was missed is not coming.
     */
    onAddressError(channel, error) {
      if (!channel.awaitingMarker) {
        const taken = this.notify(channel, 'onError', error);
        if (!taken) this.onBridgeError(Object.assign({ type: 'err', address: channel.address }, error));
        return;
      }
      const previous = channel.position();
      const refetched = channel.refetching;
      channel.awaitingMarker = false;
      channel.refetching = false;
      channel.offset = null;     // the next messages say where the history stands
      channel.epoch = null;
      this.notify(channel, 'onNotRecovered',
        { address: channel.address, offset: null, epoch: null, previous, refetched, error });
    }

    notify(channel, callback, info) {
      let taken = false;
      for (const listener of [...channel.listeners]) {
        if (typeof listener[callback] === 'function') {
          taken = true;
          listener[callback](info);
        }
      }
      return taken;
    }
  }

  return LiveBus;
}));
