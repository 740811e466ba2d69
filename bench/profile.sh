#!/usr/bin/env bash
# Where the nodes spend their time under fan-out: a two-node cluster from the built jar, 1,000 clients, one
# rate held for a while, a JFR recording of each node (and of the generator) over the measured part, and
# a summary of the hottest methods. For the hot-path work; not a benchmark (JFR costs a little).
#
#   bench/profile.sh                         # 50 msg/s = 50,000 deliveries/s for 20 s
#   RATE=100 DURATION=30 CLIENTS=1000 bench/profile.sh
#   MODE=idle CLIENTS=10000 bench/profile.sh # the connect phase of 10,000 idle connections instead
#   PERF=1 RATE=20 bench/profile.sh          # also perf record -g of node 2 (kernel and JIT threads too,
#                                            # which JFR does not see): shares by thread and by library
#
# Leaves node1.jfr, node2.jfr, generator.jfr and *.top.txt in the log folder printed at the end.
set -euo pipefail
BENCH=$(cd "$(dirname "$0")" && pwd)
source "$BENCH/cluster-lib.sh"
RATE=${RATE:-50}
DURATION=${DURATION:-20}
CLIENTS=${CLIENTS:-1000}
MODE=${MODE:-fanout}
WARMUP_S=${WARMUP_S:-10}

ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -Hn)"
private_jars
trap stop_all EXIT
trap 'echo "interrupted" >&2; exit 130' INT TERM
start_cluster

# Recordings start once the clients are connected and warm (fanout), or at once (idle: the connect phase).
delay=$([ "$MODE" = idle ] && echo 1 || echo $((WARMUP_S + 8)))
(
  sleep "$delay"
  for e in ${NODE_PIDS//,/ }; do
    jcmd "${e#*=}" JFR.start name=bench duration="${DURATION}s" settings=profile filename="$LOGS/${e%%=*}.jfr" >/dev/null
  done
  if [ "${PERF:-0}" = 1 ]; then
    perf record -F 999 -g -p "${NODE_PIDS##*node2=}" -o "$LOGS/node2.perf.data" -- sleep "$DURATION" >/dev/null 2>&1 ||
      echo "perf record failed (perf installed? kernel.perf_event_paranoid?)" >&2
  fi
) &
STARTED+=("$!")
# shellcheck disable=SC2086
java $BENCH_JAVA_OPTS -XX:StartFlightRecording=delay=${delay}s,duration=${DURATION}s,settings=profile,filename="$LOGS/generator.jfr" \
  -jar "$BENCH_JAR" --urls "$WS_URLS" --publish-url "$PUBLISH_URL" --pids "$NODE_PIDS" --clients "$CLIENTS" \
  --mode "$MODE" --rates "$RATE" --duration "$DURATION" --warmup-s "$WARMUP_S" --heap false --label profile \
  --max-runtime-s 300 2>>"$LOGS/generator.log" | grep '^{'
for f in node1 node2 generator; do  # JFR writes the file when the recording ends: wait for it (bounded)
  for _ in $(seq 100); do [ -s "$LOGS/$f.jfr" ] && break; sleep 0.2; done
done
sleep 1
for f in node1 node2 generator; do
  [ -f "$LOGS/$f.jfr" ] || { echo "no recording $f.jfr" >&2; continue; }
  java -cp "$BENCH_JAR" io.livegate.bench.JfrTop "$LOGS/$f.jfr" 30 >"$LOGS/$f.top.txt"
  echo "=== $f (full: $LOGS/$f.top.txt)"
  sed -n '1,/^-- inclusive/p' "$LOGS/$f.top.txt" | head -40
done
if [ -s "$LOGS/node2.perf.data" ]; then
  echo "=== node2 under perf: share of samples by thread, then by library ([kernel.kallsyms] = system calls)"
  perf report -i "$LOGS/node2.perf.data" --no-children --sort comm -g none --stdio 2>/dev/null | grep '%' | head -8
  perf report -i "$LOGS/node2.perf.data" --no-children --sort dso -g none --stdio 2>/dev/null | grep '%' | head -6
fi
echo "recordings and summaries in $LOGS" >&2
