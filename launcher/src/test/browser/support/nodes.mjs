// Real cluster nodes, each a `java -jar livegate-node.jar` process of its own, on 127.0.0.1 and free ports,
// in a cluster of their own (a unique name, an explicit member list). Every process started here is
// stopped by its PID: SIGTERM, then SIGKILL after a timeout, also when the test run dies.
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const targetDir = process.env.LIVEGATE_TARGET_DIR || path.resolve(here, '../../../../target');
const jar = process.env.LIVEGATE_JAR || path.join(targetDir, 'livegate-node.jar');
const java = process.env.LIVEGATE_JAVA || 'java';
const STOP_TIMEOUT_MS = 15000;

const running = new Set();
// The test runner killed or interrupted: take the nodes down with it.
process.on('exit', () => { for (const child of running) child.kill('SIGKILL'); });
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => process.exit(128 + os.constants.signals[signal]));

const handedOut = new Set();

/**
 * A port free on 127.0.0.1 now, below the kernel's ephemeral range (32768 and up on Linux): one of that range, free
 * when handed out, can be taken by a starting node's outgoing connection before the node binds it.
 */
export async function freePort() {
  for (let tries = 0; tries < 1000; tries++) {
    const port = 20000 + Math.floor(Math.random() * 12000);
    if (handedOut.has(port)) continue;
    if (await bindable(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error('no free port in 20000-31999');
}

function bindable(port) {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** Names, ports and the member list of a cluster of `count` nodes; nothing runs yet. */
export async function planCluster(names) {
  const clusterName = `browser-test-${process.pid}-${Date.now().toString(36)}`;
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'livegate-browser-'));
  const nodes = [];
  for (const name of names) {
    nodes.push({ name, bridgePort: await freePort(), apiPort: await freePort(), clusterPort: await freePort() });
  }
  const members = nodes.map((n) => `127.0.0.1:${n.clusterPort}`).join(',');
  for (const node of nodes) {
    node.url = `http://127.0.0.1:${node.bridgePort}`;
    node.api = `http://127.0.0.1:${node.apiPort}`;
    node.args = [
      '--http-host', '127.0.0.1', '--cluster-host', '127.0.0.1',
      '--bridge-port', String(node.bridgePort), '--api-port', String(node.apiPort),
      '--cluster-port', String(node.clusterPort), '--members', members, '--cluster-name', clusterName,
      '--simulator-min-ms', '300', '--simulator-max-ms', '900',
      // A page test wants its nodes at once (the jar's default too; said so that the tests do not depend on it).
      '--warm-up', 'false',
    ];
  }
  /** Stops every node of the cluster that runs, then removes its scratch folder. */
  const stop = async () => {
    await Promise.all(nodes.map(stopNode));
    rmSync(scratch, { recursive: true, force: true });
  };
  return { clusterName, scratch, nodes, stop };
}

/** Starts the node and resolves once its GET /ready answers 200 (it has joined and deployed its roles). */
export async function startNode(node, scratch, timeoutMs = 60000) {
  const logDir = path.join(targetDir, 'browser-tests');
  mkdirSync(logDir, { recursive: true });
  const log = createWriteStream(path.join(logDir, `node-${node.name}.log`), { flags: 'a' });
  const child = spawn(java, ['-Xmx256m', `-Dvertx.cacheDirBase=${path.join(scratch, 'vertx-cache-' + node.name)}`,
    '-jar', jar, ...node.args], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  running.add(child);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => {
    running.delete(child);
    resolve({ code, signal });
  }));
  node.process = { child, exited };
  const deadline = Date.now() + timeoutMs;
  let stopped = null;
  exited.then((how) => { stopped = how; });
  while (Date.now() < deadline) {
    if (stopped) throw new Error(`node ${node.name} exited during start-up (${JSON.stringify(stopped)}); see its log`);
    if ((await httpStatus(`${node.api}/ready`)) === 200) return node;
    await sleep(200);
  }
  await stopNode(node);
  throw new Error(`node ${node.name} not ready within ${timeoutMs} ms`);
}

/** Starts the nodes one after the other: a node started before the first one listens would form a cluster of its own. */
export async function startInOrder(cluster, nodes) {
  for (const node of nodes) await startNode(node, cluster.scratch);
}

/** SIGTERM (the node leaves the cluster cleanly), then SIGKILL if it has not exited in time. */
export async function stopNode(node) {
  if (!node.process) return;
  const { child, exited } = node.process;
  node.process = null;
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  }
}

/** kill -9 of the node's process (its PID, as started here), as a crash would; resolves once it has exited. */
export async function killNode(node) {
  if (!node.process) return;
  const { child, exited } = node.process;
  node.process = null;
  process.kill(child.pid, 'SIGKILL');
  await exited;
}

export async function httpStatus(url) {
  try {
    const response = await fetch(url);
    await response.arrayBuffer();
    return response.status;
  } catch (e) {
    return 0;
  }
}

export async function getJson(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GET ${url}: ${response.status}`);
  return response.json();
}

export async function postJson(url, body) {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
