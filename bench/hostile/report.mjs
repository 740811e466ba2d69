#!/usr/bin/env node
// The hostile soak's table: one row per attack from the driver's phases (timestamps, node samples, what the
// attack processes counted) and the watcher's events (canaries, probes), with each target marked.
//
//   node report.mjs --phases phases.jsonl --watch watch.jsonl [--meta meta.json --out x.jsonl --md x.md]
//   node report.mjs --phases phases.jsonl --watch watch.jsonl --last   # the last row; exit 3: the nodes need a restart
import fs from 'node:fs';
import { parseArgs } from './lib.mjs';

const args = parseArgs(process.argv.slice(2));
const readLines = (f) => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)) : []);
const phases = readLines(args.phases);
const watch = readLines(args.watch);
const NODES = ['a', 'b'];

// Targets of issue 14, with default settings.
const CANARY_MAX_GAP_MS = 2000;
// "Within 5 s after the largest storm the defaults allow": after a smaller storm all the more.
const PROBE_TARGETS = { churn: { during: 1000 }, subs: { after: 5000 }, 'subs-large': { after: 5000 } };
const HEAP_SLACK_KB = (beforeKb) => Math.max(16 * 1024, beforeKb * 0.1);
const HANDLER_SLACK = 10; // probes in flight on a node at the moment of the sample
const STACK_LINE = /\tat |\| at |Exception/;

const pct = (sorted, p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : null);

function canary(node, from, to) {
  // Publications of the window that the API accepted; the last 2.5 s of it may still be on their way.
  const pubs = watch.filter((e) => e.ev === 'pub' && e.node === node && e.sent >= from && e.sent <= to - 2500);
  const accepted = pubs.filter((e) => e.status === 202);
  const rx = new Map();
  for (const e of watch) if (e.ev === 'rx' && e.node === node && !rx.has(e.seq)) rx.set(e.seq, e);
  const lats = accepted.filter((p) => rx.has(p.seq)).map((p) => rx.get(p.seq).lat).sort((x, y) => x - y);
  const arrivals = watch.filter((e) => e.ev === 'rx' && e.node === node && e.t <= to).map((e) => e.t);
  const before = arrivals.filter((t) => t < from);
  const inside = arrivals.filter((t) => t >= from);
  const points = [...(before.length ? [before[before.length - 1]] : [from]), ...inside, to];
  let maxGap = 0;
  for (let i = 1; i < points.length; i++) maxGap = Math.max(maxGap, points[i] - points[i - 1]);
  const statuses = {};
  for (const p of pubs) if (p.status !== 202) statuses[p.status || 'none'] = (statuses[p.status || 'none'] ?? 0) + 1;
  return {
    published: pubs.length, accepted: accepted.length, publish_failures: pubs.length - accepted.length, publish_statuses: statuses,
    lost: accepted.filter((p) => !rx.has(p.seq)).length, max_gap_ms: maxGap, p99_ms: pct(lats, 99), max_ms: lats.at(-1) ?? null,
    reconnects: watch.filter((e) => e.ev === 'canary' && e.node === node && e.what === 'open' && e.t >= from && e.t <= to).length,
  };
}

function probes(from, to) {
  const ps = watch.filter((e) => e.ev === 'probe' && e.start >= from && e.start < to);
  const lat = ps.map((p) => (p.latency_ms ?? Infinity)).sort((x, y) => x - y);
  const reasons = {};
  for (const p of ps) if (p.miss) reasons[p.miss] = (reasons[p.miss] ?? 0) + 1;
  return { n: ps.length, p50_ms: pct(lat, 50), p99_ms: pct(lat, 99), misses: ps.filter((p) => p.miss).length, miss_reasons: reasons };
}

function logs(spec) {
  if (!spec || !fs.existsSync(spec.file)) return null;
  const lines = fs.readFileSync(spec.file, 'utf8').split('\n').slice(spec.from, spec.to);
  const names = {};
  let stack = 0;
  for (const l of lines) {
    if (!STACK_LINE.test(l)) continue;
    stack++;
    const m = /([A-Za-z0-9_$]+(?:Exception|Error))\b/.exec(l);
    if (m) names[m[1]] = (names[m[1]] ?? 0) + 1;
  }
  return {
    lines: lines.length, stack_lines: stack, severe: lines.filter((l) => / SEVERE /.test(l)).length,
    warnings: lines.filter((l) => / WARNING /.test(l)).length,
    exceptions: Object.fromEntries(Object.entries(names).sort((x, y) => y[1] - x[1]).slice(0, 4)),
  };
}

