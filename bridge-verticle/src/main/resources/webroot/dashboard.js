/*
 * The dashboard: live scores, the connection, a ping, a chat on chat.lobby, over LiveBus; and the cluster's nodes.
 *
 * URL options (for people and tests): ?transports=xhr-streaming,xhr-polling restricts SockJS to those
 * transports (e.g. to see the page work where WebSockets are blocked).
 */
'use strict';
(() => {
  const PING_EVERY_MS = 5000;
  const PING_TIMEOUT_MS = 10000;      // no PONG for this long: the socket is dead even if it looks open
  const SNAPSHOT_RETRY_MS = 3000;
  const CHAT_ADDRESS = 'chat.lobby';
  const CHAT_QUEUE_MAX = 20;          // messages typed while offline, kept until the reconnect
  const CHAT_SHOWN_MAX = 200;
  const CHAT_REFETCH_LINES = 50;      // asked for again when the chat's history could not fill a gap
  const CLUSTER_EVERY_MS = 2000;      // the cluster panel asks the serving node for the cluster this often

  const $ = (id) => document.getElementById(id);
  const events = new Map();           // id -> {event, row}
  const counts = { received: 0, updates: 0, stale: 0, reconnects: 0 };
  const chatQueue = [];
  const ownEchoes = new Set();        // chat lines this tab showed when sending; their echo is not shown twice
  const chatName = tabChatName();
  let connection = 0;                 // grows on every open; callbacks of an older connection do nothing
  let pingAwaitedSince = null;
  let wasLive = false;
  let retryAt = null;

  const bus = new LiveBus(eventBusUrl(), {
    sockJsOptions: sockJsOptionsFromUrl(),
    onOpen: onConnected,
    onState: showConnectionState,
    onBridgeError: showBridgeError,
  });
  // Held across reconnects by LiveBus; the chat's history fills what a reconnect missed.
  bus.subscribe('events.updates', (message) => { countReceived(); applyUpdate(message.body); });
  bus.subscribe(CHAT_ADDRESS, (message) => { countReceived(); showChat(message.body); },
    { onRecovered: chatRecovered, onNotRecovered: chatNotRecovered, headers: { name: chatName } });
  // Who else is in the chat, on every node: the bridge's list on each connection, joins and leaves between.
  bus.presence(CHAT_ADDRESS, showPresence);

  /** A bridge that wants tokens gets the page's own: /?token=... (SockJS keeps the query on every transport). */
  function eventBusUrl() {
    const token = new URLSearchParams(location.search).get('token');
    return token ? '/eventbus?token=' + encodeURIComponent(token) : '/eventbus';
  }

  function sockJsOptionsFromUrl() {
    const transports = new URLSearchParams(location.search).get('transports');
    if (!transports) return {};
    return { transports: transports.split(',').map((t) => t.trim()).filter(Boolean) };
  }

  /** A name per tab that survives a reload of the tab. */
  function tabChatName() {
    const key = 'livegate.chatName';
    let name = null;
    try { name = sessionStorage.getItem(key); } catch (e) { /* storage blocked: a new name per load */ }
    if (!name) {
      name = 'guest-' + Math.random().toString(36).slice(2, 6);
      try { sessionStorage.setItem(key, name); } catch (e) { /* as above */ }
    }
    return name;
  }

  // ---- connection ---------------------------------------------------------------------------------

  function onConnected() {
    refreshCluster();
    connection += 1;
    pingAwaitedSince = null;
    if (wasLive) counts.reconnects += 1;
    wasLive = true;
    requestSnapshot(connection);
    flushChatQueue();
    sendPing();
    $('transport').textContent = bus.transport() || '–';
    renderCounts();
  }

  function showConnectionState({ state, attempt, delayMs, connecting, reason }) {
    const status = $('status');
    status.dataset.state = state;
    status.dataset.attempt = String(attempt);
    status.dataset.delayMs = delayMs === undefined ? '' : String(delayMs);
    let label, detail = '';
    if (state === 'live') {
      label = 'Live';
    } else if (state === 'connecting') {
      label = 'Connecting…';
    } else if (state === 'offline') {
      label = 'Offline';
      detail = `— ${reason}; trying again when the network is back`;
    } else {
      label = 'Reconnecting';
      detail = connecting ? `— attempt ${attempt}, trying now…`
        : `— attempt ${attempt}, next try in ${(delayMs / 1000).toFixed(1)} s`;
    }
    $('status-label').textContent = label;
    $('status-detail').textContent = detail;
    $('send-ping').disabled = state !== 'live';
    document.body.dataset.connection = state;
    if (state !== 'live') {
      $('transport').textContent = '–';
      $('rtt').textContent = '–';
      if (events.size > 0) showEventsNote('Not live: the scores as last received.');
    }
    showRetry(state, connecting ? undefined : delayMs);
    renderUptime();
  }

  function showRetry(state, delayMs) {
    const waiting = (state === 'reconnecting' && delayMs !== undefined) || state === 'offline';
    $('retry').hidden = !waiting;
    retryAt = state === 'reconnecting' && delayMs !== undefined ? { from: Date.now(), ms: delayMs } : null;
    renderCountdown();
  }

  function showBridgeError(frame) {
    const reason = frame.body || frame.message || frame.failureType || JSON.stringify(frame);
    $('bridge-error').textContent = `${reason} (${new Date().toLocaleTimeString()})`;
    console.warn('livegate: the bridge refused a frame:', reason);
  }

  // ---- ping ---------------------------------------------------------------------------------------

  function sendPing() {
    if (!bus.isOpen()) return;
    const sentAt = performance.now();
    const sentOn = connection;
    if (pingAwaitedSince === null) pingAwaitedSince = sentAt;
    bus.send('bridge.ping', null, (err, message) => {
      if (sentOn !== connection) return;
      pingAwaitedSince = null;
      if (err) {
        $('rtt').textContent = `failed: ${err.message || err.failureType}`;
        return;
      }
      countReceived();
      $('rtt').textContent = `${Math.round(performance.now() - sentAt)} ms`;
      $('node').textContent = message.body.node;
      $('node-name').textContent = message.body.name || message.body.node;
    });
  }

  function checkPingAnswered() {
    if (pingAwaitedSince !== null && bus.isOpen() && performance.now() - pingAwaitedSince > PING_TIMEOUT_MS) {
      pingAwaitedSince = null;
      bus.drop('no answer to ping');
    }
  }

  // ---- cluster ------------------------------------------------------------------------------------

  /**
   * The nodes as the serving node's cluster view has them (GET /cluster of this origin), one row each; asked only while
   * the page is connected (a node that is gone cannot answer, and the list shown stays until it can).
   */
  async function refreshCluster() {
    if (!bus.isOpen()) {
      if ($('cluster-nodes').querySelector('tr[data-node-id]')) $('cluster-note').textContent = 'Not connected: the list is the last one seen.';
      return;
    }
    let nodes;
    try {
      const response = await fetch('cluster', { cache: 'no-store' });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      nodes = await response.json();
    } catch (e) {
      $('cluster-note').textContent = `The cluster cannot be asked now (${e.message}); the last list stays.`;
      return;
    }
    $('cluster-note').textContent = '';
    $('cluster-count').textContent = `(${nodes.length} ${nodes.length === 1 ? 'node' : 'nodes'})`;
    $('cluster-nodes').replaceChildren(...nodes.map(clusterRow));
  }

  function clusterRow(node) {
    const row = document.createElement('tr');
    row.dataset.nodeId = node.id;
    row.dataset.name = node.name;
    if (node.self) row.classList.add('self');
    const name = document.createElement('th');
    name.scope = 'row';
    name.textContent = node.name;
    name.title = node.id;
    const service = node.roles.length === 0;   // a backend service on the cluster, not a livegate node
    const state = service ? 'service' : node.state || (node.draining ? 'draining' : 'not answering');
    row.append(name, cell(service ? '–' : node.roles.join(', ')),
      cell(node.connections === null ? '–' : String(node.connections), 'num'),
      cell(state, null, state), cell(node.uptimeMs === null ? '–' : duration(node.uptimeMs), 'num uptime'));
    return row;
  }

  function cell(text, className, state) {
    const td = document.createElement('td');
    td.textContent = text;
    if (className) td.className = className;
    if (state) td.dataset.state = state;
    return td;
  }

  // ---- events -------------------------------------------------------------------------------------

  function requestSnapshot(sentOn) {
    if (sentOn !== connection || !bus.isOpen()) return;
    bus.send('events.snapshot', null, (err, message) => {
      if (sentOn !== connection) return;
      if (err || !Array.isArray(message.body)) {
        showEventsNote(`Scores unavailable (${err ? err.failureType || err.message : 'not a list'}); asking again…`);
        setTimeout(() => requestSnapshot(sentOn), SNAPSHOT_RETRY_MS);
        return;
      }
      countReceived();
      showEventsNote('');
      message.body.forEach((event) => applyEvent(event, false, true));
    });
  }

  function showEventsNote(text) {
    $('events-note').textContent = text;
    $('events-note').hidden = !text;
  }

  function applyUpdate(event) {
    counts.updates += 1;
    if (!applyEvent(event, true)) counts.stale += 1;
    renderCounts();
  }

  /**
   * Shows the event unless the page already shows this version or a newer one. A snapshot is the
   * truth over what an earlier connection showed: a cluster restarted as a whole counts from zero again.
   */
  function applyEvent(event, flash, fromSnapshot = false) {
    if (!event || typeof event.id !== 'string' || typeof event.version !== 'number') return false;
    const shown = events.get(event.id);
    const outdated = shown && fromSnapshot && shown.connection !== connection;
    if (shown && !outdated && shown.event.version >= event.version) return false;
    if (shown) {
      shown.event = event;
      shown.connection = connection;
      fillRow(shown.row, event, flash);
    } else {
      const row = eventRow(event.id);
      events.set(event.id, { event, row, connection });
      fillRow(row, event, false);
      placeRow(event.id, row);
    }
    return true;
  }

  function eventRow(id) {
    const row = document.createElement('tr');
    row.dataset.id = id;
    row.innerHTML = '<th scope="row" class="name"></th><td class="num score"></td><td class="num version"></td>'
      + '<td class="when"><time></time></td>';
    return row;
  }

  function placeRow(id, row) {
    const body = $('events');
    body.querySelector('.placeholder')?.remove();
    const next = [...body.rows].find((r) => r.dataset.id > id);
    body.insertBefore(row, next || null);
  }

  function fillRow(row, event, flash) {
    row.querySelector('.name').textContent = event.name || event.id;
    row.querySelector('.score').textContent = `${event.score.home} – ${event.score.away}`;
    row.querySelector('.version').textContent = String(event.version);
    const time = row.querySelector('time');
    time.dateTime = event.updatedAt;
    time.textContent = new Date(event.updatedAt).toLocaleTimeString();
    if (flash) {
      row.classList.remove('changed');
      void row.offsetWidth;   // restart the highlight animation
      row.classList.add('changed');
    }
  }

  // ---- chat ---------------------------------------------------------------------------------------

  function sendChat(submit) {
    submit.preventDefault();
    const input = $('chat-text');
    const text = input.value.trim();
    if (!text) return;
    const message = { from: chatName, text, sentAt: new Date().toISOString() };
    if (bus.isOpen() && publishChat(message)) {
      showChat(message, true);
    } else if (chatQueue.length < CHAT_QUEUE_MAX) {
      chatQueue.push(message);
      renderOutbox();
      $('chat-note').textContent = 'Not connected: the message is sent when the connection is back.';
    } else {
      $('chat-note').textContent = `Not sent: ${CHAT_QUEUE_MAX} messages are already waiting for the connection.`;
      return;   // keep the text in the input
    }
    input.value = '';
  }

  function publishChat(message) {
    try {
      bus.publish(CHAT_ADDRESS, message);
      ownEchoes.add(chatKey(message));
      return true;
    } catch (e) {
      return false;   // closed between the check and the send
    }
  }

  function flushChatQueue() {
    while (chatQueue.length > 0 && publishChat(chatQueue[0])) showChat(chatQueue.shift(), true);
    renderOutbox();
    if (chatQueue.length === 0) $('chat-note').textContent = '';
  }

  /** The chat's presence: how many are here, and their names (this tab's marked), the first to come first. */
  function showPresence({ count, members, more }) {
    $('chat-here').textContent = count === 1 ? '1 here' : `${more ? 'over ' : ''}${count} here`;
    const list = $('chat-people');
    list.replaceChildren(...members.map((member) => {
      const item = document.createElement('li');
      item.textContent = member.name || 'someone';
      if (member.name === chatName) item.classList.add('self');
      item.title = member.client;
      return item;
    }));
  }

  function chatKey(message) {
    return `${message.from}|${message.sentAt}|${message.text}`;
  }

  /** A chat line: {from, text, sentAt} from a page, or any JSON a service published. */
  function showChat(body, own = false) {
    const isLine = body !== null && typeof body === 'object' && typeof body.text === 'string';
    if (isLine && !own && ownEchoes.delete(chatKey(body))) return;
    const item = document.createElement('li');
    if (own) item.className = 'own';
    const from = document.createElement('span');
    from.className = 'from';
    from.textContent = isLine && body.from ? String(body.from) : 'service';
    const when = document.createElement('time');
    const at = isLine && body.sentAt ? new Date(body.sentAt) : new Date();
    when.dateTime = at.toISOString();
    when.textContent = at.toLocaleTimeString();
    const text = document.createElement(isLine ? 'span' : 'code');
    text.className = 'text';
    text.textContent = isLine ? body.text : typeof body === 'string' ? body : JSON.stringify(body);
    item.append(from, ' ', when, ' ', text);
    appendChatItem(item);
  }

  function appendChatItem(item) {
    const log = $('chat-log');
    log.append(item);
    while (log.children.length > CHAT_SHOWN_MAX) log.firstElementChild.remove();
    log.scrollTop = log.scrollHeight;
  }

  /** The bridge replayed the lines sent while the page was away (or the last ones, asked for again). */
  function chatRecovered({ replayed, refetched }) {
    if (refetched) {
      showChatRecovery('refetched', replayed, `Away too long: re-fetched the last ${lines(replayed)}.`);
    } else {
      showChatRecovery('recovered', replayed, `Reconnected: recovered ${lines(replayed)} sent meanwhile.`);
    }
  }

  /**
   * What was sent while away is no longer kept (or the chat's history started over): the gap shows in the
   * log, and the page asks once for the last lines that are kept.
   */
  function chatNotRecovered({ offset, refetched }) {
    if (!refetched) showChatGap();
    if (!refetched && offset !== null && bus.refetch(CHAT_ADDRESS, CHAT_REFETCH_LINES)) {
      showChatRecovery('refetching', 0, 'Away too long: re-fetching the last lines…');
      return;
    }
    showChatRecovery('missed', 0, 'Lines sent while away were missed: the chat no longer keeps them.');
  }

  function showChatGap() {
    const item = document.createElement('li');
    item.className = 'gap';
    item.textContent = 'Lines sent while away may be missing here.';
    appendChatItem(item);
  }

  function showChatRecovery(outcome, count, text) {
    const note = $('chat-recovery');
    note.dataset.outcome = outcome;
    note.dataset.count = String(count);
    note.textContent = text;
  }

  function lines(n) {
    return n === 1 ? '1 line' : `${n} lines`;
  }

  function renderOutbox() {
    $('outbox').hidden = chatQueue.length === 0;
    $('outbox-list').replaceChildren(...chatQueue.map((message) => {
      const item = document.createElement('li');
      item.textContent = message.text;
      return item;
    }));
  }

  // ---- counters -----------------------------------------------------------------------------------

  function countReceived() {
    counts.received += 1;
    renderCounts();
  }

  function renderCounts() {
    $('received').textContent = String(counts.received);
    $('updates').textContent = String(counts.updates);
    $('stale').textContent = String(counts.stale);
    $('reconnects').textContent = String(counts.reconnects);
  }

  function renderUptime() {
    $('uptime').textContent = bus.openedAt === null ? '–' : duration(Date.now() - bus.openedAt);
  }

  function renderCountdown() {
    const bar = $('countdown-bar');
    bar.parentElement.hidden = retryAt === null;
    const done = retryAt ? Math.min(1, (Date.now() - retryAt.from) / retryAt.ms) : 0;
    bar.style.width = `${Math.round(done * 100)}%`;
  }

  function duration(ms) {
    const s = Math.floor(ms / 1000);
    if (s < 60) return `${s} s`;
    if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
    return `${Math.floor(s / 3600)} h ${String(Math.floor(s / 60) % 60).padStart(2, '0')} min`;
  }

  // ---- start --------------------------------------------------------------------------------------

  $('chat-name').textContent = chatName;
  $('chat-form').addEventListener('submit', sendChat);
  $('send-ping').addEventListener('click', sendPing);
  $('retry-now').addEventListener('click', () => bus.retryNow());
  setInterval(sendPing, PING_EVERY_MS);
  setInterval(checkPingAnswered, 1000);
  setInterval(renderUptime, 1000);
  setInterval(renderCountdown, 100);
  setInterval(refreshCluster, CLUSTER_EVERY_MS);
  bus.start();
})();
