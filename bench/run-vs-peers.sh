#!/usr/bin/env bash
# Our two-node cluster beside the peers (Node ws + Redis pub/sub; Socket.IO + Redis adapter, two instances
# each), all read by the PEERS' load generator (../shared/peer-bench/bench/loadgen.mjs) with the same flags,
# in one run, interleaved part by part so that the machine's noise falls on all three alike:
#   (a) latency:    1,000 clients over 2 nodes, 20 msg/s for 20 s, three times (2 client threads)
#   (b) throughput: 1,000 clients, a rate ladder, 10 s per step, until loss > 1 % or p99 > 1 s (1 client thread)
#   (c) idle:       10,000, then 20,000 connections (two loadgen processes of 10,000) over 2 nodes: RSS per connection
# The Socket.IO peer is read with the loadgen's raw Socket.IO client (socketio-raw): the like-for-like
# client, since ws-redis and the Vert.x bridge are read by raw WebSocket clients too.
# About 15 minutes. Writes bench/results/vs-peers-<UTC date>.jsonl and .md (one table, side by side).
#
#   bench/run-vs-peers.sh                          # livegate, ws-redis, socketio-redis
#   PARTS=b bench/run-vs-peers.sh livegate ws-redis
set -euo pipefail
BENCH=$(cd "$(dirname "$0")" && pwd)
source "$BENCH/cluster-lib.sh"

PEER_BENCH=${PEER_BENCH:-$(cd "$BENCH/../../shared/peer-bench" && pwd)}
LOADGEN=$PEER_BENCH/bench/loadgen.mjs
PARTS=${PARTS:-abc}
# Finer than doubling (x1.5, x1.33) so that "twice ws-redis's highest rate" can be told; the stop rule
# is the peers' (and the target's): loss > 1 % or p99 > 1 s.
B_RATES=${B_RATES:-50,75,100,150,200,300,400,600,800,1200,1600,2400,3200}
WARMUP_S=${WARMUP_S:-10}
REDIS_PORT=${REDIS_PORT:-6390}
OUT=${OUT:-$BENCH/results/vs-peers-$(date -u +%Y-%m-%d).jsonl}
SELECTED=("$@")
[ ${#SELECTED[@]} -eq 0 ] && SELECTED=(livegate ws-redis socketio-redis)

ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -Hn)"
[ "$(ulimit -n)" -ge 10100 ] || { echo "fd limit $(ulimit -n) is too low for 10,000 connections" >&2; exit 1; }
command -v redis-server >/dev/null || { echo "redis-server missing: apt-get install -y redis-server" >&2; exit 1; }
command -v node >/dev/null || { echo "node (20+) missing" >&2; exit 1; }
for dir in "$PEER_BENCH/bench" "$PEER_BENCH/peers/ws-redis" "$PEER_BENCH/peers/socketio-redis"; do
  [ -d "$dir/node_modules" ] || (cd "$dir" && npm ci --no-audit --no-fund --silent)
done
private_jars
mkdir -p "$(dirname "$OUT")"
trap stop_all EXIT
trap 'echo "interrupted" >&2; exit 130' INT TERM

# ------------------------------------------------------------------ the three systems
REDIS_PID=
start_redis() {
  need_free "$REDIS_PORT"
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize no \
    --logfile "$LOGS/redis.log" &
  REDIS_PID=$!
  STARTED+=("$REDIS_PID")
  for _ in $(seq 100); do port_free "$REDIS_PORT" || return 0; sleep 0.1; done
  echo "redis did not start" >&2; return 1
}
start_peer() { # peer port1 port2: Redis first (stopped last), then the two instances
  local peer=$1 port
  NODE_PIDS= WS_URLS= AUX=
  start_redis
  AUX="--aux-pids redis=$REDIS_PID"
  for port in "$2" "$3"; do
    need_free "$port"
    (cd "$PEER_BENCH/peers/$peer" && PORT=$port REDIS_URL="redis://127.0.0.1:$REDIS_PORT" exec node server.mjs) \
      >>"$LOGS/$peer-$port.log" 2>&1 &
    STARTED+=("$!")
    NODE_PIDS+="${NODE_PIDS:+,}n$port=$!"
  done
  for port in "$2" "$3"; do
    for _ in $(seq 100); do port_free "$port" || break; sleep 0.1; done
  done
  sleep 1
}

# Sets TARGET, URLS, PUBLISH, NODE_PORTS for one system and starts it.
start_system() {
  case $1 in
    livegate)
      start_cluster
      TARGET=vertx-bridge URLS=$WS_URLS PUBLISH=$PUBLISH_URL AUX=
      NODE_PORTS="$PORT_BASE $((PORT_BASE + 2))" ;;
    ws-redis)
      start_peer ws-redis 8090 8091
      TARGET=ws-redis URLS=ws://127.0.0.1:8090,ws://127.0.0.1:8091 PUBLISH='http://127.0.0.1:8090/publish/{channel}'
      NODE_PORTS="8090 8091" ;;
    socketio-redis)
      start_peer socketio-redis 8190 8191
      TARGET=socketio-raw URLS=http://127.0.0.1:8190,http://127.0.0.1:8191 PUBLISH='http://127.0.0.1:8190/publish/{channel}'
      NODE_PORTS="8190 8191" ;;
    *) echo "unknown system $1 (livegate, ws-redis, socketio-redis)" >&2; exit 2 ;;
  esac
}