function merge(parts) {
  const answers = {};
  const stats = {};
  for (const p of parts) {
    for (const [k, v] of Object.entries(p.answers ?? {})) answers[k] = (answers[k] ?? 0) + v;
    for (const [k, v] of Object.entries(p.stats ?? {})) {
      if (typeof v !== 'number') continue;
      stats[k] = /_s(_|$)|_s$/.test(k) ? Math.max(stats[k] ?? 0, v) : (stats[k] ?? 0) + v;
    }
  }
  return { answers, stats };
}

function evaluate(row, freshNodes) {
  const s = row.samples;
  const canaries = Object.fromEntries(NODES.map((n) => [n, canary(n, row.t_start, row.t_after)]));
  const during = probes(row.t_start, row.t_end);
  const after = probes(row.t_end, row.t_after);
  const logCounts = Object.fromEntries(NODES.map((n) => [n, logs(row.logs?.[n])]));
  const { answers, stats } = merge(row.parts ?? []);
  const survived = NODES.every((n) => row.survival[n].alive && row.survival[n].health === 200 && row.survival[n].members === 2);
  const heapBack = NODES.every((n) => s.after[n].heap_kb != null && s.before[n].heap_kb != null
    && s.after[n].heap_kb <= s.before[n].heap_kb + HEAP_SLACK_KB(s.before[n].heap_kb));
  const handlersBack = NODES.every((n) => s.after[n].handlers != null && s.before[n].handlers != null
    && s.after[n].handlers <= s.before[n].handlers + HANDLER_SLACK);
  const target = PROBE_TARGETS[row.attack] ?? {};
  const checks = {
    survived,
    canaries: NODES.every((n) => canaries[n].lost === 0 && canaries[n].publish_failures === 0 && canaries[n].max_gap_ms <= CANARY_MAX_GAP_MS),
    probe: target.during != null ? during.p99_ms < target.during : target.after != null ? after.p99_ms < target.after : null,
    heap_back: heapBack,
    handlers_back: handlersBack,
    no_stack_traces: NODES.every((n) => logCounts[n] && logCounts[n].stack_lines === 0),
  };
  const failed = Object.entries(checks).filter(([, v]) => v === false).map(([k]) => k);
  return {
    label: row.attack, attack: row.attack, args: row.args, target: row.target, processes: row.processes, fresh_nodes: freshNodes,
    hold_s: row.hold_s, peak_after_s: (row.t_peak - row.t_start) / 1000, duration_s: (row.t_end - row.t_start) / 1000,
    answers, stats, canaries, probe_during: during, probe_after: after, probe_target_ms: target,
    samples: s, survival: row.survival, logs: logCounts, checks, pass: failed.length === 0, failed,
    needs_restart: !survived || !heapBack || !handlersBack,
  };
}

// ------------------------------------------------------------------ formatting
const mb = (kb) => (kb == null ? '?' : (kb / 1024).toFixed(0));
const sec = (msv) => (msv == null ? '–' : msv === Infinity ? '>20 s' : msv < 1000 ? `${Math.round(msv)} ms` : `${(msv / 1000).toFixed(1)} s`);
const answersCell = (a) => Object.entries(a).sort((x, y) => y[1] - x[1]).slice(0, 8).map(([k, v]) => `${k} ×${v}`).join(', ') || '–';
const canaryCell = (c) => `${c.lost}/${c.accepted} lost, gap ${sec(c.max_gap_ms)}, p99 ${sec(c.p99_ms)}`
  + (c.publish_failures ? `, ${c.publish_failures} publishes failed` : '') + (c.reconnects ? `, ${c.reconnects} reconnects` : '');
