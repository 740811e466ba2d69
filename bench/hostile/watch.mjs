#!/usr/bin/env node
// The well-behaved side of the hostile soak, running for the whole soak beside the attacks:
//
//   node watch.mjs --nodes a=19080:19081,b=19082:19083 --out watch.jsonl --status status.json [--run r1]
//
// - a canary on each node: one ws client registered on public.canary.<run>.<node>, receiving one numbered
//   publication a second, published through the OTHER node's REST API; it reconnects when its socket is
//   closed (a restarted node), and every publication it should have had is in the log;
// - the registration probe: every second a fresh socket on one node (a, b, a, ...) registers a fresh address,
//   then the other node's REST API publishes on it (every 100 ms, every 500 ms after 2 s) until it arrives:
//   the latency from the register to the first arrival, a miss after 20 s.
// One JSON line per event in --out (pub, rx, canary, probe); --status, rewritten every second, says
// whether each canary is live (the driver waits for it before an attack and after a restart).
import fs from 'node:fs';
import http from 'node:http';
import WebSocket from 'ws';
import { parseArgs, sleep, now, post } from './lib.mjs';

const args = parseArgs(process.argv.slice(2));
const NODES = Object.fromEntries((args.nodes || 'a=19080:19081,b=19082:19083').split(',').map((e) => {
  const [name, ports] = e.split('=');
  const [bridge, api] = ports.split(':').map(Number);
  return [name, { name, bridge, api }];
}));
const names = Object.keys(NODES);
const other = (n) => names[(names.indexOf(n) + 1) % names.length];
const run = args.run || Math.random().toString(36).slice(2, 8);
const PROBE_EVERY_MS = Number(args.probeIntervalMs ?? 1000);
const PROBE_CAP_MS = Number(args.probeCapMs ?? 20000);
const out = fs.createWriteStream(args.out || 'watch.jsonl', { flags: 'a' });
const log = (ev) => out.write(JSON.stringify({ t: now(), ...ev }) + '\n');
const agents = Object.fromEntries(names.map((n) => [n, new http.Agent({ keepAlive: true, maxSockets: 16 })]));
const publishUrl = (n, address) => `http://127.0.0.1:${NODES[n].api}/api/publish/${address}`;
const wsUrl = (n) => `ws://127.0.0.1:${NODES[n].bridge}/eventbus/websocket`;
const KEEPALIVE = JSON.stringify({ type: 'ping' });
let stopping = false;

// ------------------------------------------------------------------ canaries
const canaries = Object.fromEntries(names.map((n) => [n, { address: `public.canary.${run}.${n}`, open: false, lastRx: 0, seq: 0 }]));

function connectCanary(n) {
  const c = canaries[n];
  const ws = new WebSocket(wsUrl(n), { perMessageDeflate: false, handshakeTimeout: 5000 });
  let ka;
  ws.on('open', () => {
    c.open = true;
    ws.send(JSON.stringify({ type: 'register', address: c.address }));
    ka = setInterval(() => ws.readyState === WebSocket.OPEN && ws.send(KEEPALIVE), 5000);
    log({ ev: 'canary', node: n, what: 'open' });
  });
  ws.on('message', (data) => {
    const m = JSON.parse(data.toString());
    if (m.type === 'rec' && m.address === c.address) {
      c.lastRx = now();
      log({ ev: 'rx', node: n, seq: m.body.seq, lat: c.lastRx - m.body.sent });
    } else if (m.type === 'err') log({ ev: 'canary', node: n, what: `err ${m.body}` });
  });
  ws.on('unexpected-response', (_req, res) => { log({ ev: 'canary', node: n, what: `http ${res.statusCode}` }); res.resume(); });
  ws.on('error', (e) => log({ ev: 'canary', node: n, what: `error ${e.code || e.message}` }));
  ws.on('close', (code) => {
    clearInterval(ka);
    if (c.open) log({ ev: 'canary', node: n, what: `close ${code}` });
    c.open = false;
    if (!stopping) setTimeout(() => connectCanary(n), 500);
  });
}

