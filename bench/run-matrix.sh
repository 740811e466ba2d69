#!/usr/bin/env bash
# The fixed benchmark matrix with our Java load generator, against a two-node cluster started from the
# built jar (loopback only, ports of its own, stopped by PID at the end, also on Ctrl-C):
#   (a) latency:    1,000 clients over 2 nodes, 20 msg/s for 20 s, three times
#   (b) throughput: 1,000 clients, rates doubling (25, 50, 100, 200, ...), 10 s each, until loss > 0.1 % or p99 > 250 ms
#   (c) idle:       10,000, then 20,000 connections over 2 nodes (two generator processes): memory per connection;
#                   64 handshakes in flight (as the peers' rig), and 20,000 once more with 16
# (a) and (b) run once per publish mode: REST (POST /api/publish on node 1) and cluster (a member publishing
# on the event bus). Fresh nodes for every part. About 10 minutes.
#
#   bench/run-matrix.sh                      # everything
#   PARTS=a MODES=rest bench/run-matrix.sh   # a part, a mode
#   B_RATES=100,150,200 bench/run-matrix.sh  # another ladder
#
# Appends to bench/results/bench-<UTC date>.jsonl (a meta line, then one line per run step) and writes
# bench-<date>.md and bench-<date>-latency.svg / -memory.svg beside it. Needs the jars:
#   mvn -B -q install -DskipTests      (or BUILD=1 bench/run-matrix.sh)
set -euo pipefail
BENCH=$(cd "$(dirname "$0")" && pwd)
source "$BENCH/cluster-lib.sh"

PARTS=${PARTS:-abc}
MODES=${MODES:-rest cluster}
B_RATES=${B_RATES:-25,50,100,200,400,800,1600,3200,6400}  # doubling; the rungs below 100 give the plot its low end
A_THREADS=${A_THREADS:-2}   # client event loops of the generator in (a)
B_THREADS=${B_THREADS:-2}   # and in (b)
WARMUP_S=${WARMUP_S:-10}    # unmeasured traffic first: the nodes' JIT needs it
OUT=${OUT:-$BENCH/results/bench-$(date -u +%Y-%m-%d).jsonl}

[ "${BUILD:-0}" = 1 ] && (cd "$REPO" && mvn -B -q install -DskipTests)
ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -Hn)"
[ "$(ulimit -n)" -ge 10100 ] || { echo "fd limit $(ulimit -n) is too low for 10,000 connections per process" >&2; exit 1; }
private_jars
mkdir -p "$(dirname "$OUT")"
trap stop_all EXIT
trap 'echo "interrupted" >&2; exit 130' INT TERM   # the EXIT trap then stops everything


# shellcheck disable=SC2086
java -cp "$BENCH_JAR" io.livegate.bench.RunMeta tool=run-matrix.sh \
  node_java_opts="$NODE_JAVA_OPTS" generator_java_opts="$BENCH_JAVA_OPTS" node_roles=bridge,rest ${NODE_ARGS:+node_args="$NODE_ARGS"} \
  commit="$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null)$(git -C "$REPO" diff --quiet 2>/dev/null || echo +changes)" >>"$OUT"

if [[ $PARTS == *a* ]]; then
  for mode in $MODES; do
    start_cluster
    for i in 1 2 3; do
      gen "livegate-$mode/a-latency/$i" --publish-mode "$mode" --clients 1000 --threads "$A_THREADS" \
        --rates 20 --duration 20 --warmup-s "$WARMUP_S"
    done
    stop_all
  done
fi
if [[ $PARTS == *b* ]]; then
  for mode in $MODES; do
    start_cluster
    gen "livegate-$mode/b-throughput" --publish-mode "$mode" --clients 1000 --threads "$B_THREADS" \
      --rates "$B_RATES" --duration 10 --warmup-s "$WARMUP_S" --stop-loss-pct 0.1 --stop-p99-ms 250
    stop_all
  done
fi
if [[ $PARTS == *c* ]]; then
  start_cluster
  gen livegate-rest/c-idle-10k --mode idle --clients 10000 --connect-concurrency 64 --settle-s 5
  sleep 3  # the same nodes again: a connection's cost to a running node, without the first round's one-time costs
  gen livegate-rest/c-idle-10k-warm --mode idle --clients 10000 --connect-concurrency 64 --settle-s 5
  stop_all
  start_cluster  # 20,000 sockets: two generator processes (fd limit 20,000 each), 10,000 per node
  gen livegate-rest/c-idle-20k --mode idle --clients 20000 --processes 2 --connect-concurrency 64 --settle-s 5
  stop_all
  start_cluster  # the same with 16 handshakes in flight instead of 64: a storm the nodes absorb
  gen livegate-rest/c-idle-20k-16 --mode idle --clients 20000 --processes 2 --connect-concurrency 16 --settle-s 5
  stop_all
fi

echo "results: $OUT (logs in $LOGS)" >&2
java -cp "$BENCH_JAR" io.livegate.bench.Report "$OUT" --md "${OUT%.jsonl}.md" --plots "${OUT%.jsonl}"
