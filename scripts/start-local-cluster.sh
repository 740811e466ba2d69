#!/usr/bin/env bash
# Builds the node jar and starts a local cluster on this machine (loopback only):
#   node 1: dashboard http://127.0.0.1:8080/   REST API http://127.0.0.1:8081/
#   node 2: dashboard http://127.0.0.1:8082/   REST API http://127.0.0.1:8083/
#   node i: bridge port 8080 + 2(i-1), REST port one above it.
# Every node runs every role (one simulator is active cluster-wide). Ctrl-C stops them all.
#
#   scripts/start-local-cluster.sh            # build, then two nodes
#   NODES=3 scripts/start-local-cluster.sh    # three nodes
#   NODES=3 scripts/start-local-cluster.sh --nginx   # three nodes behind nginx: http://127.0.0.1:8000/
#   SKIP_BUILD=1 scripts/start-local-cluster.sh
#   JAVA_OPTS="-Xmx256m" scripts/start-local-cluster.sh
# With --nginx, Debian's nginx (apt-get install -y nginx) runs nginx/livegate.conf.template on
# NGINX_PORT (8000), its files in a temporary folder; Ctrl-C stops it with the nodes.
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
# Three nodes or more: a node that sees less than a majority of them stops serving (docs/hangs-and-splits.md).
export MIN_CLUSTER_SIZE=${MIN_CLUSTER_SIZE:-$(( NODES >= 3 ? NODES / 2 + 1 : 1 ))}
JAR=launcher/target/livegate-node.jar
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
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm
    else
      echo "npm is needed to build the dashboard: apt-get install -y nodejs npm" >&2; exit 1
    fi
  fi
  echo "building $JAR ..."
  mvn -B -q -ntp -DskipTests clean package
fi

PIDS=()
BRIDGES=""
stop_all() {
  trap - EXIT INT TERM
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap stop_all EXIT
trap 'exit 130' INT TERM

for i in $(seq 1 "$NODES"); do
  bridge=$((8080 + 2 * (i - 1)))
  api=$((bridge + 1))
  # shellcheck disable=SC2086
  java $JAVA_OPTS -jar "$JAR" --http-host 127.0.0.1 --bridge-port "$bridge" --api-port "$api" \
    > >(trap '' INT; exec sed -u "s/^/[node$i] /") 2>&1 &   # the prefixer outlives Ctrl-C: the nodes log their stop
  PIDS+=("$!")
  echo "node $i: pid $!, dashboard http://127.0.0.1:$bridge/, REST API http://127.0.0.1:$api/"
  BRIDGES+="    server 127.0.0.1:$bridge max_fails=1 fail_timeout=3s;\n"
  # The next node starts once this one has joined (its API listens only then): started together,
  # the second could form a cluster of its own before the first listens.
  for _ in $(seq 600); do
    (exec 3<>"/dev/tcp/127.0.0.1/$api") 2>/dev/null && break
    kill -0 "${PIDS[-1]}" 2>/dev/null || { echo "node $i exited during start-up" >&2; exit 1; }
    sleep 0.1
  done
done

# The repo's nginx configuration with this cluster's bridges filled in (see nginx/livegate.conf.template).
start_nginx() {
  local run_dir
  run_dir=$(mktemp -d /tmp/livegate-nginx.XXXXXX)
  awk -v listen="127.0.0.1:$NGINX_PORT" -v run="$run_dir" -v servers="${BRIDGES%\\n}" \
    '{ gsub(/@LISTEN@/, listen); gsub(/@RUN_DIR@/, run); if ($0 == "@BRIDGES@") print servers; else print }' \
    nginx/livegate.conf.template > "$run_dir/nginx.conf"
  /usr/sbin/nginx -p "$run_dir" -c "$run_dir/nginx.conf" -e "$run_dir/error.log" &
  PIDS+=("$!")
  echo "nginx: pid $!, http://127.0.0.1:$NGINX_PORT/ spreads browsers over the $NODES nodes (config and logs in $run_dir)"
}
[ "$WITH_NGINX" = 1 ] && start_nginx

echo "Ctrl-C stops the cluster."
wait
