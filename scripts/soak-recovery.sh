#!/usr/bin/env bash
# Issue 15's recovery story (launcher's RecoveryBehindNginxIT: three nodes from the jar behind nginx, clients on two
# history addresses through nginx, a publisher through REST) for more rounds than CI runs: ROUNDS of each of
# kill -9 of a node, SIGTERM (drain) of a node and cut sockets, a new node taking each lost one's place. Prints
# each round's counts (lost / duplicated / out of order over every client and address, clients back within 10 s)
# and a summary; exit 1 if any round was not clean.
#   scripts/soak-recovery.sh                              # 5 rounds of each, 60 clients, 50 publications a second
#   ROUNDS=10 CLIENTS=120 RATE=100 scripts/soak-recovery.sh
# The whole Maven output stays in target/soak-recovery/mvn.out, the nodes' and nginx's logs in
# target/soak-recovery/logs/. Needs what scripts/test.sh installs (Java, Maven, npm for the build, nginx).
set -uo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-5}
CLIENTS=${CLIENTS:-60}
RATE=${RATE:-50}
[ -x /usr/sbin/nginx ] || { echo "nginx is needed: apt-get install -y nginx (scripts/test.sh installs it)" >&2; exit 1; }

out=target/soak-recovery
rm -rf "$out"
mkdir -p "$out"
echo "$ROUNDS rounds each of kill -9, SIGTERM and cut socket; $CLIENTS clients x 2 addresses; $RATE publications a second"
start=$(date +%s)
mvn -B -ntp -pl launcher -am -Dtest=RecoveryBehindNginxIT -Dsurefire.failIfNoSpecifiedTests=false \
    -DskipBrowserTests -Dops.rounds="$ROUNDS" -Dops.clients="$CLIENTS" -Dops.rate="$RATE" verify \
    2>&1 | tee "$out/mvn.out" | grep --line-buffered -E '^(recovery |  client )'
status=${PIPESTATUS[0]}
cp -r launcher/target/ops-it-recovery "$out/logs" 2>/dev/null || true

lines=$(grep -E '^recovery .* round [0-9]+/' "$out/mvn.out")
rounds=$(printf '%s\n' "$lines" | grep -c ' round ')
clean=$(printf '%s\n' "$lines" | grep -c ': clean$')
back=$(printf '%s\n' "$lines" | sed -nE 's/.*: ([0-9]+) of ([0-9]+) clients back within 10 s.*/\1 \2/p' \
  | awk '{ b += $1; n += $2 } END { print b + 0 " of " n + 0 }')
echo "$clean of $rounds rounds clean; $back struck clients back within 10 s; $(( $(date +%s) - start )) s"
if [ "$status" != 0 ]; then
  grep -E '^\[ERROR\] +(Recovery|Tests run)|not within' "$out/mvn.out" | head -20
  echo "FAILED: see $out/mvn.out and $out/logs/"
  exit 1
fi