/** One numbered publication a second per canary, each through the other node's REST API, on a fixed schedule. */
function publishCanaries() {
  const t0 = now();
  let tick = 0;
  const next = async () => {
    if (stopping) return;
    tick++;
    setTimeout(next, Math.max(0, t0 + tick * 1000 - now()));
    await Promise.all(names.map(async (n) => {
      const c = canaries[n];
      const seq = ++c.seq;
      const sent = now();
      const status = await post(agents[other(n)], publishUrl(other(n), c.address), { seq, sent }, 5000);
      log({ ev: 'pub', node: n, seq, sent, status, ms: now() - sent });
    }));
  };
  next();
}

// ------------------------------------------------------------------ the registration probe
let probes = 0;

async function probe() {
  const i = ++probes;
  const n = names[i % names.length];
  const address = `public.probe.${run}.${i}`;
  const t = now();
  const ws = new WebSocket(wsUrl(n), { perMessageDeflate: false, handshakeTimeout: 5000 });
  let arrived = null;
  let failure = null;
  let ka;
  const opened = await new Promise((resolve) => {
    ws.on('open', () => resolve(true));
    ws.on('unexpected-response', (_req, res) => { failure = `http ${res.statusCode}`; res.resume(); resolve(false); });
    ws.on('error', (e) => { failure ??= `connect ${e.code || e.message}`; resolve(false); });
    ws.on('close', (code) => { failure ??= `close ${code}`; resolve(false); });
  });
  const connectMs = now() - t;
  if (!opened) {
    log({ ev: 'probe', i, node: n, start: t, connect_ms: connectMs, miss: failure });
    ws.terminate();
    return;
  }
  ws.on('message', (data) => {
    const m = JSON.parse(data.toString());
    if (m.type === 'rec' && m.address === address && arrived === null) arrived = now();
  });
  ka = setInterval(() => ws.readyState === WebSocket.OPEN && ws.send(KEEPALIVE), 5000);
  ws.send(JSON.stringify({ type: 'register', address }));
  const t0 = now();
  let publishes = 0;
  while (arrived === null && ws.readyState === WebSocket.OPEN && now() - t0 < PROBE_CAP_MS && !stopping) {
    const due = now() + (now() - t0 < 2000 ? 100 : 500);
    publishes++;
    await post(agents[other(n)], publishUrl(other(n), address), { probe: i }, 2000);
    while (arrived === null && now() < due) await sleep(10);
  }
  clearInterval(ka);
  const entry = { ev: 'probe', i, node: n, start: t0, connect_ms: connectMs, publishes };
  if (arrived !== null) entry.latency_ms = arrived - t0;
  else entry.miss = ws.readyState === WebSocket.OPEN ? `no arrival in ${PROBE_CAP_MS / 1000} s` : failure ?? 'closed';
  log(entry);
  ws.terminate();
}

function probeForever() {
  const t0 = now();
  let tick = 0;
  const next = () => {
    if (stopping) return;
    tick++;
    setTimeout(next, Math.max(0, t0 + tick * PROBE_EVERY_MS - now()));
    probe().catch((e) => log({ ev: 'probe', i: -1, miss: `probe failed: ${e.message}` }));
  };
  next();
}

// ------------------------------------------------------------------ status for the driver
function writeStatus() {
  const s = Object.fromEntries(names.map((n) => [n, { open: canaries[n].open, lastRx: canaries[n].lastRx }]));
  fs.writeFileSync(`${args.status}.tmp`, JSON.stringify({ t: now(), probes, ...s }));
  fs.renameSync(`${args.status}.tmp`, args.status);
}

for (const n of names) connectCanary(n);
publishCanaries();
probeForever();
if (args.status) setInterval(writeStatus, 1000);
const stop = async () => {
  stopping = true;
  log({ ev: 'stop' });
  await sleep(200);
  out.end(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
