#!/usr/bin/env bash
# Builds the node jar and starts a local cluster on this machine (loopback only):
#   node 1: dashboard http://127.0.0.1:8080/   REST API http://127.0.0.1:8081/
#   node 2: dashboard http://127.0.0.1:8082/   REST API http://127.0.0.1:8083/
#   node i: bridge port 8080 + 2(i-1), REST port one above it.
# Every node runs every role (one simulator is active cluster-wide); then the example backend service
# (examples/quote-service: answers svc.quote, a bot on chat.support) joins as a lite member. Ctrl-C stops them all.
#
#   scripts/start-local-cluster.sh            # build, then two nodes and the quote service
#   NODES=3 scripts/start-local-cluster.sh    # three nodes
#   NODES=3 scripts/start-local-cluster.sh --nginx   # three nodes behind nginx: http://127.0.0.1:8000/
#   SKIP_BUILD=1 scripts/start-local-cluster.sh
#   QUOTE_SERVICE=0 scripts/start-local-cluster.sh   # without the example service
#   CDS=1 scripts/start-local-cluster.sh      # nodes start from a class-data-sharing archive (made once a build, ~12 s)
#   PORT_BASE=9080 scripts/start-local-cluster.sh    # bridge ports 9080, 9082, ...; REST one above each
#   JAVA_OPTS="-Xmx256m" scripts/start-local-cluster.sh
# The nodes read the environment as always (CLUSTER_NAME, CLUSTER_PORT, CLUSTER_MEMBERS, ...), and so does the service.
# With --nginx, Debian's nginx (apt-get install -y nginx) runs nginx/livegate.conf.template on
# NGINX_PORT (8000), its files in a temporary folder; Ctrl-C stops it with the nodes.
# The build is `mvn package` without `clean`: what the tests left in */target (screenshots, logs) stays.
set -euo pipefail
cd "$(dirname "$0")/.."
WITH_NGINX=0
for arg in "$@"; do
  case "$arg" in
    --nginx) WITH_NGINX=1 ;;
    *) echo "unknown option '$arg' (the only one is --nginx)" >&2; exit 2 ;;
  esac
done
NGINX_PORT=${NGINX_PORT:-8000}
NODES=${NODES:-2}
PORT_BASE=${PORT_BASE:-8080}
QUOTE_SERVICE=${QUOTE_SERVICE:-1}
CDS=${CDS:-0}
# Three nodes or more: a node that sees less than a majority of them stops serving (docs/hangs-and-splits.md).
export MIN_CLUSTER_SIZE=${MIN_CLUSTER_SIZE:-$(( NODES >= 3 ? NODES / 2 + 1 : 1 ))}
JAR=launcher/target/livegate-node.jar
SERVICE_JAR=examples/quote-service/target/quote-service.jar
JAVA_OPTS=${JAVA_OPTS:--Xms96m -Xmx512m -Xmn64m}  # the README's recommended heap settings, smaller

command -v java >/dev/null || { echo "java (17+) is needed: apt-get install -y openjdk-17-jdk-headless" >&2; exit 1; }
if [ "$WITH_NGINX" = 1 ] && [ ! -x /usr/sbin/nginx ]; then
  echo "--nginx needs Debian's nginx: apt-get install -y nginx" >&2; exit 1
fi
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  command -v mvn >/dev/null || { echo "maven is needed: apt-get install -y maven" >&2; exit 1; }
  # The build packages the dashboard's browser libraries with npm (bridge-verticle/src/main/web).
  if ! command -v npm >/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      echo "installing nodejs and npm (the build packages the dashboard's libraries with npm) ..."
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
    else
      echo "npm is needed to build the dashboard: apt-get install -y nodejs npm" >&2; exit 1
    fi
  fi
  echo "building $JAR and $SERVICE_JAR (mvn package, about 30 s the first time) ..."
  # No `clean`: the tests' screenshots and logs in */target are for a person to look at. No colour codes: Maven
  # still writes some with -B, so they are taken out.
  set +e
  mvn -B -q -ntp -Dstyle.color=never -DskipTests package 2>&1 | sed -u -e 's/\x1b\[[0-9;]*[A-Za-z]//g' -e '/^$/d'
  built=${PIPESTATUS[0]}
  set -e
  [ "$built" = 0 ] || { echo "the build failed (above)" >&2; exit 1; }