const probeCell = (p) => (p.n ? `${sec(p.p50_ms)} / ${sec(p.p99_ms)} / ${p.misses} of ${p.n}` : '–');
const trio = (s, n, k, f) => `${f(s.before[n][k])} → ${f(s.during[n][k])} → ${f(s.after[n][k])}`;
const num = (v) => (v == null ? '?' : String(v));
const logCell = (l) => {
  if (!l) return '?';
  const names = Object.entries(l.exceptions).map(([k, v]) => `${k} ×${v}`).join(', ');
  return `${l.stack_lines}${names ? ` (${names})` : ''}${l.lines ? `; ${l.lines} lines logged, ${l.warnings} WARNING, ${l.severe} SEVERE` : ''}`;
};
const survivalCell = (r) => NODES.map((n) => {
  const v = r.survival[n];
  return v.alive && v.health === 200 && v.members === 2 ? `${n} ok` : `${n} ${v.alive ? '' : 'dead, '}health ${v.health}, ${v.members} members`;
}).join('; ');

const HEADER = ['attack', 'server answered', 'canary a', 'canary b', 'probe during p50 / p99 / misses', 'probe after',
  'heap MB a: before → during → after', 'heap MB b', 'RSS MB a', 'RSS MB b', 'handlers a', 'handlers b',
  'stack traces a', 'stack traces b', 'survived', 'verdict'];
function tableRow(r) {
  const s = r.samples;
  const target = r.probe_target_ms.during != null ? ` (target p99 < ${sec(r.probe_target_ms.during)})` : '';
  const targetAfter = r.probe_target_ms.after != null ? ` (target p99 < ${sec(r.probe_target_ms.after)})` : '';
  return [r.attack + (r.fresh_nodes ? ' (fresh nodes)' : ''), answersCell(r.answers), canaryCell(r.canaries.a), canaryCell(r.canaries.b),
    probeCell(r.probe_during) + target, probeCell(r.probe_after) + targetAfter,
    trio(s, 'a', 'heap_kb', mb), trio(s, 'b', 'heap_kb', mb), trio(s, 'a', 'rss_kb', mb), trio(s, 'b', 'rss_kb', mb),
    trio(s, 'a', 'handlers', num), trio(s, 'b', 'handlers', num), logCell(r.logs.a), logCell(r.logs.b), survivalCell(r),
    r.pass ? 'pass' : `FAIL: ${r.failed.join(', ')}`];
}
const md = (rows) => [`| ${HEADER.join(' | ')} |`, `| ${HEADER.map(() => '---').join(' | ')} |`,
  ...rows.map((r) => `| ${tableRow(r).join(' | ')} |`)].join('\n');

// ------------------------------------------------------------------ main
const rows = [];
let fresh = false;
for (const p of phases) {
  if (p.restart) { fresh = true; continue; }
  rows.push(evaluate(p, fresh));
  fresh = false;
}

if (args.last) {
  const r = rows.at(-1);
  if (!r) process.exit(0);
  console.error(`  ${r.attack}: ${r.pass ? 'pass' : `FAIL (${r.failed.join(', ')})`}; answered ${answersCell(r.answers)}; `
    + `canaries a ${canaryCell(r.canaries.a)}, b ${canaryCell(r.canaries.b)}; probe during ${probeCell(r.probe_during)}, `
    + `after ${probeCell(r.probe_after)}; heap MB a ${trio(r.samples, 'a', 'heap_kb', mb)}, b ${trio(r.samples, 'b', 'heap_kb', mb)}; `
    + `stack lines a ${logCell(r.logs.a)}, b ${logCell(r.logs.b)}; ${survivalCell(r)}`);
  process.exit(r.needs_restart ? 3 : 0);
}

const meta = args.meta && fs.existsSync(args.meta) ? JSON.parse(fs.readFileSync(args.meta, 'utf8')) : { type: 'meta' };
if (args.out) fs.writeFileSync(args.out, [meta, ...rows].map((r) => JSON.stringify(r)).join('\n') + '\n');
const passed = rows.filter((r) => r.pass).length;
const doc = `# Hostile soak, ${meta.ts ?? new Date().toISOString()}\n\n`
  + `Jar: \`${meta.jar ?? '?'}\` (${meta.jar_label ?? 'commit ' + (meta.commit ?? '?')}), SCALE=${meta.scale ?? '?'}, `
  + `node JVM: \`${meta.node_java_opts ?? '?'}\`${meta.node_args ? `, node flags \`${meta.node_args}\`` : ''}; `
  + `load average at the end ${meta.loadavg_at_end ?? '?'} on ${meta.cpus ?? '?'} cores.\n\n`
  + `${passed} of ${rows.length} attacks pass every target.\n\n${md(rows)}\n`;
if (args.md) fs.writeFileSync(args.md, doc);
console.log(doc);
