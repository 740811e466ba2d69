#!/usr/bin/env bash
# The hostile soak (issue 14): two nodes of the built jar with the README's production JVM settings, and
# each attack in turn, bounded in count and time, while a canary on each node and a registration probe
# (bench/hostile/watch.mjs) say what a well-behaved client sees:
#
#   ping             30 raw WebSockets to node B, each 200,000 pings of 125 bytes, never reading
#   subs             2,000 connections x 64 distinct addresses (public.x.<n>), over both nodes
#   subs-large       19,800 x 64 (two load-generator processes, source addresses of their own)
#   churn            20 sockets x 2,000 register/unregister pairs, 98 frames/s each (the limit is 100)
#   presence         2,000 connections x 64 distinct chat addresses (chat.p.<n>), each register with a 64-byte
#                    name: 128,000 presence entries (the budget is 100,000 per node), over both nodes
#   fragments        2,000 raw WebSockets to node B, each 4 fragments of 60 KB and never the last
#   slowloris        4,600 connections to both ports of node B trickling headers or bodies
#   slowloris-large  21,000 of them (more than node B's 20,000 file descriptors)
#   long-addresses   40 connections x 64 registers of 30,000-character addresses, over both nodes
#   sockjs           xhr_send with [null], a body over 256 KB, a large form, "not json", an empty body
#                    (50 each), then 2,000 REST requests abandoned after their headers, to node B
#   utf8             20 raw WebSockets each sending a text frame that is not UTF-8
#
# For each: the nodes' heap after a GC, RSS and event-bus handlers before, at the attack's peak and 30 s
# after it ended; what the server answered; the canaries and probes meanwhile; stack traces in the node
# logs; whether both nodes survived. Prints a table, writes bench/results/hostile-<UTC date>.jsonl and .md.
# Full size takes about 15 minutes (13 on 2 busy cores, 2026-12-01).
#
#   bench/run-hostile-soak.sh                                  # every attack, full size
#   SCALE=0.05 AFTER_S=5 bench/run-hostile-soak.sh             # the quick self-check (about 4 minutes)
#   ATTACKS=ping,churn LIVEGATE_JAR=/tmp/old.jar bench/run-hostile-soak.sh
#
# Settings (environment): LIVEGATE_JAR (launcher/target/livegate-node.jar), SCALE (1: sizes and holds),
# ATTACKS (all, in the order above), AFTER_S (30), WARM_UP (true), NODE_ARGS (more node flags),
# NODE_JAVA_OPTS, RESTART (on-failure: fresh nodes after an attack that killed one or left state behind;
# always; never), PORT_BASE (19080: bridge A, REST A, bridge B, REST B), CLUSTER_PORT (5911), OUT.
set -euo pipefail
BENCH=$(cd "$(dirname "$0")" && pwd)
HOSTILE=$BENCH/hostile
PORT_BASE=${PORT_BASE:-19080}
CLUSTER_PORT=${CLUSTER_PORT:-5911}
LOGS=${LOGS:-$(mktemp -d /tmp/livegate-hostile.XXXXXX)}
source "$BENCH/cluster-lib.sh"   # REPO, port_free, need_free, wait_ready, STARTED, stop_all

LIVEGATE_JAR=${LIVEGATE_JAR:-$REPO/launcher/target/livegate-node.jar}
CLUSTER_NAME=livegate-hostile-$$
SCALE=${SCALE:-1}
ALL_ATTACKS=ping,subs,subs-large,churn,presence,fragments,slowloris,slowloris-large,long-addresses,sockjs,utf8
ATTACKS=${ATTACKS:-$ALL_ATTACKS}
AFTER_S=${AFTER_S:-30}
RESTART=${RESTART:-on-failure}
WARM_UP=${WARM_UP:-true}
OUT=${OUT:-$BENCH/results/hostile-$(date -u +%Y-%m-%d).jsonl}
# Java 17 and Hazelcast (NOTES.md): the jar's manifest has them for java -jar; said here all the same.
ADD_OPENS="--add-modules java.se --add-exports java.base/jdk.internal.ref=ALL-UNNAMED --add-opens java.base/java.lang=ALL-UNNAMED
  --add-opens java.base/java.nio=ALL-UNNAMED --add-opens java.base/sun.nio.ch=ALL-UNNAMED
  --add-opens java.management/sun.management=ALL-UNNAMED --add-opens jdk.management/com.sun.management.internal=ALL-UNNAMED"
