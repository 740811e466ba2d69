#!/usr/bin/env node
// One attack of the hostile soak (bench/run-hostile-soak.sh), or one process's part of it:
//
//   node attack.mjs <attack> --nodes a=19080:19081,b=19082:19083 [--target a|b|both] [--part 0 --parts 1]
//        [--local-addresses 127.0.1.2] [--peak-file F --release-file G --max-hold-ms N] [sizes of the attack]
//
// It builds the attack up, writes the peak file (the driver samples the nodes then), holds until the release
// file appears, lets go of everything and prints one JSON line: what the server answered, counted
// ("answers": close codes, HTTP statuses, err frames, resets), and what was sent ("stats").
// Every phase is bounded in time; nothing is retried.
import net from 'node:net';
import WebSocket from 'ws';
import { parseArgs, sleep, now, Tally, pool, markPeak, waitRelease, localAddresses, finish } from './lib.mjs';
import { connect as rawConnect, frame, text, OP } from './rawws.mjs';

const args = parseArgs(process.argv.slice(2));
const attack = args._[0];
const NODES = Object.fromEntries((args.nodes || 'a=19080:19081,b=19082:19083').split(',').map((e) => {
  const [name, ports] = e.split('=');
  const [bridge, api] = ports.split(':').map(Number);
  return [name, { name, bridge, api }];
}));
const targets = (args.target || 'both') === 'both' ? Object.values(NODES) : [NODES[args.target]];
const part = Number(args.part ?? 0);
const parts = Number(args.parts ?? 1);
const nextLocal = localAddresses(args.localAddresses);
const num = (k, d) => Number(args[k] ?? d);
const answers = new Tally();
const stats = {};
const started = now();
const peak = () => markPeak(args.peakFile);
const waitForRelease = (done) => waitRelease({ releaseFile: args.releaseFile, maxHoldMs: num('maxHoldMs', 120000), done });
const hold = (done) => { peak(); return waitForRelease(done); };
const CONNECT_MS = num('maxConnectMs', 120000);
const KEEPALIVE = JSON.stringify({ type: 'ping' });

/** This process's share of n items (item i belongs to part i % parts). */
const mine = (n) => Array.from({ length: n }, (_, i) => i).filter((i) => i % parts === part);
const nodeOf = (i) => targets[i % targets.length];

// ------------------------------------------------------------------ well-behaved framing, hostile volume (ws)

