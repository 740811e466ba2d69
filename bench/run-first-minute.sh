#!/usr/bin/env bash
# What a fresh node costs its first clients, and how long it takes to be ready, with and without the warm-up and
# with a class-data-sharing archive (issue 17). For each variant, fresh nodes every time:
#   1. start node 1, then node 2 (which joins it): ms from node 2's JVM start to its "joined" log line and to
#      /ready 200 (polled every 50 ms);
#   2. at once, a connect storm of STORM (10,000) idle clients over both (64 handshakes in flight): connect time;
#   3. fresh nodes again, at once 1,000 clients and 20 msg/s for a minute, in six steps of 10 s, no unmeasured
#      warm-up traffic: p99 of each 10 s of the first minute.
#   bench/run-first-minute.sh                       # the variants warm, cold, cold-cds
#   VARIANTS="cold cold-cds" STORM=5000 bench/run-first-minute.sh
# Variants: warm (--warm-up true, the old default), cold (--warm-up false, the new default), cold-cds (cold, with
# -XX:SharedArchiveFile of the archive scripts/make-cds-archive.sh makes), cold-c1 (cold, with
# -XX:TieredStopAtLevel=1: the quick compiler only). Result lines go to
# bench/results/first-minute-<date>.jsonl (OUT), one per step, labelled variant/part.
set -euo pipefail
BENCH=$(cd "$(dirname "$0")" && pwd)
PORT_BASE=${PORT_BASE:-18180}
CLUSTER_PORT=${CLUSTER_PORT:-5861}
# shellcheck source=cluster-lib.sh
source "$BENCH/cluster-lib.sh"
VARIANTS=${VARIANTS:-warm cold cold-cds}
STORM=${STORM:-10000}
OUT=${OUT:-$BENCH/results/first-minute-$(date +%Y-%m-%d).jsonl}
BASE_OPTS=$NODE_JAVA_OPTS
trap stop_all EXIT
trap 'exit 130' INT TERM
private_jars
echo "logs in $LOGS; results to $OUT"

ms() { echo $(( $(date +%s%N) / 1000000 )); }

# One node of the variant: bridge,rest on PORT_BASE + 2(i-1) and the next; waits for /ready, prints the timings.
start_node() { # i variant
  local i=$1 variant=$2 bridge api pid t0 t_ready t_joined line
  bridge=$((PORT_BASE + 2 * (i - 1)))
  api=$((bridge + 1))
  local opts=$BASE_OPTS args="--warm-up false"
  [ "$variant" = warm ] && args="--warm-up true"
  [ "$variant" = cold-cds ] && opts="$opts -XX:SharedArchiveFile=$LOGS/node.jsa -Xshare:auto"
  [ "$variant" = cold-c1 ] && opts="$opts -XX:TieredStopAtLevel=1"
  t0=$(ms)
  # shellcheck disable=SC2086
  java $opts -jar "$NODE_JAR" --roles bridge,rest --http-host 127.0.0.1 --bridge-port "$bridge" --api-port "$api" \
    --cluster-name "$CLUSTER_NAME" --cluster-port "$CLUSTER_PORT" --members 127.0.0.1 $args \
    >"$LOGS/$variant-node$i.log" 2>&1 &
  pid=$!
  STARTED+=("$pid")
  wait_ready "$api" "$pid"
  t_ready=$(ms)
  # The first line after the join: the node's id is known from then on.
  line=$(grep -m1 -o '^[0-9T:.-]*Z' "$LOGS/$variant-node$i.log" || true)
  t_joined=$(date -d "$line" +%s%3N 2>/dev/null || echo "$t0")
  printf '{"label":"%s/start-node%s","ready_ms":%s,"joined_ms":%s,"ready_after_join_ms":%s}\n' "$variant" "$i" \
    $((t_ready - t0)) $((t_joined - t0)) $((t_ready - t_joined)) | tee -a "$OUT"
  NODE_PIDS+="${NODE_PIDS:+,}node$i=$pid"
  WS_URLS+="${WS_URLS:+,}ws://127.0.0.1:$bridge/eventbus/websocket"
}

fresh_cluster() { # variant
  stop_all
  NODE_PIDS= WS_URLS=
  start_node 1 "$1"
  start_node 2 "$1"
}

generator() { # label, then the generator's own options
  local label=$1
  shift
  # shellcheck disable=SC2086
  java $BENCH_JAVA_OPTS -jar "$BENCH_JAR" --urls "$WS_URLS" --pids "$NODE_PIDS" \
    --publish-url "http://127.0.0.1:$((PORT_BASE + 1))/api/publish/{channel}" --label "$label" --out "$OUT" "$@" \
    2>>"$LOGS/generator.log" | grep '^{' || true
}

# The archive as scripts/make-cds-archive.sh makes it (a training run of one node, then a static dump).
train_archive() {
  stop_all
  "$REPO/scripts/make-cds-archive.sh" "$NODE_JAR" "$LOGS/node.jsa"
}

printf '{"type":"meta","what":"first-minute","date":"%s","host_cpus":%s,"loadavg":"%s","node_java_opts":"%s"}\n' \
  "$(date -u +%FT%TZ)" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)" "$NODE_JAVA_OPTS" | tee -a "$OUT"
for variant in $VARIANTS; do
  [ "$variant" = cold-cds ] && [ ! -f "$LOGS/node.jsa" ] && train_archive
  fresh_cluster "$variant"
  generator "$variant/storm" --mode idle --clients "$STORM" --connect-concurrency 64 --settle-s 1
  fresh_cluster "$variant"
  generator "$variant/first-minute" --clients 1000 --rates 20,20,20,20,20,20 --duration 10 --warmup-s 0 --heap false
done
stop_all
echo "done: $OUT (logs: $LOGS)"