BRIDGE_A=$PORT_BASE API_A=$((PORT_BASE + 1)) BRIDGE_B=$((PORT_BASE + 2)) API_B=$((PORT_BASE + 3))
NODES_ARG="a=$BRIDGE_A:$API_A,b=$BRIDGE_B:$API_B"
RUN=$LOGS/run
mkdir -p "$RUN"

for a in ${ATTACKS//,/ }; do
  [[ ,$ALL_ATTACKS, == *,$a,* ]] || { echo "unknown attack $a (one of $ALL_ATTACKS)" >&2; exit 2; }
done
[ -f "$LIVEGATE_JAR" ] || { echo "$LIVEGATE_JAR is missing: mvn -B -ntp -q -DskipTests package" >&2; exit 1; }
command -v node >/dev/null || { echo "node (20+) missing" >&2; exit 1; }
command -v jcmd >/dev/null || { echo "jcmd (a JDK) missing" >&2; exit 1; }
ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -Hn)"
[ "$(ulimit -n)" -ge 12000 ] || { echo "fd limit $(ulimit -n) is too low (12,000 sockets per load-generator process)" >&2; exit 1; }
[ -d "$HOSTILE/node_modules" ] || (cd "$HOSTILE" && npm ci --no-audit --no-fund --silent)
# A private copy: a rebuilt jar under a running JVM kills it at its next class load.
cp "$LIVEGATE_JAR" "$LOGS/livegate-node.jar"
JAR=$LOGS/livegate-node.jar
[ "$WARM_UP" = true ] || NODE_ARGS="--warm-up false${NODE_ARGS:+ $NODE_ARGS}"
mkdir -p "$(dirname "$OUT")"

PAUSE_PID=
# A long sleep in the background: bash runs a trap only once its foreground command has finished.
pause() { sleep "$1" & PAUSE_PID=$!; wait "$PAUSE_PID"; PAUSE_PID=; }
trap '[ -z "$PAUSE_PID" ] || kill "$PAUSE_PID" 2>/dev/null; stop_all; echo "logs: $LOGS" >&2' EXIT
trap 'echo "interrupted" >&2; exit 130' INT TERM   # the EXIT trap then stops everything

ms() { date +%s%3N; }
scaled() { # base minimum: base x SCALE, at least minimum
  awk -v b="$1" -v m="$2" -v s="$SCALE" 'BEGIN { v = int(b * s + 0.5); print (v < m ? m : v) }'
}
forget() { # pid: no longer in STARTED
  local keep=() p
  for p in "${STARTED[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
  STARTED=("${keep[@]}")
}
stop_pid() { # pid: TERM (a node drains), KILL after 10 s
  local pid=$1
  [ -n "$pid" ] || return 0
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  forget "$pid"
}