fi
[ -f "$JAR" ] || { echo "$JAR is missing: run without SKIP_BUILD" >&2; exit 1; }
if [ "$CDS" = 1 ]; then
  ARCHIVE=${JAR%.jar}.jsa
  if [ ! -s "$ARCHIVE" ] || [ "$JAR" -nt "$ARCHIVE" ]; then scripts/make-cds-archive.sh "$JAR" "$ARCHIVE" || true; fi
  [ -s "$ARCHIVE" ] && JAVA_OPTS="$JAVA_OPTS -XX:SharedArchiveFile=$ARCHIVE -Xshare:auto"
fi

PIDS=()      # every process started here, stopped by PID
NAMES=()     # what each is called in the output, by the same index
BRIDGES=""
stop_all() {
  trap - EXIT INT TERM
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap stop_all EXIT
trap 'exit 130' INT TERM

# Starts "$@" with its output prefixed by [name]; the prefixer outlives Ctrl-C, so the process logs its stop.
start_prefixed() { # name, then the command
  local name=$1
  shift
  "$@" > >(trap '' INT; exec sed -u "s/^/[$name] /") 2>&1 &
  PIDS+=("$!")
  NAMES+=("$name")
}

# Why a process ended, from its exit code (see docs/reference.md, "Exit codes").
why() {
  case "$1" in
    0) echo "left the cluster cleanly (drained)" ;;
    1) echo "failed (see its last lines above)" ;;
    2) echo "refused its settings or a port was taken (see the line above)" ;;
    130) echo "stopped by Ctrl-C" ;;
    137) echo "killed (SIGKILL)" ;;
    143) echo "terminated (SIGTERM) before it could drain" ;;
    *) echo "exit code $1" ;;
  esac
}

for i in $(seq 1 "$NODES"); do
  bridge=$((PORT_BASE + 2 * (i - 1)))
  api=$((bridge + 1))
  # shellcheck disable=SC2086
  start_prefixed "node$i" java $JAVA_OPTS -jar "$JAR" --http-host 127.0.0.1 --bridge-port "$bridge" --api-port "$api"
  echo "node $i: pid ${PIDS[-1]}, dashboard http://127.0.0.1:$bridge/, REST API http://127.0.0.1:$api/"
  BRIDGES+="    server 127.0.0.1:$bridge max_fails=1 fail_timeout=3s;\n"
  # The next node starts once this one has joined (its API listens only then): started together,
  # the second could form a cluster of its own before the first listens.
  for _ in $(seq 600); do
    (exec 3<>"/dev/tcp/127.0.0.1/$api") 2>/dev/null && break
    kill -0 "${PIDS[-1]}" 2>/dev/null || { echo "node $i exited during start-up" >&2; exit 1; }
    sleep 0.1
  done
done

if [ "$QUOTE_SERVICE" = 1 ]; then
  # shellcheck disable=SC2086
  start_prefixed quote java -Xmx128m -jar "$SERVICE_JAR"
  echo "quote service: pid ${PIDS[-1]}, a lite member answering svc.quote and chat.support"
fi

# The repo's nginx configuration with this cluster's bridges filled in (see nginx/livegate.conf.template).
start_nginx() {
  local run_dir
  run_dir=$(mktemp -d /tmp/livegate-nginx.XXXXXX)
  awk -v listen="127.0.0.1:$NGINX_PORT" -v run="$run_dir" -v servers="${BRIDGES%\\n}" \
    '{ gsub(/@LISTEN@/, listen); gsub(/@RUN_DIR@/, run); if ($0 == "@BRIDGES@") print servers; else print }' \
    nginx/livegate.conf.template > "$run_dir/nginx.conf"
  start_prefixed nginx /usr/sbin/nginx -p "$run_dir" -c "$run_dir/nginx.conf" -e "$run_dir/error.log"
  echo "nginx: pid ${PIDS[-1]}, http://127.0.0.1:$NGINX_PORT/ spreads browsers over the $NODES nodes (config and logs in $run_dir)"
}
[ "$WITH_NGINX" = 1 ] && start_nginx

echo "Ctrl-C stops the cluster."
# One line when a process ends, and why; the others run on (a node drained with POST /api/admin/drain, say).
live=("${PIDS[@]}")
while [ "${#live[@]}" -gt 0 ]; do
  set +e
  wait -n -p ended "${live[@]}"
  code=$?
  set -e
  [ -n "${ended:-}" ] || break
  for k in "${!PIDS[@]}"; do
    [ "${PIDS[k]}" = "$ended" ] && echo "[${NAMES[k]}] exited with code $code: $(why "$code")"
  done
  remaining=()
  for pid in "${live[@]}"; do [ "$pid" = "$ended" ] || remaining+=("$pid"); done
  live=("${remaining[@]}")
  ended=
done
