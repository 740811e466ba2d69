#!/usr/bin/env bash
# Makes a class-data-sharing archive of what a node loads, so that nodes started with
#   java -XX:SharedArchiveFile=launcher/target/livegate-node.jsa -jar launcher/target/livegate-node.jar ...
# map those classes instead of loading and verifying them: a node is ready in about 60 % of the time
# (bench/README.md, "Start-up"). A training run lists the classes: a node with every role alone in a cluster of its
# own, on loopback and free ports, asked a few pages and APIs once ready, then stopped with SIGTERM; then the JVM
# dumps them into the archive (a static one: -Xshare:dump). About 12 s on 2 cores.
# The archive fits this jar and this JDK only: make it again after each build (CDS=1 scripts/start-local-cluster.sh
# does when the jar is newer). A node given an archive that does not fit runs without it.
#   scripts/make-cds-archive.sh [JAR [ARCHIVE]]
set -euo pipefail
cd "$(dirname "$0")/.."
JAR=${1:-launcher/target/livegate-node.jar}
ARCHIVE=${2:-${JAR%.jar}.jsa}
[ -f "$JAR" ] || { echo "$JAR is missing: mvn -B -DskipTests package" >&2; exit 1; }

free_port() { # a port in 30000-39999 that nothing listens on now
  local port
  for _ in $(seq 100); do
    port=$((30000 + RANDOM % 10000))
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return 0; }
  done
  return 1
}
bridge=$(free_port)
api=$(free_port)
cluster=$(free_port)
log=$(mktemp /tmp/livegate-cds.XXXXXX.log)
classes=$(mktemp /tmp/livegate-cds.XXXXXX.classes)
rm -f "$ARCHIVE"
java -XX:DumpLoadedClassList="$classes" -Xmx256m -jar "$JAR" --http-host 127.0.0.1 \
  --bridge-port "$bridge" --api-port "$api" --cluster-port "$cluster" --members "127.0.0.1:$cluster" \
  --cluster-name "cds-training-$$" --simulator-min-ms 100 --simulator-max-ms 200 >"$log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; rm -f "$classes"' EXIT
ready=0
for _ in $(seq 600); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$api/ready")" = 200 ] && { ready=1; break; }
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
if [ "$ready" = 1 ]; then
  for path in / /dashboard.js /live-bus.js /vendor/sockjs.min.js /eventbus/info /cluster; do
    curl -s -o /dev/null "http://127.0.0.1:$bridge$path" || true
  done
  for path in /events /api/cluster/nodes /metrics /health; do curl -s -o /dev/null "http://127.0.0.1:$api$path" || true; done
  curl -s -o /dev/null -XPOST "http://127.0.0.1:$api/api/publish/public.cds" -d '{"n":1}' || true
fi
kill -TERM "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
trap 'rm -f "$classes"' EXIT
# The JDK's and Netty's JFR event classes cannot be archived: they are skipped, with a warning each (not shown).
[ "$ready" = 1 ] && java -Xshare:dump -Xlog:cds=error -XX:SharedClassListFile="$classes" \
  -XX:SharedArchiveFile="$ARCHIVE" -cp "$JAR" >>"$log" 2>&1 || true
if [ "$ready" = 1 ] && [ -s "$ARCHIVE" ]; then
  rm -f "$log"
  echo "class-data-sharing archive: $ARCHIVE ($(du -h "$ARCHIVE" | cut -f1))"
else
  rm -f "$ARCHIVE"
  echo "no class-data-sharing archive: the training node did not become ready (its log: $log)" >&2
  exit 1
fi