# ------------------------------------------------------------------ the nodes
PID_A= PID_B=
start_node() { # a|b
  local bridge api pid
  if [ "$1" = a ]; then bridge=$BRIDGE_A api=$API_A; else bridge=$BRIDGE_B api=$API_B; fi
  # shellcheck disable=SC2086
  java $NODE_JAVA_OPTS $ADD_OPENS -jar "$JAR" --roles bridge,rest,simulator --http-host 127.0.0.1 \
    --bridge-port "$bridge" --api-port "$api" --cluster-name "$CLUSTER_NAME" --cluster-port "$CLUSTER_PORT" \
    --members 127.0.0.1 ${NODE_ARGS:-} >>"$LOGS/node-$1.log" 2>&1 &
  pid=$!
  STARTED+=("$pid")
  if [ "$1" = a ]; then PID_A=$pid; else PID_B=$pid; fi
  wait_ready "$api" "$pid"
}
members() { # api-port: members as that node sees them (0 when it does not answer)
  { curl -s --max-time 5 "http://127.0.0.1:$1/api/cluster/nodes" 2>/dev/null || true; } | { grep -o '"id"' || true; } | wc -l
}
status_of() { # url: the HTTP status, 0 when there is none within 5 s
  local code
  code=$(curl -s -o /dev/null --max-time 5 -w '%{http_code}' "$1" 2>/dev/null || true)
  [[ $code =~ ^[0-9]+$ ]] && echo $((10#$code)) || echo 0
}
start_nodes() {
  for p in $BRIDGE_A $API_A $BRIDGE_B $API_B $CLUSTER_PORT $((CLUSTER_PORT + 1)) $((CLUSTER_PORT + 2)); do need_free "$p"; done
  echo "starting nodes a ($BRIDGE_A/$API_A) and b ($BRIDGE_B/$API_B)" >&2
  start_node a
  start_node b
  for _ in $(seq 100); do [ "$(members "$API_A")" -ge 2 ] && [ "$(members "$API_B")" -ge 2 ] && return 0; sleep 0.2; done
  echo "the two nodes did not form one cluster (logs: $LOGS)" >&2; return 1
}
stop_nodes() { stop_pid "$PID_B"; stop_pid "$PID_A"; PID_A= PID_B=; }

WATCH_PID=
start_watch() {
  node "$HOSTILE/watch.mjs" --nodes "$NODES_ARG" --run "$$" --out "$RUN/watch.jsonl" --status "$RUN/status.json" \
    2>>"$LOGS/watch.log" &
  WATCH_PID=$!
  STARTED+=("$WATCH_PID")
}
canaries_live() { # since (ms): both canaries received a publication after it (bounded, 60 s)
  local since=$1
  for _ in $(seq 300); do
    if [ -f "$RUN/status.json" ] && node -e '
        const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
        process.exit(s.a.lastRx > +process.argv[2] && s.b.lastRx > +process.argv[2] ? 0 : 1);' "$RUN/status.json" "$since"; then
      return 0
    fi
    sleep 0.2
  done
  echo "  the canaries receive nothing (logs: $LOGS)" >&2; return 1
}

# ------------------------------------------------------------------ measuring a node
sample_node() { # pid api-port gc(1|0): one JSON object
  local pid=$1 api=$2 rss= heap= handlers= health= metrics
  if kill -0 "$pid" 2>/dev/null; then
    rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
    # Bounded: a node out of file descriptors cannot accept jcmd's connection.
    if [ "$3" = 1 ] && timeout 20 jcmd "$pid" GC.run >/dev/null 2>&1; then
      # "garbage-first heap   total 73728K, used 35123K [...]"
      heap=$({ timeout 20 jcmd "$pid" GC.heap_info 2>/dev/null || true; } | awk '/garbage-first heap|PSYoungGen|ParOldGen|def new generation|tenured generation/ {
        for (i = 1; i < NF; i++) if ($i == "used") { v = $(i + 1); gsub(/[^0-9]/, "", v); s += v } } END { if (s) print s }')
    fi
  fi
  health=$(status_of "http://127.0.0.1:$api/health")
  metrics=$(curl -s --max-time 5 "http://127.0.0.1:$api/metrics" 2>/dev/null || true)
  handlers=$(awk '/^vertx_eventbus_handlers/ { s += $NF; n++ } END { if (n) printf "%d", s }' <<<"$metrics")
  local active
  active=$(awk '/^vertx_http_server_active_requests/ { s += $NF; n++ } END { if (n) printf "%d", s }' <<<"$metrics")
  printf '{"alive":%s,"rss_kb":%s,"heap_kb":%s,"handlers":%s,"active_requests":%s,"health":%s}' \
    "$(kill -0 "$pid" 2>/dev/null && echo true || echo false)" "${rss:-null}" "${heap:-null}" "${handlers:-null}" \
    "${active:-null}" "${health:-0}"
}
sample_both() { # gc: {"a":...,"b":...}
  printf '{"a":%s,"b":%s}' "$(sample_node "$PID_A" "$API_A" "$1")" "$(sample_node "$PID_B" "$API_B" "$1")"
}
log_lines() { wc -l <"$LOGS/node-$1.log" 2>/dev/null || echo 0; }
survival() { # {"a":{...},"b":{...}}: alive, /health, members seen
  local out= n pid api
  for n in a b; do
    if [ $n = a ]; then pid=$PID_A api=$API_A; else pid=$PID_B api=$API_B; fi
    out+="${out:+,}\"$n\":{\"alive\":$(kill -0 "$pid" 2>/dev/null && echo true || echo false),\"health\":$(status_of "http://127.0.0.1:$api/health"),\"members\":$(members "$api")}"
  done
  echo "{$out}"
}

# ------------------------------------------------------------------ one attack
# Sizes at SCALE; an attack of many connections runs in several processes (PER_PROCESS sockets each: the fd
# limit is 20,000 a process), each from a source address of its own (127.0.<attack>.<process + 2>: ~28,000
# ports per destination).
PER_PROCESS=${PER_PROCESS:-12000}
attack_plan() { # attack -> TARGET, PARTS, HOLD_S, LIMIT_S, ARGS
  local s
  HOLD_S=$(scaled 10 3) LIMIT_S=300 TARGET=both PARTS=1
  case $1 in
    ping) TARGET=b HOLD_S=$(scaled 5 3)
      ARGS=(--sockets "$(scaled 30 2)" --pings-per-socket "$(scaled 200000 1000)" --payload 125 --max-send-ms 60000) ;;
    subs) HOLD_S=$(scaled 20 3); ARGS=(--connections "$(scaled 2000 4)" --per-socket 64 --address-prefix public.x.) ;;
    subs-large) s=$(scaled 19800 10); HOLD_S=$(scaled 20 3); PARTS=$(((s + PER_PROCESS - 1) / PER_PROCESS))
      ARGS=(--connections "$s" --per-socket 64 --address-prefix public.xl. --max-connect-ms 150000) ;;
    presence) HOLD_S=$(scaled 20 3)
      ARGS=(--connections "$(scaled 2000 4)" --per-socket 64 --address-prefix chat.p. --name-bytes 64) ;;
    churn) HOLD_S=0; ARGS=(--sockets "$(scaled 20 2)" --pairs "$(scaled 2000 50)" --frames-per-second 98) ;;
    fragments) TARGET=b; ARGS=(--sockets "$(scaled 2000 4)" --fragments 4 --fragment-bytes 61440) ;;
    slowloris) TARGET=b HOLD_S=$(scaled 60 5); ARGS=(--connections "$(scaled 4600 8)" --trickle-ms 5000) ;;
    slowloris-large) s=$(scaled 21000 16); TARGET=b HOLD_S=$(scaled 60 5); PARTS=$(((s + PER_PROCESS - 1) / PER_PROCESS))
      ARGS=(--connections "$s" --trickle-ms 5000) ;;
    long-addresses) ARGS=(--connections "$(scaled 40 2)" --per-socket 64 --length 30000) ;;
    sockjs) TARGET=b HOLD_S=0; ARGS=(--per-case "$(scaled 50 2)" --abandoned "$(scaled 2000 20)") ;;
    utf8) HOLD_S=0; ARGS=(--sockets "$(scaled 20 2)") ;;
  esac
}