/** Opens a ws client; resolves it once open, or null (the refusal counted) after an error or timeout. */
function openWs(node, onText) {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${node.bridge}/eventbus/websocket`,
      { perMessageDeflate: false, handshakeTimeout: 10000, localAddress: nextLocal() });
    let opened = false;
    let refused = false;
    ws.on('unexpected-response', (_req, res) => {
      refused = true;
      answers.add(`http ${res.statusCode}`);
      res.resume();
      ws.terminate();
    });
    ws.on('open', () => { opened = true; answers.add('http 101'); resolve(ws); });
    ws.on('message', (data) => {
      const s = data.toString();
      if (s.startsWith('{"type":"err"')) answers.add(`err ${JSON.parse(s).body}`);
      else if (onText) onText(s);
    });
    ws.on('error', (e) => { if (!opened && !refused) answers.add(`connect ${e.code || e.message}`); });
    ws.on('close', (code) => {
      if (!opened) return resolve(null);
      if (!ws.releasedByUs) answers.add(`close ${code}`);
    });
  });
}

/** The bridge closes a socket silent for 10 s: a patient attacker pings like the stock client. */
function keepAlive(sockets) {
  return setInterval(() => { for (const ws of sockets) if (ws.readyState === WebSocket.OPEN) ws.send(KEEPALIVE); }, 5000);
}

async function release(sockets) {
  let open = 0;
  for (const ws of sockets) {
    if (ws.readyState === WebSocket.OPEN) open++;
    ws.releasedByUs = true;
    ws.close(1000);
  }
  answers.add('open at end', open);
  await sleep(1000);
  for (const ws of sockets) ws.terminate();
}

/**
 * subs, subs-large: connections each registering on its own distinct addresses, held open. presence: the same on
 * chat addresses (which keep presence), each register showing a name of --name-bytes: an entry per register in the
 * cluster's presence map and in every node's copy of it.
 */
async function subscriptionFlood() {
  const conns = mine(num('connections', 2000));
  const perSocket = num('perSocket', 64);
  const prefix = args.addressPrefix || 'public.x.';
  const nameBytes = num('nameBytes', 0);
  const headers = nameBytes > 0 ? `,"headers":{"name":"${'n'.repeat(nameBytes)}"}` : '';
  const sockets = [];
  const ka = keepAlive(sockets);
  let registers = 0;
  await pool(conns.length, num('concurrency', 64), async (j) => {
    const i = conns[j];
    const ws = await openWs(nodeOf(i));
    if (!ws) return;
    sockets.push(ws);
    for (let k = 0; k < perSocket; k++) ws.send(`{"type":"register","address":"${prefix}${i * perSocket + k}"${headers}}`);
    registers += perSocket;
  }, started + CONNECT_MS);
  Object.assign(stats, { connections: conns.length, opened: sockets.length, registers, connect_s: (now() - started) / 1000 });
  await sleep(1000);
  await hold(() => sockets.every((ws) => ws.readyState !== WebSocket.OPEN));
  clearInterval(ka);
  await release(sockets);
}

/** churn: register/unregister pairs on fresh addresses, just under the frame-rate limit. */
async function churn() {
  const ids = mine(num('sockets', 20));
  const pairs = num('pairs', 2000);
  const fps = num('framesPerSecond', 98);
  const sockets = (await Promise.all(ids.map((i) => openWs(nodeOf(i))))).filter(Boolean);
  const ka = keepAlive(sockets);
  const t0 = now();
  let sent = 0;
  // The driver samples the nodes half way through: the churn is the attack, there is nothing to hold after it.
  const halfway = setTimeout(peak, (pairs / (fps / 2)) * 500);
  await Promise.all(sockets.map(async (ws, s) => {
    // Every 100 ms the frames due by then: fps/10 frames, i.e. fps/20 pairs (carried over when fractional).
    let done = 0;
    const deadline = t0 + CONNECT_MS;
    while (done < pairs && ws.readyState === WebSocket.OPEN && now() < deadline) {
      const due = Math.min(pairs, Math.floor(((now() - t0) / 1000) * (fps / 2)));
      for (; done < due; done++) {
        const address = `public.churn.${part}.${ids[s]}.${done}`;
        ws.send(`{"type":"register","address":"${address}"}`);
        ws.send(`{"type":"unregister","address":"${address}"}`);
        sent++;
      }
      await sleep(100);
    }
  }));
  clearTimeout(halfway);
  peak();
  Object.assign(stats, { sockets: ids.length, opened: sockets.length, pairs_sent: sent, churn_s: (now() - t0) / 1000 });
  await waitForRelease(() => true);
  clearInterval(ka);
  await release(sockets);
}

/** long-addresses: registrations on addresses of 30,000 characters (REST refuses beyond 256). */
async function longAddresses() {
  const conns = mine(num('connections', 40));
  const perSocket = num('perSocket', 64);
  const length = num('length', 30000);
  const sockets = [];
  const ka = keepAlive(sockets);
  await pool(conns.length, 8, async (j) => {
    const ws = await openWs(nodeOf(conns[j]));
    if (!ws) return;
    sockets.push(ws);
    for (let k = 0; k < perSocket; k++) {
      const head = `public.long.${part}.${conns[j]}.${k}.`;
      ws.send(`{"type":"register","address":"${head}${'a'.repeat(length - head.length)}"}`);
    }
  }, started + CONNECT_MS);
  Object.assign(stats, { connections: conns.length, opened: sockets.length, address_chars: length });
  await sleep(1000);
  await hold(() => sockets.every((ws) => ws.readyState !== WebSocket.OPEN));
  clearInterval(ka);
  await release(sockets);
}

// ------------------------------------------------------------------ raw frames (rawws)

async function openRaw(node) {
  try {
    const c = await rawConnect({ port: node.bridge, localAddress: nextLocal() });
    answers.add(`http ${c.status}`);
    if (c.status !== 101) { c.socket.destroy(); return null; }
    c.reader.onText = (s) => { if (s.startsWith('{"type":"err"')) answers.add(`err ${JSON.parse(s).body}`); };
    return c;
  } catch (e) {
    answers.add(`connect ${e.code || e.message}`);
    return null;
  }
}

/** Writes a frame; resolves false once the socket is gone, waits for drain when the kernel's buffer is full. */
function write(c, bytes, deadline) {
  return new Promise((resolve) => {
    if (c.socket.destroyed || c.reader.outcome) return resolve(false);
    if (c.socket.write(bytes)) return resolve(true);
    const left = Math.max(0, deadline - now());
    const timer = setTimeout(() => { cleanup(); resolve(false); }, left);
    const onDrain = () => { cleanup(); resolve(true); };
    const onGone = () => { cleanup(); resolve(false); };
    const cleanup = () => { clearTimeout(timer); c.socket.off('drain', onDrain); c.socket.off('close', onGone); c.socket.off('error', onGone); };
    c.socket.once('drain', onDrain);
    c.socket.once('close', onGone);
    c.socket.once('error', onGone);
  });
}

/** Reads for up to ms what the server sent (its close frame is behind whatever queued), then counts outcomes. */
async function settleRaw(conns, ms) {
  for (const c of conns) c.socket.resume();
  const until = now() + ms;
  while (now() < until && conns.some((c) => !c.reader.outcome)) await sleep(100);
  for (const c of conns) {
    answers.add(c.reader.outcome ?? 'open at end');
    stats.pongs_read = (stats.pongs_read ?? 0) + c.reader.pongs;
    c.socket.destroy();
  }
}

/**
 * ping: WebSocket pings, never reading the pongs; a bridge ping every 4 s keeps each socket from the idle sweep.
 * Written 500 to a write (the same bytes on the wire): millions of one-frame writes would measure Node instead.
 */
async function pingFlood() {
  const ids = mine(num('sockets', 30));
  const perSocket = num('pingsPerSocket', 200000);
  const ping = frame(OP.PING, Buffer.alloc(num('payload', 125), 0x70));
  const BATCH = 500;
  const batch = Buffer.concat(Array(BATCH).fill(ping));
  const keep = text(KEEPALIVE);
  const conns = (await Promise.all(ids.map((i) => openRaw(nodeOf(i))))).filter(Boolean);
  for (const c of conns) c.socket.pause();
  const deadline = now() + num('maxSendMs', 60000);
  let sent = 0;
  await Promise.all(conns.map(async (c) => {
    let kept = now();
    for (let k = 0; k < perSocket && now() < deadline; k += BATCH) {
      if (now() - kept > 4000) { kept = now(); if (!(await write(c, keep, deadline))) break; }
      const n = Math.min(BATCH, perSocket - k);
      if (!(await write(c, n === BATCH ? batch : batch.subarray(0, n * ping.length), deadline))) break;
      sent += n;
    }
  }));
  const ka = setInterval(() => { for (const c of conns) if (!c.reader.outcome && !c.socket.destroyed) c.socket.write(keep); }, 4000);
  Object.assign(stats, { sockets: ids.length, opened: conns.length, pings_sent: sent, send_s: (now() - started) / 1000 });
  await hold(() => false);
  clearInterval(ka);
  await settleRaw(conns, 3000);
}

/** fragments: messages begun in fragments and never finished (WebSocket pings keep them alive meanwhile). */
async function unfinishedFragments() {
  const ids = mine(num('sockets', 2000));
  const count = num('fragments', 4);
  const bytes = num('fragmentBytes', 60 * 1024);
  const body = Buffer.alloc(bytes, 0x61);
  Buffer.from('{"type":"publish","address":"public.frag","body":"').copy(body);
  const first = frame(OP.TEXT, body, false);
  const more = frame(OP.CONT, body, false);
  const keep = frame(OP.PING, Buffer.from('k'));
  const conns = [];
  let fragments = 0;
  await pool(ids.length, num('concurrency', 64), async (j) => {
    const c = await openRaw(nodeOf(ids[j]));
    if (!c) return;
    conns.push(c);
    const deadline = now() + 30000;
    for (let k = 0; k < count; k++) {
      if (!(await write(c, k === 0 ? first : more, deadline))) break;
      fragments++;
    }
  }, started + CONNECT_MS);
  const ka = setInterval(() => { for (const c of conns) if (!c.reader.outcome && !c.socket.destroyed) c.socket.write(keep); }, 4000);
  Object.assign(stats, { sockets: ids.length, opened: conns.length, fragments_sent: fragments, send_s: (now() - started) / 1000 });
  await hold(() => conns.every((c) => c.reader.outcome));
  clearInterval(ka);
  await settleRaw(conns, 1000);
}

/** utf8: a text frame that is not UTF-8 (1007 is the answer RFC 6455 asks for). */
async function invalidUtf8() {
  const ids = mine(num('sockets', 20));
  const bad = frame(OP.TEXT, Buffer.concat([Buffer.from('{"type":"ping","x":"'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"}')]));
  const conns = (await Promise.all(ids.map((i) => openRaw(nodeOf(i))))).filter(Boolean);
  for (const c of conns) c.socket.write(bad);
  await sleep(2000); // an err frame or a close: both come at once

  Object.assign(stats, { sockets: ids.length, opened: conns.length });
  await hold(() => true);
  await settleRaw(conns, 1000);
}

// ------------------------------------------------------------------ slowloris and abandoned requests (net)

/**
 * slowloris: HTTP requests that never finish, trickling a header line (or a body byte) every trickleMs.
 * A quarter each: an upgrade to /eventbus/websocket and a SockJS xhr_send body on the bridge port, a publish
 * whose headers or whose body never end on the REST port.
 */
async function slowloris() {
  const ids = mine(num('connections', 4600));
  const trickleMs = num('trickleMs', 5000);
  const bodyBytes = 60000;
  const kinds = [
    { port: 'bridge', start: (h) => `GET /eventbus/websocket HTTP/1.1\r\nHost: ${h}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n`, drip: (k) => `X-Slow-${k}: a\r\n` },
    { port: 'bridge', start: (h) => `POST /eventbus/000/slow${part}x${Math.random().toString(36).slice(2)}/xhr_send HTTP/1.1\r\nHost: ${h}\r\nContent-Type: text/plain\r\nContent-Length: ${bodyBytes}\r\n\r\n["`, drip: () => 'a' },
    { port: 'api', start: (h) => `POST /api/publish/public.slow HTTP/1.1\r\nHost: ${h}\r\nContent-Type: application/json\r\n`, drip: (k) => `X-Slow-${k}: a\r\n` },
    { port: 'api', start: (h) => `POST /api/publish/public.slow HTTP/1.1\r\nHost: ${h}\r\nContent-Type: application/json\r\nContent-Length: ${bodyBytes}\r\n\r\n{"a":"`, drip: () => 'a' },
  ];
  const conns = [];
  const closeTimes = [];
  let connected = 0;
  const open = (i) => new Promise((resolve) => {
    const node = nodeOf(i);
    const kind = kinds[Math.floor(i / targets.length) % kinds.length];
    const port = node[kind.port];
    const c = { socket: net.connect({ host: '127.0.0.1', port, localAddress: nextLocal() }), ours: false, done: false, drips: 0 };
    const timer = setTimeout(() => { if (!c.connectedAt) { answers.add('connect timeout'); c.ours = true; c.socket.destroy(); resolve(); } }, 10000);
    c.socket.on('connect', () => {
      clearTimeout(timer);
      c.connectedAt = now();
      connected++;
      conns.push(c);
      c.socket.write(kind.start(`127.0.0.1:${port}`));
      c.drip = setInterval(() => { if (!c.socket.destroyed) c.socket.write(kind.drip(c.drips++)); }, trickleMs);
      resolve();
    });
    c.socket.on('data', (d) => {
      if (c.status) return;
      c.status = /^HTTP\/1\.1 (\d{3})/.exec(d.toString('latin1'))?.[1] ?? '?';
      answers.add(`${kind.port} http ${c.status}`);
    });
    c.socket.on('error', (e) => {
      if (!c.connectedAt) { clearTimeout(timer); answers.add(`connect ${e.code || e.message}`); resolve(); }
      else if (!c.ours) c.error = e.code || e.message;
    });
    c.socket.on('close', () => {
      clearInterval(c.drip);
      c.done = true;
      if (!c.connectedAt || c.ours) return;
      closeTimes.push((now() - c.connectedAt) / 1000);
      answers.add(`${kind.port} ${c.error === 'ECONNRESET' ? 'reset' : 'closed'} by server`);
    });
  });
  await pool(ids.length, num('concurrency', 256), (j) => open(ids[j]), started + CONNECT_MS);
  Object.assign(stats, { connections: ids.length, connected, connect_s: (now() - started) / 1000 });
  await hold(() => conns.every((c) => c.done));
  let stillOpen = 0;
  for (const c of conns) if (!c.done) { stillOpen++; c.ours = true; c.socket.destroy(); }
  answers.add('open at end', stillOpen);
  closeTimes.sort((x, y) => x - y);
  stats.closed_by_server = closeTimes.length;
  if (closeTimes.length) {
    stats.closed_after_s_p50 = closeTimes[Math.floor(closeTimes.length / 2)];
    stats.closed_after_s_max = closeTimes[closeTimes.length - 1];
  }
}

