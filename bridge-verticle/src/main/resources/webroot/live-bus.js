/*
 * LiveBus: the stock Vert.x event-bus client (vendor/vertx-eventbus.js over SockJS), kept connected.
 *
 * The stock client has a reconnect of its own, but it does not tell when it will try next, so this runs
 * its own loop: a fresh EventBus per attempt, exponential backoff with jitter, capped, never giving up
 * (a wall screen must come back by itself). The stock client forgets its handlers when its socket closes,
 * so whoever uses LiveBus registers them again in onOpen, which runs on every (re)connection.
 * No DOM here: the page (dashboard.js) renders what onState reports.
 */
'use strict';

class LiveBus {
  /**
   * @param {string} url the SockJS endpoint, e.g. '/eventbus'
   * @param {object} options
   *   sockJsOptions: passed to SockJS through the stock client (e.g. {transports: ['xhr-streaming']})
   *   minDelayMs, maxDelayMs: the backoff's first delay and cap
   *   connectTimeoutMs: an attempt not open by then counts as failed
   *   onOpen(bus): connected; register handlers, ask for state
   *   onState({state, attempt, delayMs, reason}): state is 'connecting', 'live', 'reconnecting' or 'offline'
   *   onBridgeError(frame): an err frame the bridge sent that no reply handler took (e.g. access_denied)
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
    this.bus = null;
    this.attempt = 0;           // the reconnect attempt running or coming next; 0 while open or first connecting
    this.retryTimer = null;
    this.connectTimer = null;
    this.openedAt = null;
    this.lastDropReason = null;
    window.addEventListener('online', () => this.retryNow());
    window.addEventListener('offline', () => this.pauseWhileOffline());
  }

  /** The browser says the network is gone: stop trying until 'online'. An open connection may survive it. */
  pauseWhileOffline() {
    if (this.isOpen()) return;
    if (this.bus !== null) {
      this.drop('the browser is offline');   // the running attempt; onClosed then reports offline
      return;
    }
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.report('offline', { reason: 'the browser is offline' });
  }

  start() {
    this.connect();
  }

  isOpen() {
    return this.bus !== null && this.bus.state === EventBus.OPEN;
  }

  /** The SockJS transport of the open connection ('websocket', 'xhr-streaming', ...), or null. */
  transport() {
    return this.isOpen() && this.bus.sockJSConn ? this.bus.sockJSConn.transport || null : null;
  }

  /** Skips the wait: tries at once (the user asked, or the network came back). */
  retryNow() {
    if (this.bus !== null) return;   // an attempt is running or the connection is open
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

  publish(address, body) {
    this.bus.publish(address, body, {});
  }

  register(address, onMessage) {
    this.bus.registerHandler(address, {}, (err, message) => { if (!err) onMessage(message); });
  }

  connect() {
    this.retryTimer = null;
    this.report(this.attempt === 0 ? 'connecting' : 'reconnecting', { connecting: true });
    const bus = new EventBus(this.url, Object.assign({}, this.sockJsOptions));
    this.bus = bus;
    // Keep this bus's events apart from a later one's: a late close must not touch the next attempt.
    bus.onopen = () => { if (this.bus === bus) this.onOpened(bus); };
    bus.onclose = () => { if (this.bus === bus) this.onClosed(bus); };
    bus.onerror = (frame) => { if (this.bus === bus) this.onBridgeError(frame); };
    this.connectTimer = setTimeout(() => { if (this.bus === bus && !this.isOpen()) this.drop('connect timeout'); },
      this.connectTimeoutMs);
  }

  onOpened(bus) {
    clearTimeout(this.connectTimer);
    this.attempt = 0;
    this.openedAt = Date.now();
    this.lastDropReason = null;
    this.report('live');
    this.onOpen(this);
  }

  onClosed(bus) {
    clearTimeout(this.connectTimer);
    try { bus.enableReconnect(false); } catch (e) { /* already closed */ }
    this.bus = null;
    this.openedAt = null;
    this.attempt += 1;
    if (navigator.onLine === false) {
      this.report('offline', { reason: 'the browser is offline' });   // 'online' calls retryNow
      return;
    }
    const delayMs = this.backoff(this.attempt);
    this.report('reconnecting', { delayMs, reason: this.lastDropReason || 'connection lost' });
    this.retryTimer = setTimeout(() => this.connect(), delayMs);
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
}