ATTACK_NO=0
NEEDS_RESTART=0
run_attack() { # attack
  local name=$1 p pids=() t_start t_peak t_end t_after before during after lines_a lines_b alive
  ATTACK_NO=$((ATTACK_NO + 1))
  attack_plan "$name"
  echo "[$ATTACK_NO] $name: ${ARGS[*]} (target $TARGET, $PARTS process(es), hold ${HOLD_S} s)" >&2
  rm -f "$RUN/peak.$name".* "$RUN/release.$name" "$RUN/out.$name".*
  before=$(sample_both 1)
  lines_a=$(log_lines a) lines_b=$(log_lines b)
  t_start=$(ms)
  for ((p = 0; p < PARTS; p++)); do
    timeout "$LIMIT_S" node "$HOSTILE/attack.mjs" "$name" --nodes "$NODES_ARG" --target "$TARGET" \
      --part "$p" --parts "$PARTS" --local-addresses "127.0.$ATTACK_NO.$((p + 2))" \
      --peak-file "$RUN/peak.$name.$p" --release-file "$RUN/release.$name" --max-hold-ms $(((HOLD_S + 60) * 1000)) \
      "${ARGS[@]}" >"$RUN/out.$name.$p" 2>>"$LOGS/attack.log" &
    pids+=("$!")
    STARTED+=("$!")
  done
  # The peak: every process says so (or has ended), bounded by the attack's own limit.
  local deadline=$(($(ms) + LIMIT_S * 1000)) all
  while [ "$(ms)" -lt "$deadline" ]; do
    all=1
    for ((p = 0; p < PARTS; p++)); do
      [ -f "$RUN/peak.$name.$p" ] || ! kill -0 "${pids[p]}" 2>/dev/null || all=0
    done
    [ $all = 1 ] && break
    sleep 0.2
  done
  t_peak=$(ms)
  during=$(sample_both 1)
  echo "  peak after $(((t_peak - t_start) / 1000)) s; holding" >&2
  deadline=$(($(ms) + HOLD_S * 1000))
  while [ "$(ms)" -lt "$deadline" ]; do
    alive=0
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ $alive = 1 ] || break
    sleep 0.2
  done
  touch "$RUN/release.$name"
  for p in "${pids[@]}"; do
    for _ in $(seq 600); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    stop_pid "$p"
  done
  t_end=$(ms)
  echo "  released; ${AFTER_S} s to settle" >&2
  pause "$AFTER_S"
  after=$(sample_both 1)
  local alive_now
  alive_now=$(survival)
  t_after=$(ms)
  local answers
  answers=$(cat "$RUN/out.$name".* 2>/dev/null | paste -sd, -)
  printf '{"attack":"%s","args":"%s","target":"%s","processes":%d,"hold_s":%s,"t_start":%s,"t_peak":%s,"t_end":%s,"t_after":%s,"samples":{"before":%s,"during":%s,"after":%s},"survival":%s,"parts":[%s],"logs":{"a":{"file":"%s","from":%s,"to":%s},"b":{"file":"%s","from":%s,"to":%s}}}\n' \
    "$name" "${ARGS[*]}" "$TARGET" "$PARTS" "$HOLD_S" "$t_start" "$t_peak" "$t_end" "$t_after" \
    "$before" "$during" "$after" "$alive_now" "$answers" \
    "$LOGS/node-a.log" "$lines_a" "$(log_lines a)" "$LOGS/node-b.log" "$lines_b" "$(log_lines b)" >>"$RUN/phases.jsonl"
  # The verdict on this row decides whether the next attack gets fresh nodes.
  NEEDS_RESTART=0
  node "$HOSTILE/report.mjs" --phases "$RUN/phases.jsonl" --watch "$RUN/watch.jsonl" --last >&2 || NEEDS_RESTART=1
  case $RESTART in always) NEEDS_RESTART=1 ;; never) NEEDS_RESTART=0 ;; esac
}