# The peers' loadgen with the same flags for every system; LG_OUT overrides the result file.
loadgen_cmd() { # label args... -> LG
  local label=$1; shift
  LG=(timeout 400 node "$LOADGEN" --target "$TARGET" --urls "$URLS" --publish-url "$PUBLISH" --channel 'public.bench.{i}'
    --pids "$NODE_PIDS" --label "$label" --out "${LG_OUT:-$OUT}" --max-runtime-s 380 "$@")
  [ -z "$AUX" ] || LG+=($AUX)
}
loadgen() { # label args...
  loadgen_cmd "$@"
  echo "  $1" >&2
  "${LG[@]}" >/dev/null 2>>"$LOGS/loadgen.log" || echo "  $1 failed (exit $?; see $LOGS/loadgen.log)" >&2
}

rss_of_nodes() { # {"name":kb,...} of NODE_PIDS now
  local out= e
  for e in ${NODE_PIDS//,/ }; do
    out+="${out:+,}\"${e%%=*}\":$(awk '/VmRSS/ {print $2}' "/proc/${e#*=}/status")"
  done
  echo "{$out}"
}

established() { # client sockets established to the system's node ports
  local filter= p
  for p in $NODE_PORTS; do filter+="${filter:+ or }dport = :$p"; done
  ss -Htn state established "( $filter )" | wc -l
}

# 20,000 connections: one loadgen process holds at most ~19,900 sockets, so two of 10,000. The first holds
# its clients (a long settle) while the second connects and measures; a third line, written here, joins
# them: connected = both, RSS before = before the first, RSS after = the second's.
idle_20k() { # system
  local before first second
  before=$(rss_of_nodes)
  local tmp=$LOGS/$1-20k.jsonl
  : >"$tmp"
  LG_OUT=$tmp loadgen_cmd "$1/c-idle-20k/1" --mode idle --clients 10000 --connect-concurrency 64 --settle-s 45
  echo "  $1/c-idle-20k/1 (held while the second connects)" >&2
  (exec "${LG[@]}" >/dev/null 2>>"$LOGS/loadgen.log") &   # $! is timeout, which passes our TERM on to node
  first=$!
  STARTED+=("$first")
  for _ in $(seq 600); do [ "$(established)" -ge 10000 ] && break; kill -0 "$first" 2>/dev/null || break; sleep 0.1; done
  sleep 3  # the first process's probe: every one of its subscriptions live
  LG_OUT=$tmp loadgen "$1/c-idle-20k/2" --mode idle --clients 10000 --connect-concurrency 64 --settle-s 5
  wait "$first" 2>/dev/null || true
  cat "$tmp" >>"$OUT"
  node -e '
    const fs = require("fs");
    const [file, label, before] = process.argv.slice(1);
    const rs = fs.readFileSync(file, "utf8").split("\n").filter(Boolean).map(JSON.parse);
    const second = rs.find((r) => r.label.endsWith("/2")), first = rs.find((r) => r.label.endsWith("/1"));
    if (!first || !second) process.exit(0);
    const b = JSON.parse(before), a = second.rss_after_kb;
    const connected = first.connected + second.connected;
    const grown = Object.keys(b).reduce((s, k) => s + (a[k] - b[k]), 0);
    console.log(JSON.stringify({ ...second, ts: new Date().toISOString(), label, clients: first.clients + second.clients,
      connected, connect_failures: first.connect_failures + second.connect_failures, ready: first.ready + second.ready,
      connect_time_s: second.connect_time_s, rss_before_kb: b, rss_after_kb: a,
      rss_per_conn_bytes: Math.round((grown * 1024) / connected), loadgen_rss_kb: first.loadgen_rss_kb + second.loadgen_rss_kb,
      joined_from: "two loadgen processes of 10,000; RSS before the first, after the second" }));
  ' "$tmp" "$1/c-idle-20k" "$before" >>"$OUT"
}

# ------------------------------------------------------------------ the run
java -cp "$BENCH_JAR" io.livegate.bench.RunMeta tool=run-vs-peers.sh loadgen=peer-bench/bench/loadgen.mjs \
  node="$(node --version)" redis="$(redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/')" \
  livegate_node_java_opts="$NODE_JAVA_OPTS" livegate_node_roles=bridge,rest ${NODE_ARGS:+livegate_node_args="$NODE_ARGS"} \
  commit="$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null)$(git -C "$REPO" diff --quiet 2>/dev/null || echo +changes)" >>"$OUT"

if [[ $PARTS == *a* ]]; then
  for s in "${SELECTED[@]}"; do
    start_system "$s"
    for i in 1 2 3; do
      loadgen "$s/a-latency/$i" --workers 2 --clients 1000 --rates 20 --duration 20 --warmup-s "$WARMUP_S"
    done
    stop_all
  done
fi
if [[ $PARTS == *b* ]]; then
  for s in "${SELECTED[@]}"; do
    start_system "$s"
    loadgen "$s/b-throughput" --workers 1 --clients 1000 --rates "$B_RATES" --duration 10 --warmup-s "$WARMUP_S" \
      --stop-loss-pct 1 --stop-p99-ms 1000
    stop_all
  done
fi
if [[ $PARTS == *c* ]]; then
  for s in "${SELECTED[@]}"; do
    start_system "$s"
    loadgen "$s/c-idle-10k" --mode idle --clients 10000 --connect-concurrency 64 --settle-s 5
    # The same nodes again, once those 10,000 are gone: what a connection costs a running server, without
    # the first round's one-time costs (the JIT's code, a heap or an allocator growing to its working size).
    sleep 3
    loadgen "$s/c-idle-10k-warm" --mode idle --clients 10000 --connect-concurrency 64 --settle-s 5
    stop_all
    start_system "$s"
    idle_20k "$s"
    stop_all
  done
fi

echo "results: $OUT (logs in $LOGS)" >&2
java -cp "$BENCH_JAR" io.livegate.bench.Report "$OUT" --md "${OUT%.jsonl}.md" --plots "${OUT%.jsonl}"
