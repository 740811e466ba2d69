# Sourced by the bench scripts: start and stop a two-node livegate cluster from the built jar, on loopback,
# with ports of its own (so it neither collides with nor joins anything else running on the machine).
# Every process started here is recorded in STARTED and stopped by PID (newest first) by stop_all.

REPO=$(cd "$BENCH/.." && pwd)
NODE_JAR=${NODE_JAR:-$REPO/launcher/target/livegate-node.jar}
BENCH_JAR=${BENCH_JAR:-$BENCH/target/livegate-bench.jar}
# What the README tells an operator to run: the default collector (G1), a 1 GiB heap cap, a fixed young
# generation of 64 MiB (so that the resident memory follows the live set, not the allocation rate, and a
# connect storm's handshakes die young instead of being promoted), a small initial heap (so that G1 does not
# regrow the heap the warm-up's collection shrank by half of 1/64 of the machine's memory at once) and native
# memory given back every 2 s.
NODE_JAVA_OPTS=${NODE_JAVA_OPTS:--Xms72m -Xmx1g -Xmn64m -XX:TrimNativeHeapInterval=2000 -XX:+UseG1GC}
# The generator: a large young generation, so that its own GC pauses (which add to every latency it reads)
# stay rare; ParallelGC for the least CPU per allocated byte.
BENCH_JAVA_OPTS=${BENCH_JAVA_OPTS:--Xms1g -Xmx1g -Xmn700m -XX:+UseParallelGC}
# More options for every node (say, NODE_ARGS="--warm-up false" to compare with and without the warm-up).
NODE_ARGS=${NODE_ARGS:-}
# More options for every generator run (say, GEN_ARGS="--publish-connections 64").
GEN_ARGS=${GEN_ARGS:-}
PORT_BASE=${PORT_BASE:-18080}     # node i: bridge PORT_BASE + 2(i-1), REST API one above
CLUSTER_PORT=${CLUSTER_PORT:-5801}
CLUSTER_NAME=livegate-bench-$$
LOGS=${LOGS:-$(mktemp -d /tmp/livegate-bench.XXXXXX)}

# Run private copies: others rebuild launcher/target while we measure, and a JVM whose jar is replaced
# under it fails with NoClassDefFoundError at the next class it loads.
private_jars() {
  [ -f "$NODE_JAR" ] || { echo "$NODE_JAR is missing: mvn -B -q install -DskipTests" >&2; exit 1; }
  [ -f "$BENCH_JAR" ] || { echo "$BENCH_JAR is missing: mvn -B -q install -DskipTests" >&2; exit 1; }
  cp "$NODE_JAR" "$LOGS/livegate-node.jar"
  cp "$BENCH_JAR" "$LOGS/livegate-bench.jar"
  NODE_JAR=$LOGS/livegate-node.jar
  BENCH_JAR=$LOGS/livegate-bench.jar
}

STARTED=()
stop_all() {
  local i pid
  for ((i = ${#STARTED[@]} - 1; i >= 0; i--)); do
    pid=${STARTED[i]}
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  STARTED=()
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
need_free() { port_free "$1" || { echo "port $1 is taken (set PORT_BASE / CLUSTER_PORT)" >&2; exit 1; }; }
wait_ready() { # api-port pid: bounded, 90 s
  for _ in $(seq 900); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$1/ready")" = 200 ] && return 0
    kill -0 "$2" 2>/dev/null || { echo "node on $1 exited during start-up (logs: $LOGS)" >&2; return 1; }
    sleep 0.1
  done
  echo "node on $1 not ready after 90 s (logs: $LOGS)" >&2; return 1
}

# Two nodes (roles bridge and rest: the simulator would only add noise), one after the other so that the
# second joins the first. Sets NODE_PIDS (node1=PID,node2=PID), WS_URLS, PUBLISH_URL, API1.
start_cluster() {
  local i bridge api pid
  for p in $PORT_BASE $((PORT_BASE + 1)) $((PORT_BASE + 2)) $((PORT_BASE + 3)) $CLUSTER_PORT $((CLUSTER_PORT + 1)) $((CLUSTER_PORT + 2)); do
    need_free "$p"
  done
  NODE_PIDS= WS_URLS=
  for i in 1 2; do
    bridge=$((PORT_BASE + 2 * (i - 1)))
    api=$((bridge + 1))
    # shellcheck disable=SC2086
    java $NODE_JAVA_OPTS -jar "$NODE_JAR" --roles bridge,rest --http-host 127.0.0.1 \
      --bridge-port "$bridge" --api-port "$api" --cluster-name "$CLUSTER_NAME" --cluster-port "$CLUSTER_PORT" \
      --members 127.0.0.1 $NODE_ARGS >>"$LOGS/node$i.log" 2>&1 &
    pid=$!
    STARTED+=("$pid")
    wait_ready "$api" "$pid"
    NODE_PIDS+="${NODE_PIDS:+,}node$i=$pid"
    WS_URLS+="${WS_URLS:+,}ws://127.0.0.1:$bridge/eventbus/websocket"
  done
  API1=$((PORT_BASE + 1))
  PUBLISH_URL="http://127.0.0.1:$API1/api/publish/{channel}"
  local n
  for _ in $(seq 100); do
    n=$(curl -s "http://127.0.0.1:$API1/api/cluster/nodes" | grep -o '"id"' | wc -l)
    [ "$n" -ge 2 ] && break
    sleep 0.1
  done
  [ "$n" -ge 2 ] || { echo "the two nodes did not form one cluster (logs: $LOGS)" >&2; return 1; }
  sleep 1
}

# One generator run against the cluster started, bounded; its lines go to $OUT. (run-matrix.sh, run-history-cost.sh)
gen() { # label args...: one generator run, bounded
  local label=$1; shift
  echo "  $label" >&2
  # shellcheck disable=SC2086
  timeout 420 java $BENCH_JAVA_OPTS -jar "$BENCH_JAR" --urls "$WS_URLS" --publish-url "$PUBLISH_URL" \
    --cluster-name "$CLUSTER_NAME" --cluster-port "$CLUSTER_PORT" --pids "$NODE_PIDS" \
    --label "$label" --out "$OUT" --max-runtime-s 400 "$@" $GEN_ARGS >/dev/null 2>>"$LOGS/generator.log" \
    || echo "  $label failed (exit $?; see $LOGS/generator.log)" >&2
}