# ------------------------------------------------------------------ the run
echo "hostile soak: $LIVEGATE_JAR, SCALE=$SCALE, attacks $ATTACKS; logs in $LOGS" >&2
start_nodes
start_watch
canaries_live "$(ms)"
first=1
for a in ${ATTACKS//,/ }; do
  if [ $first = 0 ] && [ $NEEDS_RESTART = 1 ]; then
    echo "  fresh nodes for the next attack" >&2
    stop_nodes
    echo "{\"restart\":true,\"t\":$(ms)}" >>"$RUN/phases.jsonl"
    start_nodes
    canaries_live "$(ms)"
  fi
  first=0
  run_attack "$a"
done

AFTER_S=$AFTER_S node -e '
  const [jar, sha, label, scale, attacks, opts, args, commit, load] = process.argv.slice(1);
  console.log(JSON.stringify({ type: "meta", ts: new Date().toISOString(), tool: "run-hostile-soak.sh", jar, jar_sha256: sha,
    jar_label: label || undefined, scale: +scale, attacks, after_s: +process.env.AFTER_S, node_java_opts: opts, node_args: args,
    node_roles: "bridge,rest,simulator", commit, loadavg_at_end: load, cpus: require("os").cpus().length, node: process.version }));
' "$LIVEGATE_JAR" "$(sha256sum "$JAR" | cut -c1-16)" "${JAR_LABEL:-}" "$SCALE" "$ATTACKS" "$NODE_JAVA_OPTS" "${NODE_ARGS:-}" \
  "$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null)$(git -C "$REPO" diff --quiet 2>/dev/null || echo +changes)" \
  "$(cut -d' ' -f1-3 /proc/loadavg)" >"$RUN/meta.json"
AFTER_S=$AFTER_S node "$HOSTILE/report.mjs" --phases "$RUN/phases.jsonl" --watch "$RUN/watch.jsonl" --meta "$RUN/meta.json" \
  --out "$OUT" --md "${OUT%.jsonl}.md"
echo "results: $OUT, ${OUT%.jsonl}.md (logs in $LOGS)" >&2
