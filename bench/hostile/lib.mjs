// What the attacks, the watcher and the report share: flags, counting answers, bounded concurrency, the
// peak/release hand-shake with the driver, and REST publishing.
import fs from 'node:fs';
import http from 'node:http';

/** --key value pairs (and bare --flag = true) into an object, camelCased. */
export function parseArgs(argv) {
  const out = { _: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) { out._.push(a); continue; }
    const key = a.slice(2).replace(/-([a-z])/g, (_, c) => c.toUpperCase());
    if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) out[key] = argv[++i];
    else out[key] = true;
  }
  return out;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const now = () => Date.now();

/** Counts of what the server answered, by words: 'http 101', 'close 1008', 'err rate_limited', 'reset'. */
export class Tally {
  constructor() { this.counts = {}; }
  add(what, n = 1) { this.counts[what] = (this.counts[what] ?? 0) + n; }
  toJSON() { return this.counts; }
}

/** Runs task(i) for i in [0, n) with at most `limit` at once; stops starting new ones after deadline. */
export async function pool(n, limit, task, deadline = Infinity) {
  let next = 0;
  const worker = async () => {
    while (next < n && Date.now() < deadline) {
      const i = next++;
      await task(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, n) }, worker));
  return next;
}

/** Tells the driver the attack is at its peak: it samples the nodes then, holds a while and says release. */
export function markPeak(peakFile) {
  if (peakFile && !fs.existsSync(peakFile)) fs.writeFileSync(peakFile, String(Date.now()));
}

/** Waits until the driver says release (the file appears), maxHoldMs pass, or done() says nothing is left to hold. */
export async function waitRelease({ releaseFile, maxHoldMs, done = () => false }) {
  const until = Date.now() + maxHoldMs;
  while (Date.now() < until && !(releaseFile && fs.existsSync(releaseFile)) && !done()) await sleep(200);
}

/** Source addresses for a process: a comma list, handed out round robin (each has ~28,000 ports per destination). */
export function localAddresses(list) {
  const all = (list || '').split(',').filter(Boolean);
  let i = 0;
  return () => (all.length ? all[i++ % all.length] : undefined);
}

/** POST a JSON body; resolves the status (0 on a connection error or timeout). */
export function post(agent, url, body, timeoutMs = 5000, headers = {}) {
  return new Promise((resolve) => {
    const data = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
    const req = http.request(url, {
      method: 'POST', agent, timeout: timeoutMs,
      headers: { 'content-type': 'application/json', 'content-length': data.length, ...headers },
    }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode)); res.on('error', () => resolve(0)); });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(0));
    req.end(data);
  });
}

/** Prints the summary line the driver collects and exits. */
export function finish(summary) {
  process.stdout.write(JSON.stringify(summary) + '\n', () => process.exit(0));
}
