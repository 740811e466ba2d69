#!/usr/bin/env bash
# What the history costs, measured on ONE two-node cluster so that both sides share the machine's noise: the bench
# channel public.bench.0 keeps a history (--history-addresses public\.bench\..+) and public.plain.0 does not;
# ROUNDS rounds, each of (a) latency (1,000 clients, 20 msg/s for 20 s) and (b) throughput (1,000 clients, the
# ladder until loss > 0.1 % or p99 > 250 ms) on each channel, the order swapped every round. Both channels are
# first run once unrecorded (400 msg/s for 20 s), so that the JIT's compilation of either path does not land in
# whichever side goes first. Prints the medians and ratios: (a) p99 kept / plain, (b) the highest rate held and its
# deliveries a second.
#   bench/run-history-cost.sh                 # 4 rounds, about 25 minutes
#   ROUNDS=2 NODE_JAR=/tmp/x.jar bench/run-history-cost.sh
#   PARTS=a ROUNDS=6 bench/run-history-cost.sh   # (a) only: more samples of a noisy p99
set -euo pipefail
BENCH=$(cd "$(dirname "$0")" && pwd)
NODE_ARGS="${NODE_ARGS:-} --history-addresses public\\.bench\\..+"
source "$BENCH/cluster-lib.sh"
ROUNDS=${ROUNDS:-4}
PARTS=${PARTS:-ab}
B_RATES=${B_RATES:-400,600,800,1000,1200,1400,1600,2000}
WARMUP_S=${WARMUP_S:-10}
OUT=${OUT:-$BENCH/results/history-cost-$(date -u +%Y-%m-%d-%H%M).jsonl}

ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -Hn)"
private_jars
mkdir -p "$(dirname "$OUT")"
trap stop_all EXIT
trap 'echo "interrupted" >&2; exit 130' INT TERM


# shellcheck disable=SC2086
java -cp "$BENCH_JAR" io.livegate.bench.RunMeta tool=run-history-cost.sh node_args="$NODE_ARGS" \
  commit="$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null)$(git -C "$REPO" diff --quiet 2>/dev/null || echo +changes)" >>"$OUT"
start_cluster
for side in kept plain; do
  channel=public.bench.{i}; [ "$side" = plain ] && channel=public.plain.{i}
  OUT="$LOGS/warm-up.jsonl" gen "$side/warm-up" --channel "$channel" --clients 1000 --rates 400 --duration 20 --warmup-s 5
done
for round in $(seq 1 "$ROUNDS"); do
  order="kept plain"; [ $((round % 2)) = 0 ] && order="plain kept"
  for side in $order; do
    [[ $PARTS == *a* ]] || continue
    channel=public.bench.{i}; [ "$side" = plain ] && channel=public.plain.{i}
    gen "$side/a-latency/$round" --channel "$channel" --clients 1000 --rates 20 --duration 20 --warmup-s "$WARMUP_S"
  done
  for side in $order; do
    [[ $PARTS == *b* ]] || continue
    channel=public.bench.{i}; [ "$side" = plain ] && channel=public.plain.{i}
    gen "$side/b-throughput/$round" --channel "$channel" --clients 1000 --rates "$B_RATES" --duration 10 \
      --warmup-s "$WARMUP_S" --stop-loss-pct 0.1 --stop-p99-ms 250
  done
done
stop_all
python3 - "$OUT" <<'PY'
import json, statistics, sys
runs = [json.loads(l) for l in open(sys.argv[1]) if '"rate"' in l]
def med(xs): return statistics.median(xs) if xs else float('nan')
a = {s: [r['p99_ms'] for r in runs if r['label'].startswith(s + '/a-')] for s in ('kept', 'plain')}
held = {}
for s in ('kept', 'plain'):
    by_round = {}
    for r in runs:
        if r['label'].startswith(s + '/b-'):
            ok = r.get('loss_pct', 100) <= 0.1 and r.get('p99_ms', 1e9) <= 250
            if ok: by_round[r['label']] = max(by_round.get(r['label'], (0, 0)), (r['rate'], r['deliveries_per_s']))
    held[s] = list(by_round.values())
print(f"(a) p99 at 20 msg/s, median of {len(a['kept'])}: kept {med(a['kept']):.1f} ms, plain {med(a['plain']):.1f} ms, "
      f"ratio {med(a['kept']) / med(a['plain']):.2f}  (all kept {sorted(a['kept'])}, plain {sorted(a['plain'])})")
for s in ('kept', 'plain'):
    print(f"(b) {s}: highest rate held per round {[h[0] for h in held[s]]}, deliveries/s {[h[1] for h in held[s]]}")
if held['kept'] and held['plain']:
    print(f"(b) deliveries/s at the highest rate held, median: kept {med([h[1] for h in held['kept']]):.0f}, plain "
          f"{med([h[1] for h in held['plain']]):.0f}, ratio {med([h[1] for h in held['kept']]) / med([h[1] for h in held['plain']]):.2f}")
PY
echo "results: $OUT (logs in $LOGS)" >&2