/** One raw HTTP request; resolves the status line's code ('none' if the server closed without one). */
function rawRequest(port, head, body, { abandon = false, timeoutMs = 10000 } = {}) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port, localAddress: nextLocal() });
    let got = '';
    const done = (what) => { clearTimeout(timer); socket.destroy(); resolve(what); };
    const timer = setTimeout(() => done('timeout'), timeoutMs);
    socket.on('connect', () => {
      socket.write(head);
      if (abandon) return setTimeout(() => done('abandoned'), 20);
      socket.write(body);
    });
    socket.on('data', (d) => {
      got += d.toString('latin1');
      const m = /^HTTP\/1\.1 (\d{3})/.exec(got);
      if (m) done(m[1]);
    });
    socket.on('error', (e) => done(e.code || e.message));
    socket.on('close', () => done('none'));
  });
}

/**
 * sockjs: malformed xhr_send bodies on fresh sessions (each opened by an xhr poll first), then REST requests
 * abandoned after their headers (the client closes before the body arrives).
 */
async function sockjs() {
  const node = targets[0];
  const perCase = num('perCase', 50);
  const big = 300 * 1024;
  const cases = {
    'null': { type: 'text/plain;charset=UTF-8', body: '[null]' },
    'over 256 KB': { type: 'text/plain;charset=UTF-8', body: `["${'a'.repeat(big)}"]` },
    'large form': { type: 'application/x-www-form-urlencoded', body: `d=${'a'.repeat(100 * 1024)}` },
    'not json': { type: 'text/plain;charset=UTF-8', body: 'not json' },
    'empty': { type: 'text/plain;charset=UTF-8', body: '' },
  };
  const host = `127.0.0.1:${node.bridge}`;
  const request = (path, type, body) =>
    `POST ${path} HTTP/1.1\r\nHost: ${host}\r\nContent-Type: ${type}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n`;
  for (const [name, c] of Object.entries(cases)) {
    await pool(perCase, 8, async (k) => {
      const session = `/eventbus/${100 + (k % 900)}/hostile${part}${name.replace(/\W/g, '')}${k}${Math.random().toString(36).slice(2, 8)}`;
      const open = await rawRequest(node.bridge, request(`${session}/xhr`, 'text/plain', ''), '');
      if (open !== '200') answers.add(`xhr open ${open}`);
      answers.add(`xhr_send ${name}: ${await rawRequest(node.bridge, request(`${session}/xhr_send`, c.type, c.body), c.body)}`);
    });
  }
  const abandoned = num('abandoned', 2000);
  const head = `POST /api/publish/public.abandoned HTTP/1.1\r\nHost: 127.0.0.1:${node.api}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"a":`;
  await pool(abandoned, 32, async () => answers.add(`abandoned REST: ${await rawRequest(node.api, head, '', { abandon: true })}`),
    started + CONNECT_MS);
  Object.assign(stats, { per_case: perCase, abandoned, requests_s: (now() - started) / 1000 });
  await hold(() => true);
}

const ATTACKS = {
  ping: pingFlood, subs: subscriptionFlood, 'subs-large': subscriptionFlood, presence: subscriptionFlood, churn, fragments: unfinishedFragments,
  slowloris, 'slowloris-large': slowloris, 'long-addresses': longAddresses, sockjs, utf8: invalidUtf8,
};
if (!ATTACKS[attack]) {
  console.error(`unknown attack ${attack}: one of ${Object.keys(ATTACKS).join(', ')}`);
  process.exit(2);
}
await ATTACKS[attack]();
finish({ attack, part, parts, answers, stats, ms: now() - started });
